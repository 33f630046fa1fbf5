/**
 * What the MI simulator received, for assertions about traffic volume ("no per-user GET storms"). Entries hold the
 * method, path with query, route and status only: never a header or a body, so never a secret.
 */

export interface MiRequestEntry {
  method: string;
  /** Path and query string as received. */
  path: string;
  /** `METHOD /api/<item>` with `/id/:id` for single objects, e.g. `PUT /api/user/id/:id`. */
  route: string;
  status: number;
}

/** `METHOD /api/item[/id/:id]` for a request; `get_token` with or without its trailing slash is one route. */
export function routeOf(method: string, pathname: string): string {
  const trimmed = pathname.length > 1 ? pathname.replace(/\/+$/, "") : pathname;
  return `${method} ${trimmed.replace(/\/id\/[^/]+$/, "/id/:id")}`;
}

export class MiRequestLog {
  #entries: MiRequestEntry[] = [];

  /** @internal */
  record(entry: MiRequestEntry): void {
    this.#entries.push(entry);
  }

  get entries(): MiRequestEntry[] {
    return this.#entries.map((entry) => ({ ...entry }));
  }

  /** GET requests other than `get_token`. */
  get reads(): number {
    return this.#entries.filter((e) => e.method === "GET" && !isTokenRoute(e.route)).length;
  }

  /** POST, PUT and DELETE requests other than `get_token`. */
  get writes(): number {
    return this.#entries.filter((e) => e.method !== "GET" && !isTokenRoute(e.route)).length;
  }

  /** Requests to `/api/get_token`, any method. */
  get tokenRequests(): number {
    return this.#entries.filter((e) => isTokenRoute(e.route)).length;
  }

  /** Request counts keyed by route, e.g. `{"POST /api/user": 3, "GET /api/user_group_member": 2}`. */
  get byRoute(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const entry of this.#entries) counts[entry.route] = (counts[entry.route] ?? 0) + 1;
    return counts;
  }

  reset(): void {
    this.#entries = [];
  }
}

function isTokenRoute(route: string): boolean {
  return route.endsWith(" /api/get_token");
}
