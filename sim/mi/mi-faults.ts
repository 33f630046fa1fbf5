/**
 * Fault injection for the MI simulator. A matching fault answers in MI's place before authentication and before the
 * request touches state, so an injected failure never has a side effect.
 */

/** The message MI relays from MySQL when `POST /api/user` loses a lock race (contract §2.0, MI's own test retries it). */
export const mysqlDeadlockMessage =
  "SQLSTATE[40001]: Serialization failure: 1213 Deadlock found when trying to get lock; try restarting transaction";

/** A JSON value, or a function of the request that returns one. */
export type MiFaultBody =
  | Record<string, unknown>
  | unknown[]
  | string
  | number
  | boolean
  | null
  | ((request: MiFaultRequest) => unknown);

export interface MiFaultSpec {
  /** HTTP method to match (any when absent). */
  method?: string;
  /** Matched against the path plus query string: a substring, or a regular expression. Any path when absent. */
  match?: string | RegExp;
  status: number;
  /**
   * JSON body; default `{"status":"ERROR","message":"Injected fault"}`. A function builds it from the request, e.g. to
   * play a server that echoes what it received in its error message (tests of secret redaction).
   */
  body?: MiFaultBody;
  /** Extra response headers, e.g. `{ "Retry-After": "0.05" }`. */
  headers?: Record<string, string>;
  /** How many requests it answers before it is spent; default 1, `Infinity` for ever. */
  times?: number;
}

/** What a fault body function sees of the request. */
export interface MiFaultRequest {
  method: string;
  /** Path and query string. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
}

export interface MiFaultResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

interface ActiveFault extends MiFaultSpec {
  remaining: number;
}

export class MiFaults {
  #faults: ActiveFault[] = [];
  readonly #expireIssuedTokens: () => void;

  /** @param expireIssuedTokens the token store's "expire everything issued so far". */
  constructor(expireIssuedTokens: () => void) {
    this.#expireIssuedTokens = expireIssuedTokens;
  }

  /** Adds a fault; faults are tried in the order added. */
  inject(spec: MiFaultSpec): void {
    this.#faults.push({ ...spec, remaining: spec.times ?? 1 });
  }

  /** The next `times` `POST /api/user` answer 500 with MySQL's deadlock message. */
  deadlock(times = 1): void {
    this.inject({
      method: "POST",
      match: /^\/api\/user\/?(\?.*)?$/,
      status: 500,
      body: { status: "ERROR", message: mysqlDeadlockMessage },
      times,
    });
  }

  /** Every token issued so far now answers 412 "Session expired"; tokens issued afterwards work. */
  expireTokens(): void {
    this.#expireIssuedTokens();
  }

  /** Removes every injected fault (tokens already expired stay expired). */
  clear(): void {
    this.#faults = [];
  }

  /** @internal The fault that answers this request, if any (its count is consumed). */
  take(request: MiFaultRequest): MiFaultResponse | undefined {
    const { method, path: pathAndQuery } = request;
    for (const fault of this.#faults) {
      if (fault.remaining <= 0) continue;
      if (fault.method !== undefined && fault.method.toUpperCase() !== method) continue;
      if (fault.match !== undefined) {
        const hit =
          typeof fault.match === "string" ? pathAndQuery.includes(fault.match) : fault.match.test(pathAndQuery);
        if (!hit) continue;
      }
      fault.remaining -= 1;
      return {
        status: fault.status,
        body:
          typeof fault.body === "function"
            ? fault.body(request)
            : (fault.body ?? { status: "ERROR", message: "Injected fault" }),
        headers: fault.headers ?? {},
      };
    }
    return undefined;
  }
}
