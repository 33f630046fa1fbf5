import { computeBounds, miTarget } from "../bounds.js";
import { type BenchResult, figure } from "../report.js";
import { runSync } from "../run-sync.js";
import { applyChurn, GROUP_PREFIX } from "../tenant/generate-tenant.js";
import { type BenchContext, baseResult, markSynced, readCounters, resetCounters } from "./context.js";

/** The command every CLI scenario runs: the cron line of a prefix-selected, nested tenant. */
export const SYNC_ARGS = ["provision", "--auto-create", "all", "--process-child-groups", "--filter", GROUP_PREFIX];

/** Churn scenario: this share of the direct user memberships changes between two runs. */
export const CHURN_FRACTION = 0.01;

export type CliScenario = "initial" | "steady" | "churn";

/** Graph's resource-unit window (contract §5: the quota is per 10 s). */
const RU_WINDOW_MS = 10_000;

/** The targets (issue 12), by scenario and size. */
function targets(scenario: CliScenario, size: string): { wall?: string; graph?: string; rss?: string } {
  const large = size === "L" || size === "XL";
  return {
    ...(scenario === "initial" ? { wall: size === "XL" ? "≤ 1.15×" : "≤ 1.5×" } : {}),
    ...(scenario === "steady" && large ? { wall: "≤ 1.3×" } : {}),
    ...(scenario === "steady" && large ? { graph: "≤ 1.05×" } : {}),
    ...(size === "L" ? { rss: "≤ 300 MB" } : size === "XL" ? { rss: "≤ 450 MB" } : {}),
  };
}

/**
 * Runs the real command once against the simulators and measures it against the bounds of the change it has to
 * make. `initial` expects an empty MI; `steady` and `churn` a synced one (main.ts runs `initial` first, unmeasured,
 * when it was not asked for).
 */
export async function runCliScenario(ctx: BenchContext, scenario: CliScenario): Promise<BenchResult> {
  const notes: string[] = [];
  if (scenario === "churn") {
    const before = miTarget(ctx.tenant);
    const seed = ctx.config.seed + 1;
    const changes = applyChurn(ctx.tenant, CHURN_FRACTION, seed);
    const answer = await ctx.graph.post<{ changes: number }>("/churn", { fraction: CHURN_FRACTION, seed });
    if (answer.changes !== changes.length)
      throw new Error(`churn mismatch: bench ${changes.length}, sim ${answer.changes}`);
    ctx.synced = before;
    notes.push(`${changes.length} direct user memberships changed (half added, half removed), seed ${seed}`);
  }
  const bounds = computeBounds({
    tenant: ctx.tenant,
    ...(scenario === "initial" ? {} : { before: ctx.synced, createdBefore: ctx.created }),
    graphLatencyMs: ctx.config.graphLatencyMs,
    miLatencyMs: ctx.config.miLatencyMs,
    miConcurrencyCap: ctx.config.miConcurrencyCap,
    ruQuotaPer10s: ctx.config.ruQuotaPer10s,
  });
  // Each run starts with Graph's whole resource-unit window, as a scheduled reconcile minutes after the last one
  // does: the bound counts no throttling left over from the run before.
  if (ctx.config.ruQuotaPer10s > 0) await new Promise((resolve) => setTimeout(resolve, RU_WINDOW_MS));
  await resetCounters(ctx);
  ctx.log(`  ${ctx.config.size} ${scenario}: running mi-o365-usersync ${SYNC_ARGS.join(" ")}`);
  const run = await runSync(SYNC_ARGS, ctx.env);
  const { graph, mi } = await readCounters(ctx);
  if (run.status === 0) markSynced(ctx);
  else notes.push(`the command exited ${run.status}: ${run.stderrTail.slice(-600)}`);
  if (graph.throttledResponses > 0)
    notes.push(`Graph answered ${graph.throttledResponses} requests with 429 (RU quota)`);
  if (mi.unavailable503 > 0) notes.push(`MI answered ${mi.unavailable503} requests with 503 (concurrency cap)`);

  const steady = scenario === "steady";
  const target = targets(scenario, ctx.config.size);
  const figures = [
    figure("wall time", "ms", run.wallMs, bounds.wallMs, target.wall),
    figure("Graph requests", "req", graph.total, bounds.graphRequests, target.graph),
    figure("Graph inner $batch requests", "req", graph.batchedRequests, bounds.graphBatchedRequests),
    figure("Graph resource units", "RU", graph.resourceUnits, bounds.graphResourceUnits),
    figure("MI reads", "req", mi.reads, bounds.miReads, steady ? "≤ 1.05×" : undefined),
    figure(
      "MI writes",
      "req",
      mi.writes,
      bounds.miWrites,
      steady ? "= 0" : scenario === "initial" ? "1.00" : undefined,
    ),
    figure("MI token requests", "req", mi.tokenRequests, bounds.miTokenRequests),
    figure("peak RSS (sync process)", "MB", run.peakRssMb, null, target.rss),
  ];
  const result = baseResult(ctx, scenario, figures);
  result.detail = {
    exitStatus: run.status,
    rssMethod: run.rssMethod,
    command: SYNC_ARGS,
    graphByRoute: graph.byRoute,
    graphPeakResourceUnitsPer10s: graph.peakResourceUnitsPer10s,
    graphThrottledResponses: graph.throttledResponses,
    miByRoute: mi.byRoute,
    mi503: mi.unavailable503,
    bound: bounds.detail,
    stdoutTail: run.stdoutTail.slice(-1500),
  };
  result.notes = notes;
  return result;
}
