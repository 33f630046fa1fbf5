import type { Logger } from "../logging/logger.js";
import type { RunRecord, SyncStateStore } from "../state/sync-state-store.js";
import { recordRunMetrics } from "./sync-metrics.js";

/**
 * Reports one finished run everywhere an admin looks: the run record (status page, Table Storage), one structured
 * log line (Application Insights traces: `event`, `runId`, counts), and the custom metrics. The log line holds ids,
 * names and counts only, never a secret.
 */
export async function reportRun(
  deps: { state: Pick<SyncStateStore, "recordRun">; logger: Logger },
  run: RunRecord,
): Promise<void> {
  const durationMs = Date.parse(run.finishedAt) - Date.parse(run.startedAt);
  const line = {
    event: "mi-sync.run",
    runId: run.runId,
    kind: run.kind,
    trigger: run.trigger,
    status: run.status,
    durationMs,
    counts: run.counts,
    errors: run.errors.slice(0, 3),
    ...(run.detail ? { detail: run.detail } : {}),
  };
  if (run.status === "succeeded") deps.logger.info(JSON.stringify(line));
  else deps.logger.warn(JSON.stringify(line));
  recordRunMetrics(run);
  await deps.state.recordRun(run);
}
