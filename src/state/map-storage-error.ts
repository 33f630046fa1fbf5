import { SyncError } from "../errors/sync-error.js";
import { StateAuthError, StateRejectedError, StateUnavailableError } from "./state-errors.js";
import { storageFailure } from "./storage-failure.js";

/** Where a storage call went: named in the error message so the admin knows which table or queue to look at. */
export interface StorageTarget {
  service: "table" | "queue";
  /** The table or queue name. */
  name: string;
  /** What we were doing, as a verb phrase: "read the delta chain", "send a message". */
  operation: string;
  /** The row (`PartitionKey/RowKey`), when there is one. */
  key?: string;
}

/**
 * Turns an SDK failure that is not an expected answer (404, 409, 412 are handled by the caller) into a `SyncError`:
 * 401/403 → `StateAuthError`; no answer, 408, 429, 5xx → `StateUnavailableError`; other 4xx → `StateRejectedError`.
 * A `SyncError` passes through. The message is built here from the status and service code only: the SDK's own
 * message and the request (which may hold an entity with a secret) are never copied; the cause keeps only status and
 * code.
 */
export function mapStorageError(error: unknown, target: StorageTarget): SyncError {
  if (error instanceof SyncError) return error;
  const { status, errorCode } = storageFailure(error);
  const what = `${target.service === "table" ? "Table" : "Queue"} Storage: could not ${target.operation} in ${
    target.service
  } "${target.name}"${target.key === undefined ? "" : ` (row ${target.key})`}`;
  const answer =
    status === undefined ? (errorCode ?? "no answer") : `HTTP ${status}${errorCode ? ` ${errorCode}` : ""}`;
  const cause = new Error(`storage ${answer}`);
  if (status === 401 || status === 403) {
    return new StateAuthError(
      `${what}: ${answer}. Check the storage account name and key (or SAS) in the storage connection string setting; the key may have been rotated.`,
      status,
      { cause },
    );
  }
  if (status === undefined || status === 408 || status === 429 || status >= 500) {
    const next =
      status === undefined
        ? "Check that the storage endpoint in the connection string is reachable (locally: is Azurite running?), then retry."
        : "The storage service is failing or throttling; retry later.";
    return new StateUnavailableError(`${what}: ${answer}. ${next}`, status, { cause });
  }
  return new StateRejectedError(
    "state.rejected",
    `${what}: ${answer}. The request was refused as invalid; this is a bug or an oversized record, not a transient fault.`,
    { cause },
  );
}
