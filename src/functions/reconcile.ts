import { app, type InvocationContext, type Timer } from "@azure/functions";
import type { LiveDeps } from "../live/live-deps.js";
import { reconcileAll } from "../live/reconcile.js";
import { runRecordOf } from "../live/run-record.js";
import { reportRun } from "../telemetry/report-run.js";
import { getLiveDeps, withContextLogger } from "./runtime.js";

/** Timer: the full reconcile (NCRONTAB from RECONCILE_SCHEDULE, default every 4 hours), with a run record. */
export function createReconcileHandler(
  getDeps: () => Promise<LiveDeps>,
): (timer: Timer, context: InvocationContext) => Promise<void> {
  return async (_timer, context) => {
    const deps = withContextLogger(await getDeps(), context);
    const startedAt = deps.now().toISOString();
    const base = { runId: deps.newId(), kind: "reconcile" as const, trigger: "timer", startedAt };
    try {
      const outcome = await reconcileAll(deps);
      const detail = {
        mode: outcome.mode,
        groups: outcome.groups,
        subscriptionsCreated: outcome.subscriptions.created.length,
        subscriptionsRenewed: outcome.subscriptions.renewed.length,
        ...(outcome.retried > 0 ? { chainsRetried: outcome.retried } : {}),
      };
      const run = runRecordOf({ ...base, finishedAt: deps.now().toISOString(), detail }, outcome.result);
      // A configured name that resolves to no group (or to several) is a failure of the run, whose others synced.
      if (outcome.unresolved.length > 0) {
        run.errors = [...outcome.unresolved.map((u) => `SYNC_GROUPS: ${u}; left out of this run`), ...run.errors];
        if (run.status === "succeeded") run.status = "partial";
      }
      await reportRun(deps, run);
    } catch (error) {
      await reportRun(deps, runRecordOf({ ...base, finishedAt: deps.now().toISOString() }, undefined, error));
      throw error;
    }
  };
}

app.timer("reconcile", {
  schedule: process.env.RECONCILE_SCHEDULE ?? "0 0 */4 * * *",
  runOnStartup: false,
  handler: createReconcileHandler(getLiveDeps),
});
