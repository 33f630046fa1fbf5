/**
 * MI API tokens (contract §1). With an External Application, `POST /api/get_token` exchanges the application id and
 * key plus an MI username for a short-lived token sent as the `Token` header. A personal API token (v7.1+) is sent as
 * `Authorization: Bearer` and cannot be renewed here.
 *
 * Refresh rules:
 * - by age: a token older than `tokenRefreshAgeMs` is renewed before the next request with `GET /api/get_token`
 *   (current token in the header), falling back to a new `POST`. MI's `expires` has no timezone and is never used.
 * - on rejection: after a 412 (or a 401 once a token was in use) the caller asks `renew(rejected)`; one `POST` is
 *   made and every concurrent caller whose request was rejected with that same token shares it.
 */
import type { AxiosInstance } from "axios";
import { AuthError, SyncError } from "../errors/sync-error.js";
import type { Logger } from "../logging/logger.js";
import { classifyMiFailure, type MiErrorContext, tokenRefusedError, toMiError } from "./mi-errors.js";
import { hasToken, parseToken } from "./mi-wire.js";

/** How the client authenticates to MI. */
export type MiAuthOptions =
  | { kind: "application"; applicationId: string; applicationKey: string; username: string }
  | { kind: "token"; token: string; username?: string };

/** The headers of one request, and the token they carry (to tell `renew` which token was rejected). */
export interface MiCredential {
  token: string;
  headers: Record<string, string>;
}

interface Session {
  token: string;
  obtainedAtMs: number;
}

const tokenPath = "/api/get_token";

export class MiTokenManager {
  #session: Session | undefined;
  #pending: Promise<Session> | undefined;
  readonly #issuedTokens: string[] = [];

  constructor(
    private readonly http: AxiosInstance,
    private readonly auth: MiAuthOptions,
    private readonly options: {
      tokenRefreshAgeMs: number;
      nowMs: () => number;
      logger: Logger;
      errorContext: MiErrorContext;
    },
  ) {}

  /** Every token this manager has held (for redaction); includes the personal token. */
  get knownTokens(): readonly string[] {
    return this.auth.kind === "token" ? [this.auth.token] : this.#issuedTokens;
  }

  /** Credentials for the next request: obtains a token first, or renews one past its refresh age. */
  async credential(): Promise<MiCredential> {
    if (this.auth.kind === "token") return bearer(this.auth.token);
    if (this.#pending) return toCredential(await this.#pending);
    const session = this.#session;
    if (session === undefined) return toCredential(await this.#singleFlight(() => this.#issue()));
    if (this.options.nowMs() - session.obtainedAtMs >= this.options.tokenRefreshAgeMs) {
      return toCredential(await this.#singleFlight(() => this.#refreshByAge(session)));
    }
    return toCredential(session);
  }

  /**
   * A fresh credential after MI rejected `rejected` (412 "Session expired", or 401). Concurrent callers rejected with
   * the same token share one `POST /api/get_token`; a caller whose token was already replaced gets the new one.
   * A personal token cannot be renewed: `AuthError mi.auth_refused`.
   */
  async renew(rejected: MiCredential, operation: string): Promise<MiCredential> {
    if (this.auth.kind === "token") {
      throw new AuthError(
        "mi",
        "mi.auth_refused",
        `${operation}: MI refused the personal API token (expired, revoked or unknown). ` +
          "Create a new token in Admin > System > API Tokens and pass it with --mi-token (MI_API_TOKEN).",
      );
    }
    if (this.#pending) return toCredential(await this.#pending);
    if (this.#session !== undefined && this.#session.token !== rejected.token) return toCredential(this.#session);
    this.options.logger.debug("MI rejected the API token; getting a new one");
    return toCredential(await this.#singleFlight(() => this.#issue()));
  }

  async #singleFlight(obtain: () => Promise<Session>): Promise<Session> {
    if (this.#pending === undefined) {
      this.#pending = obtain()
        .then((session) => {
          this.#session = session;
          this.#issuedTokens.push(session.token);
          return session;
        })
        .finally(() => {
          this.#pending = undefined;
        });
    }
    return this.#pending;
  }

  /** `POST /api/get_token`. Any 4xx means MI refused the application credentials or the user. */
  async #issue(): Promise<Session> {
    if (this.auth.kind !== "application") throw new Error("unreachable: personal tokens are not issued");
    try {
      const response = await this.http.post(
        tokenPath,
        {
          application_id: this.auth.applicationId,
          application_key: this.auth.applicationKey,
          user: this.auth.username,
        },
        { headers: { "Content-Type": "application/json" } },
      );
      return { token: parseToken(response.data, `POST ${tokenPath}`), obtainedAtMs: this.options.nowMs() };
    } catch (error) {
      if (error instanceof SyncError) throw error;
      const failure = classifyMiFailure(error);
      if (failure.status !== undefined && failure.status >= 400 && failure.status < 500) {
        throw tokenRefusedError(failure, this.options.errorContext);
      }
      throw toMiError(`getting an MI API token for '${this.auth.username}'`, failure, this.options.errorContext);
    }
  }

  /** `GET /api/get_token` with the current token; anything but a new token falls back to `POST`. */
  async #refreshByAge(session: Session): Promise<Session> {
    try {
      const response = await this.http.get(tokenPath, { headers: { Token: session.token } });
      if (hasToken(response.data)) {
        this.options.logger.debug("MI API token renewed by age");
        return { token: parseToken(response.data, `GET ${tokenPath}`), obtainedAtMs: this.options.nowMs() };
      }
    } catch {
      // A refused renewal (e.g. 412: the token died early) is not an error yet: a new token is requested below.
    }
    this.options.logger.debug("MI API token could not be renewed; getting a new one");
    return this.#issue();
  }
}

function bearer(token: string): MiCredential {
  return { token, headers: { Authorization: `Bearer ${token}` } };
}

function toCredential(session: Session): MiCredential {
  return { token: session.token, headers: { Token: session.token } };
}
