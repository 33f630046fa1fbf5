/**
 * What an Azure SDK (data-tables, storage-queue) failure says, read by status and service error code, never by
 * message text. Table errors carry `err.code === undefined` and the service code in `err.details.errorCode`; queue
 * errors carry it in `err.code`; network failures carry a Node code (`ECONNREFUSED`) and no status.
 */
export interface StorageFailure {
  /** HTTP status; undefined when no answer came. */
  status: number | undefined;
  /** The service's error code (`UpdateConditionNotSatisfied`, `EntityAlreadyExists`) or Node's (`ECONNREFUSED`). */
  errorCode: string | undefined;
}

export function storageFailure(error: unknown): StorageFailure {
  if (typeof error !== "object" || error === null) return { status: undefined, errorCode: undefined };
  const record = error as { statusCode?: unknown; code?: unknown; details?: unknown };
  const status = typeof record.statusCode === "number" ? record.statusCode : undefined;
  const details = typeof record.details === "object" && record.details !== null ? record.details : undefined;
  const detailCode = details ? (details as { errorCode?: unknown }).errorCode : undefined;
  const errorCode =
    typeof detailCode === "string" ? detailCode : typeof record.code === "string" ? record.code : undefined;
  return { status, errorCode };
}

/** The HTTP status of an SDK failure, or undefined. */
export function storageStatus(error: unknown): number | undefined {
  return storageFailure(error).status;
}
