import { app, type InvocationContext, type Timer } from "@azure/functions";
import { describeError } from "../errors/sync-error.js";
import type { LiveDeps } from "../live/live-deps.js";
import { groupsToSubscribe, maintainSubscriptions } from "../live/maintain-subscriptions.js";
import { reportRun } from "../telemetry/report-run.js";
import { getLiveDeps, withContextLogger } from "./runtime.js";

/**
 * Timer: keeps Graph subscriptions alive (SUBSCRIPTIONS_SCHEDULE, default hourly), with a run record. It subscribes to
 * the configured groups as resolved now, so the first run, before any reconcile, already covers them.
 */
export function createSubscriptionsHandler(
  getDeps: () => Promise<LiveDeps>,
): (timer: Timer, context: InvocationContext) => Promise<void> {
  return async (_timer, context) => {
    const deps = withContextLogger(await getDeps(), context);
    const startedAt = deps.now().toISOString();
    const base = { runId: deps.newId(), kind: "subscriptions" as const, trigger: "timer", startedAt };
    try {
      const groups = await groupsToSubscribe(deps);
      const upkeep = await maintainSubscriptions(deps, groups.groupIds);
      const errors = [...groups.errors, ...upkeep.failed];
      await reportRun(deps, {
        ...base,
        finishedAt: deps.now().toISOString(),
        status: errors.length > 0 ? "partial" : "succeeded",
        counts: {
          created: upkeep.created.length,
          renewed: upkeep.renewed.length,
          rotated: upkeep.rotated.length,
          deleted: upkeep.deleted.length,
        },
        errors,
        detail: { mode: upkeep.mode, ...(upkeep.skipped ? { skipped: upkeep.skipped } : {}) },
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

app.timer("subscriptions", {
  schedule: process.env.SUBSCRIPTIONS_SCHEDULE ?? "0 15 * * * *",
  runOnStartup: false,
  handler: createSubscriptionsHandler(getLiveDeps),
});
