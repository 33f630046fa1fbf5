import { describeError } from "../errors/sync-error.js";
import type { RunRecord } from "../state/sync-state-store.js";
import type { SyncResult } from "../sync/sync-result.js";

/** The run record of a sync result: its counts, errors and an outcome status. */
export function runRecordOf(
  base: Pick<RunRecord, "runId" | "kind" | "trigger" | "startedAt" | "finishedAt"> & { detail?: RunRecord["detail"] },
  result: SyncResult | undefined,
  error?: unknown,
): RunRecord {
  if (error !== undefined) return { ...base, status: "failed", counts: {}, errors: [describeError(error)] };
  if (!result) return { ...base, status: "succeeded", counts: {}, errors: [] };
  const status: RunRecord["status"] =
    result.outcome === "refused" ? "refused" : result.counts.failed > 0 || result.abortedBy ? "partial" : "succeeded";
  return { ...base, status, counts: { ...result.counts }, errors: result.errors.slice(0, 50) };
}
