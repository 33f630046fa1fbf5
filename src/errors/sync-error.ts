/**
 * Errors the product raises on purpose. Every one carries a stable `code`, a message written for an MI admin (what
 * failed, and what to do next), an optional `cause`, and a retry verdict. Messages never hold a secret.
 *
 * Decide with `instanceof` or `code`, never by reading `message`.
 */
export type SyncErrorKind =
  /** Bad flags, settings or input: nothing was read or written; fix the input. CLI exit 2. */
  | "usage"
  /** Credentials refused by Entra or MI, or missing rights. CLI exit 4. */
  | "auth"
  /** A service could not be reached or kept failing. CLI exit 5 before any write, 1 after. */
  | "unavailable"
  /** A service answered something the contract does not allow. */
  | "protocol"
  /** The plan was refused by a guard (`--max-removals`). CLI exit 3. */
  | "guard"
  /** One operation failed; the run goes on and reports it. */
  | "operation";

export interface SyncErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  /** A hint: the next step for the admin ("check --client-secret or O365_USERSYNC_CLIENT_SECRET"). */
  hint?: string;
}

export class SyncError extends Error {
  override readonly name: string = "SyncError";
  readonly retryable: boolean;
  readonly hint: string | undefined;

  constructor(
    readonly kind: SyncErrorKind,
    readonly code: string,
    message: string,
    options: SyncErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? false;
    this.hint = options.hint;
  }
}

/** Input no retry will fix: bad flags, an invalid rule, an unknown group. */
export class UsageError extends SyncError {
  override readonly name = "UsageError";
  constructor(code: string, message: string, options: SyncErrorOptions = {}) {
    super("usage", code, message, { ...options, retryable: false });
  }
}

/** Entra or MI refused our credentials or rights. */
export class AuthError extends SyncError {
  override readonly name = "AuthError";
  constructor(
    readonly service: "entra" | "mi",
    code: string,
    message: string,
    options: SyncErrorOptions = {},
  ) {
    super("auth", code, message, { ...options, retryable: false });
  }
}

/** An HTTP service was unreachable, or answered with an error after the allowed retries. */
export class ServiceError extends SyncError {
  override readonly name = "ServiceError";
  constructor(
    readonly service: "entra" | "mi",
    code: string,
    message: string,
    readonly status: number | undefined,
    options: SyncErrorOptions = {},
  ) {
    super(status === undefined || status >= 500 || status === 429 ? "unavailable" : "protocol", code, message, options);
  }
}

/** The plan breaks a safety guard; nothing was written. */
export class GuardError extends SyncError {
  override readonly name = "GuardError";
  constructor(code: string, message: string, options: SyncErrorOptions = {}) {
    super("guard", code, message, { ...options, retryable: false });
  }
}

/** Short, secret-free text for an unknown thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
