/** One handled request. Holds no query string, header or body, so no secret can land here. */
export interface GraphRequestLogEntry {
  method: string;
  /** Path without query, e.g. `/v1.0/groups/…/members` or `/{tenant}/oauth2/v2.0/token`. */
  path: string;
  /** Normalised route, e.g. `GET /groups/{id}/transitiveMembers`, `POST /$batch`, `POST /token`. */
  route: string;
  status: number;
  resourceUnits: number;
  /** True for a request carried inside a `$batch`. */
  batched: boolean;
}

/**
 * Counts of what the simulator served.
 * - `total`: HTTP requests received (a `$batch` counts once).
 * - `byRoute`: per normalised route, including inner `$batch` requests.
 * - `batchedRequests`: inner `$batch` requests.
 * - `resourceUnits`: sum of the costs charged; the outer `$batch` is charged 0 and its inner requests their own.
 */
export class GraphRequestLog {
  total = 0;
  batchedRequests = 0;
  resourceUnits = 0;
  byRoute: Record<string, number> = {};
  entries: GraphRequestLogEntry[] = [];

  /** @internal */
  record(entry: GraphRequestLogEntry): void {
    if (entry.batched) this.batchedRequests += 1;
    else this.total += 1;
    this.resourceUnits += entry.resourceUnits;
    this.byRoute[entry.route] = (this.byRoute[entry.route] ?? 0) + 1;
    this.entries.push(entry);
  }

  /** How many requests hit `route` (0 if none). */
  count(route: string): number {
    return this.byRoute[route] ?? 0;
  }

  reset(): void {
    this.total = 0;
    this.batchedRequests = 0;
    this.resourceUnits = 0;
    this.byRoute = {};
    this.entries = [];
  }
}
