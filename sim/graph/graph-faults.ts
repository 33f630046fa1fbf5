import { type GraphResponse, graphError, type RequestIds } from "./graph-response.js";

/** Statuses a fault may answer with. */
export type FaultStatus = 429 | 500 | 503 | 504 | 400 | 403 | 404;

/** One injected failure. */
export interface FaultSpec {
  /**
   * Which requests it hits, tested against the path plus query (`/v1.0/groups/…?$top=999`); inner `$batch` requests
   * are tested as `/v1.0` + their relative url. A string matches as a substring. Omitted: any Graph (`/v1.0`)
   * request; the token endpoint is hit only by an explicit match.
   */
  match?: string | RegExp;
  status: FaultStatus;
  /**
   * `Retry-After` header value, e.g. `"2"` or `"0.2"` (fractions happen, contract §5), or a function giving it when
   * the fault answers (a quota that frees at a known moment: the wait left shrinks as time passes). Omitted: no
   * header.
   */
  retryAfter?: string | (() => string);
  /** How many matching requests fail; default 1. */
  times?: number;
  /** Replaces the default error envelope. */
  body?: unknown;
  /** Adds `x-ms-throttle-scope`, `x-ms-throttle-information` and `x-ms-throttle-limit-percentage` (contract §5). */
  throttleHeaders?: boolean;
}

interface ActiveFault extends FaultSpec {
  remaining: number;
}

/**
 * Deterministic fault injection: faults are consumed in the order they were injected, first matching one wins.
 * Also holds the delta reset switch and the injected latency.
 */
export class GraphFaults {
  private queue: ActiveFault[] = [];
  private resetPending = false;
  private replayPending = 0;
  private tokenCutoff = 0;
  /** Delay added before answering each HTTP request, in ms. */
  latencyMs: number;

  constructor(
    latencyMs: number,
    private readonly throttleScope: string,
  ) {
    this.latencyMs = latencyMs;
  }

  inject(spec: FaultSpec): void {
    this.queue.push({ ...spec, remaining: spec.times ?? 1 });
  }

  /** Drops every pending fault and the pending delta reset. */
  clear(): void {
    this.queue = [];
    this.resetPending = false;
    this.replayPending = 0;
  }

  /**
   * The next round read from a deltaLink also replays the `entries` change-log entries just before that link, after
   * the round's own changes ("Replays are possible", no ordering is documented: contract §2): an old `@removed` of a
   * member since re-added arrives again, last.
   */
  replayDelta(entries: number): void {
    this.replayPending = entries;
  }

  /** How many entries the next deltaLink round replays (then 0). */
  takeDeltaReplay(): number {
    const n = this.replayPending;
    this.replayPending = 0;
    return n;
  }

  /** The next delta request carrying a `$deltatoken` or `$skiptoken` answers `410 Gone` with a `Location` (contract §2). */
  resetDeltaTokens(): void {
    this.resetPending = true;
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Every access token issued so far is treated as expired (401 "Access token has expired or is not yet valid."). */
  expireAccessTokens(): void {
    this.tokenCutoff = Date.now();
  }

  /** @internal Tokens issued at or before this real time (ms) count as expired. */
  get accessTokenCutoff(): number {
    return this.tokenCutoff;
  }

  /** @internal Consumes the pending delta reset, if any. */
  takeDeltaReset(): boolean {
    const pending = this.resetPending;
    this.resetPending = false;
    return pending;
  }

  /** @internal Consumes the first fault matching `target` and renders its response, or returns undefined. */
  take(target: string, isGraphRequest: boolean, ids: RequestIds): GraphResponse | undefined {
    const fault = this.queue.find((candidate) => candidate.remaining > 0 && matches(candidate, target, isGraphRequest));
    if (!fault) return undefined;
    fault.remaining -= 1;
    this.queue = this.queue.filter((candidate) => candidate.remaining > 0);
    return this.render(fault, ids);
  }

  private render(fault: FaultSpec, ids: RequestIds): GraphResponse {
    const headers: Record<string, string> = {};
    if (fault.retryAfter !== undefined)
      headers["Retry-After"] = typeof fault.retryAfter === "function" ? fault.retryAfter() : fault.retryAfter;
    if (fault.throttleHeaders) {
      headers["x-ms-throttle-scope"] = this.throttleScope;
      headers["x-ms-throttle-information"] = "ResourceUnitLimitExceeded";
      headers["x-ms-throttle-limit-percentage"] = "1.0";
    }
    const base = faultEnvelope(fault.status, ids, headers);
    if (fault.body !== undefined) return { ...base, body: fault.body };
    return base;
  }
}

function matches(fault: FaultSpec, target: string, isGraphRequest: boolean): boolean {
  if (fault.match === undefined) return isGraphRequest;
  if (typeof fault.match === "string") return target.includes(fault.match);
  fault.match.lastIndex = 0;
  return fault.match.test(target);
}

function faultEnvelope(status: FaultStatus, ids: RequestIds, headers: Record<string, string>): GraphResponse {
  switch (status) {
    case 429:
    case 503:
      return throttled(status, ids, headers);
    case 500:
      return graphError(500, "generalException", "An unspecified error has occurred.", ids, headers);
    case 504:
      return graphError(
        504,
        "GatewayTimeout",
        "The server, while acting as a proxy, did not receive a timely response from the upstream server.",
        ids,
        headers,
      );
    case 400:
      return graphError(400, "Request_BadRequest", "Invalid request.", ids, headers);
    case 403:
      return graphError(
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
        ids,
        headers,
      );
    case 404:
      return graphError(
        404,
        "Request_ResourceNotFound",
        "Resource does not exist or one of its queried reference-property objects are not present.",
        ids,
        headers,
      );
  }
}

/** The exact throttling envelope from contract §5 (also used for 503, as the brief asks). */
function throttled(status: 429 | 503, ids: RequestIds, headers: Record<string, string>): GraphResponse {
  const date = new Date().toISOString().slice(0, 19);
  return {
    status,
    headers: { "Content-Type": "application/json", ...headers },
    body: {
      error: {
        code: "TooManyRequests",
        innerError: {
          code: String(status),
          date,
          message: "Please retry after",
          "request-id": ids.requestId,
          status: String(status),
        },
        message: "Please retry again later.",
      },
    },
  };
}
