/**
 * Errors of the sync state (Table Storage) and the work queue (Queue Storage). Each carries a stable `code`; messages
 * name the table or queue (and the row when there is one) and the next step. They never hold the connection string,
 * the account key, or a stored secret (a subscription's `clientState`).
 */
import { SyncError, type SyncErrorOptions } from "../errors/sync-error.js";

/**
 * A conditional write lost a race: the record changed (stale ETag, 412), appeared (409 on create) or vanished (404 on
 * replace) since it was read. Nothing was written. Read the record again and redo the change; hence retryable.
 * Kind `operation`: one write failed, the state stays consistent.
 */
export class StateConflictError extends SyncError {
  override readonly name = "StateConflictError";
  constructor(message: string, options: SyncErrorOptions = {}) {
    super("operation", "state.conflict", message, { ...options, retryable: true });
  }
}

/** The storage account could not be reached, timed out, throttled (429) or failed (5xx). Retryable. */
export class StateUnavailableError extends SyncError {
  override readonly name = "StateUnavailableError";
  constructor(
    message: string,
    /** HTTP status, or undefined when no answer came (connection refused, DNS, timeout). */
    readonly status: number | undefined,
    options: SyncErrorOptions = {},
  ) {
    super("unavailable", "state.unavailable", message, { ...options, retryable: true });
  }
}

/** The storage account refused the credentials in the connection string (401/403). Not retryable: fix the setting. */
export class StateAuthError extends SyncError {
  override readonly name = "StateAuthError";
  constructor(
    message: string,
    readonly status: number,
    options: SyncErrorOptions = {},
  ) {
    super("auth", "state.auth", message, { ...options, retryable: false });
  }
}

/**
 * The storage service refused a request as malformed (another 4xx), or we refused to send one that it would refuse
 * (a property over 64 KiB, a key over 1 KiB, a message over 64 KiB). A bug or an oversized input: not retryable.
 */
export class StateRejectedError extends SyncError {
  override readonly name = "StateRejectedError";
  constructor(
    code: "state.rejected" | "state.too_large" | "state.invalid_name",
    message: string,
    options: SyncErrorOptions = {},
  ) {
    super("protocol", code, message, { ...options, retryable: false });
  }
}

/**
 * A row read back does not match its schema (hand-edited, written by an incompatible version, truncated). Names the
 * table and both keys so an operator can delete or repair it. Not retryable.
 */
export class StateCorruptError extends SyncError {
  override readonly name = "StateCorruptError";
  constructor(
    readonly table: string,
    readonly partitionKey: string,
    readonly rowKey: string,
    message: string,
    options: SyncErrorOptions = {},
  ) {
    super("protocol", "state.corrupt", message, { ...options, retryable: false });
  }
}
