import { SyncError } from "../errors/sync-error.js";

/**
 * Graph says a stored delta link can no longer be used: 400 `syncStateNotFound` (any casing; the token is older than
 * 7 days) or 410 Gone (a synchronization reset). Not a failure: the caller resyncs the scope fully and starts a new
 * chain.
 */
export class DeltaResetError extends SyncError {
  override readonly name = "DeltaResetError";
  constructor(
    readonly reason: "expired" | "reset",
    message: string,
  ) {
    super("protocol", "entra.delta_reset", message, { retryable: false });
  }
}
