import { describeError } from "../errors/sync-error.js";
import type { RunRecord } from "../state/sync-state-store.js";
import type { SyncResult } from "../sync/sync-result.js";

/** A run's outcome from a sync result: its status, counts and errors (none: nothing was synced). */
export function outcomeOf(result: SyncResult | undefined): Pick<RunRecord, "status" | "counts" | "errors"> {
  if (!result) return { status: "succeeded", counts: {}, errors: [] };
  const status: RunRecord["status"] =
    result.outcome === "refused" ? "refused" : result.counts.failed > 0 || result.abortedBy ? "partial" : "succeeded";
  return { status, counts: { ...result.counts }, errors: result.errors.slice(0, 50) };
}

/** The run record of a sync result (or of the error that ended the run). */
export function runRecordOf(
  base: Pick<RunRecord, "runId" | "kind" | "trigger" | "startedAt" | "finishedAt"> & { detail?: RunRecord["detail"] },
  result: SyncResult | undefined,
  error?: unknown,
): RunRecord {
  if (error !== undefined) return { ...base, status: "failed", counts: {}, errors: [describeError(error)] };
  return { ...base, ...outcomeOf(result) };
}
