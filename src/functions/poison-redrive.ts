import { app } from "@azure/functions";
import type { LiveDeps } from "../live/live-deps.js";
import { redrivePoison } from "../live/redrive-poison.js";
import { getLiveDeps } from "./runtime.js";
import { timerHandler } from "./timer-run.js";

/** Timer: sends poisoned messages back to the work queue, with backoff (POISON_REDRIVE_SCHEDULE, default every 15 min). */
export function createPoisonRedriveHandler(getDeps: () => Promise<LiveDeps>) {
  return timerHandler(getDeps, "worker", "poison-redrive", async (deps) => {
    const { redriven } = await redrivePoison(deps);
    return redriven === 0 ? undefined : { status: "succeeded", counts: { redriven }, errors: [] };
  });
}

app.timer("poison-redrive", {
  schedule: process.env.POISON_REDRIVE_SCHEDULE ?? "0 */15 * * * *",
  runOnStartup: false,
  handler: createPoisonRedriveHandler(getLiveDeps),
});
