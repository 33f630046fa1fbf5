import { app } from "@azure/functions";
import type { LiveDeps } from "../live/live-deps.js";
import { reconcileAll } from "../live/reconcile.js";
import { outcomeOf } from "../live/run-record.js";
import { getLiveDeps } from "./runtime.js";
import { timerHandler } from "./timer-run.js";

/** Timer: the full reconcile (NCRONTAB from RECONCILE_SCHEDULE, default every 4 hours), with a run record. */
export function createReconcileHandler(getDeps: () => Promise<LiveDeps>) {
  return timerHandler(getDeps, "reconcile", "timer", async (deps) => {
    const outcome = await reconcileAll(deps);
    const detail = {
      mode: outcome.mode,
      groups: outcome.groups,
      subscriptionsCreated: outcome.subscriptions.created.length,
      subscriptionsRenewed: outcome.subscriptions.renewed.length,
      ...(outcome.retried > 0 ? { chainsRetried: outcome.retried } : {}),
    };
    const { status, counts, errors } = outcomeOf(outcome.result);
    // A configured name that resolves to no group (or to several) is a failure of the run, whose others synced.
    const unresolved = outcome.unresolved.map((u) => `SYNC_GROUPS: ${u}; left out of this run`);
    return {
      status: unresolved.length > 0 && status === "succeeded" ? "partial" : status,
      counts,
      errors: [...unresolved, ...errors],
      detail,
    };
  });
}

app.timer("reconcile", {
  schedule: process.env.RECONCILE_SCHEDULE ?? "0 0 */4 * * *",
  runOnStartup: false,
  handler: createReconcileHandler(getLiveDeps),
});
