import { app } from "@azure/functions";
import type { LiveDeps } from "../live/live-deps.js";
import { groupsToSubscribe, maintainSubscriptions } from "../live/maintain-subscriptions.js";
import { getLiveDeps } from "./runtime.js";
import { timerHandler } from "./timer-run.js";

/**
 * Timer: keeps Graph subscriptions alive (SUBSCRIPTIONS_SCHEDULE, default hourly), with a run record. It subscribes to
 * the configured groups as resolved now, so the first run, before any reconcile, already covers them.
 */
export function createSubscriptionsHandler(getDeps: () => Promise<LiveDeps>) {
  return timerHandler(getDeps, "subscriptions", "timer", async (deps) => {
    const groups = await groupsToSubscribe(deps);
    const upkeep = await maintainSubscriptions(deps, groups.groupIds);
    const errors = [...groups.errors, ...upkeep.failed];
    return {
      status: errors.length > 0 ? "partial" : "succeeded",
      counts: {
        created: upkeep.created.length,
        renewed: upkeep.renewed.length,
        rotated: upkeep.rotated.length,
        deleted: upkeep.deleted.length,
      },
      errors,
      detail: { mode: upkeep.mode, ...(upkeep.skipped ? { skipped: upkeep.skipped } : {}) },
    };
  });
}

app.timer("subscriptions", {
  schedule: process.env.SUBSCRIPTIONS_SCHEDULE ?? "0 15 * * * *",
  runOnStartup: false,
  handler: createSubscriptionsHandler(getLiveDeps),
});
