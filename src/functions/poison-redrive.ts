import { app, type InvocationContext, type Timer } from "@azure/functions";
import { describeError } from "../errors/sync-error.js";
import type { LiveDeps } from "../live/live-deps.js";
import { redrivePoison } from "../live/redrive-poison.js";
import { reportRun } from "../telemetry/report-run.js";
import { getLiveDeps, withContextLogger } from "./runtime.js";

/** Timer: sends poisoned messages back to the work queue, with backoff (POISON_REDRIVE_SCHEDULE, default every 15 min). */
export function createPoisonRedriveHandler(
  getDeps: () => Promise<LiveDeps>,
): (timer: Timer, context: InvocationContext) => Promise<void> {
  return async (_timer, context) => {
    const deps = withContextLogger(await getDeps(), context);
    const startedAt = deps.now().toISOString();
    const base = { runId: deps.newId(), kind: "worker" as const, trigger: "poison-redrive", startedAt };
    try {
      const outcome = await redrivePoison(deps);
      if (outcome.redriven === 0) return;
      await reportRun(deps, {
        ...base,
        finishedAt: deps.now().toISOString(),
        status: "succeeded",
        counts: { redriven: outcome.redriven },
        errors: [],
      });
    } catch (error) {
      await reportRun(deps, {
        ...base,
        finishedAt: deps.now().toISOString(),
        status: "failed",
        counts: {},
        errors: [describeError(error)],
      });
      throw error;
    }
  };
}

app.timer("poison-redrive", {
  schedule: process.env.POISON_REDRIVE_SCHEDULE ?? "0 */15 * * * *",
  runOnStartup: false,
  handler: createPoisonRedriveHandler(getLiveDeps),
});
