import { freePort } from "../../sim/sandbox/free-port.js";
import { runTimerFunction } from "../../sim/sandbox/run-timer-function.js";
import { waitUntil } from "../../sim/sandbox/wait-until.js";
import { buildLiveDeps } from "../../src/functions/runtime.js";
import { MIN_ROUND_INTERVAL_MS } from "../../src/live/delta-chains.js";
import type { LiveDeps } from "../../src/live/live-deps.js";
import { type BenchResult, figure } from "../report.js";
import { runSync } from "../run-sync.js";
import { childCliEnvironment, launchSim, type SimProcess, setSimLatency } from "../sims/launch.js";
import { launchStorageAccount } from "../sims/launch-storage.js";
import { startNotificationFront } from "../sims/notification-front.js";
import { startServeFleet } from "../sims/serve-fleet.js";
import { type BenchTenant, GROUP_PREFIX, generateTenant } from "../tenant/generate-tenant.js";
import { Prng } from "../tenant/prng.js";
import { SYNC_ARGS } from "./cli-scenarios.js";
import {
  type BenchConfig,
  type BenchContext,
  baseResult,
  type GraphCounters,
  heapArguments,
  type MiCounters,
} from "./context.js";

export type LiveScenario = "single-change" | "burst";

/** Single-change scenario: this many changes, one at a time (the issue asks for at least 50). */
export const SINGLE_CHANGES = Number(process.env.BENCH_SINGLE_CHANGES ?? 50);
/** Burst scenario: this many changes spread evenly over `BURST_SECONDS`. */
export const BURST_CHANGES = 1000;
export const BURST_SECONDS = 60;
/**
 * The burst bound's coalescing window: changes to one delta chain within this long can share one delta round (and
 * its `$batch`). One second: the granularity of a queue's visibility delay, and short against a sync's latency target.
 */
export const COALESCE_WINDOW_MS = 1000;

const FUNCTION_KEY = "bench-function-key";
const MASTER_KEY = "bench-master-key-not-a-secret";
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

export interface Change {
  op: "add" | "remove";
  groupId: string;
  groupName: string;
  userId: string;
  username: string;
}

/**
 * The live path with every part in its own process, as in production: the Graph child sends real change
 * notifications over http to the Functions app run by `mi-o365-usersync serve` (a child process: the app's own
 * registrations, host.json and queue trigger), Azurite (in the bench process) holds the state and the `mi-sync`
 * queue. The timers run through serve's admin API.
 *
 * Set-up (not measured): the real CLI's full sync (so MI holds the tenant), then the timer reconcile once, which lays
 * out the delta chains and creates the subscriptions.
 */
export async function runLiveScenarios(
  config: BenchConfig,
  scenarios: LiveScenario[],
  log: (line: string) => void,
  onResult: (result: BenchResult) => void = () => {},
  instances = 1,
): Promise<BenchResult[]> {
  const tenant = generateTenant(config.size, config.seed);
  const [graph, mi] = await Promise.all([
    launchSim("graph", [
      "--size",
      config.size,
      "--seed",
      String(config.seed),
      "--latency-ms",
      String(config.graphLatencyMs),
      "--ru-quota",
      String(config.ruQuotaPer10s),
    ]),
    launchSim("mi", [
      "--latency-ms",
      String(config.miLatencyMs),
      "--mi-concurrency-cap",
      String(config.miConcurrencyCap),
    ]),
  ]);
  const env = childCliEnvironment(graph, mi);
  // Storage as separate processes too, as Azure's are separate services (not in this process, which polls MI).
  const azurite = await launchStorageAccount();
  const ports = await Promise.all(Array.from({ length: instances }, () => freePort()));
  // One instance: Graph posts to it directly. Several: to a front door that hands each POST to the next instance, as
  // Azure's front end does (the soak's, without its chaos).
  let fleetUp: () => string[] = () => [];
  const front = instances > 1 ? await startNotificationFront(() => fleetUp(), config.seed + 7) : undefined;
  const origin = front?.origin ?? `http://127.0.0.1:${ports[0]}`;
  const appSettings: Record<string, string> = {
    ...env,
    AzureWebJobsStorage: azurite.connectionString,
    NOTIFICATION_URL: `${origin}/api/graph/notifications?code=${FUNCTION_KEY}`,
    LIFECYCLE_NOTIFICATION_URL: `${origin}/api/graph/lifecycle?code=${FUNCTION_KEY}`,
    SYNC_FILTER: GROUP_PREFIX,
    SYNC_AUTO_CREATE: "all",
    SYNC_PROCESS_CHILD_GROUPS: "true",
    // As the CLI scenarios: as much of MI as the benchmark's MI allows.
    ...(config.miConcurrencyCap > 0 ? { MI_CONCURRENCY: String(Math.min(32, config.miConcurrencyCap)) } : {}),
    // The heap the app ships for the instance size (main.bicep's languageWorkers__node__arguments): serve runs the
    // app in its own process, as the Functions host runs the worker.
    NODE_OPTIONS: heapArguments(config.heap) ?? "",
  };
  const fleet = await startServeFleet(ports, {
    ...process.env,
    ...appSettings,
    FUNCTIONS_DEFAULT_KEY: FUNCTION_KEY,
    FUNCTIONS_MASTER_KEY: MASTER_KEY,
    // The timers run when the bench says so, never on their schedule in the middle of a scenario.
    "AzureWebJobs.reconcile.Disabled": "true",
    "AzureWebJobs.subscriptions.Disabled": "true",
    "AzureWebJobs.poison-redrive.Disabled": "true",
  });
  fleetUp = () => fleet.up();
  const serveUrl = fleet.up()[0]!;
  const deps = await buildLiveDeps(appSettings);
  const runner = {
    idle: () => waitUntil(async () => (await deps.queue.depth()).queued === 0, "an empty work queue"),
  };
  const results: BenchResult[] = [];
  try {
    const t0 = performance.now();
    // The set-up is not measured: it runs without the injected latencies.
    await setSimLatency(graph, mi, 0, 0);
    const cli = await runSync(SYNC_ARGS, { ...process.env, ...env } as Record<string, string>);
    if (cli.status !== 0) throw new Error(`set-up sync exited ${cli.status}: ${cli.stderrTail}`);
    await runTimerFunction({ url: serveUrl, masterKey: MASTER_KEY }, "reconcile", "reconcile", deps.state);
    await runner.idle();
    await setSimLatency(graph, mi, config.graphLatencyMs, config.miLatencyMs);
    const subs = await graph.get<{ subscriptions: number }>("/deliveries");
    log(
      `${config.size} live: set-up (CLI sync + timer reconcile) in ${((performance.now() - t0) / 1000).toFixed(1)} s, ` +
        `${subs.subscriptions} subscription(s)`,
    );
    const ctx: BenchContext = { config, graph, mi, tenant, env, created: new Set(), log };
    const chainOf = new Map(
      (await deps.state.listDeltaChains("groups")).flatMap((c) => c.groupIds.map((g) => [g, c.chainId] as const)),
    );
    const live: Live = {
      graph,
      mi,
      runner,
      tenant,
      chainOf,
      transitive: appSettings.SYNC_PROCESS_CHILD_GROUPS === "true",
      deps,
      instances,
    };
    for (const scenario of scenarios) {
      const result = scenario === "single-change" ? await singleChange(ctx, live) : await burst(ctx, live);
      results.push(result);
      onResult(result);
    }
  } catch (error) {
    // What the app said is the cause the bench cannot see: the last lines of each instance's log go with the error.
    for (const [i, serve] of fleet.processes.entries()) {
      log(`serve ${i + 1} (last ${Math.min(40, serve.stderr.length)} log lines):`);
      for (const line of serve.stderr.slice(-40)) log(`  ${line}`);
    }
    throw error;
  } finally {
    await fleet.stop();
    await front?.close();
    await azurite.close();
    await Promise.all([graph.close(), mi.close()]);
  }
  return results;
}

interface Live {
  graph: SimProcess;
  mi: SimProcess;
  runner: { idle(): Promise<void> };
  tenant: BenchTenant;
  /** Delta chain of each synced group (lowercase id). */
  chainOf: Map<string, string>;
  /** Whether nested groups are synced (the fast path then reads each changed group's nesting). */
  transitive: boolean;
  deps: LiveDeps;
  /** `serve` instances sharing the storage account and the queue. */
  instances: number;
}

/**
 * The burst's Graph lower bound: changes grouped into COALESCE_WINDOW_MS windows by when they were made; for each
 * window and delta chain with changes, one delta read plus the `$batch` requests that carry what those changes need
 * to know (the added users' properties, and with nested groups each changed group's place among groups), 20 per
 * `$batch`.
 */
export function burstGraphBound(
  made: { change: Change; atMs: number }[],
  chainOf: Map<string, string>,
  transitive: boolean,
): { requests: number; rounds: number } {
  const rounds = new Map<string, { added: Set<string>; groups: Set<string> }>();
  for (const { change, atMs } of made) {
    const key = `${Math.floor(atMs / COALESCE_WINDOW_MS)}:${chainOf.get(change.groupId.toLowerCase()) ?? "?"}`;
    const round = rounds.get(key) ?? { added: new Set(), groups: new Set() };
    if (change.op === "add") round.added.add(change.userId);
    round.groups.add(change.groupId);
    rounds.set(key, round);
  }
  let requests = 0;
  for (const round of rounds.values()) {
    const inner = round.added.size + (transitive ? 2 * round.groups.size : 0);
    requests += 1 + Math.ceil(inner / 20);
  }
  return { requests, rounds: rounds.size };
}

/**
 * The burst's MI-read lower bound: a removal needs the membership's id (MI deletes `user_group_member/id/<id>` only,
 * contract §2.3), which only a read of the group's members gives; an add needs only ids the app already holds. So at
 * least one read per MI group and COALESCE_WINDOW_MS window with a removal.
 */
export function burstMiReadBound(made: { change: Change; atMs: number }[]): number {
  const reads = new Set<string>();
  for (const { change, atMs } of made) {
    if (change.op === "remove") reads.add(`${Math.floor(atMs / COALESCE_WINDOW_MS)}:${change.groupId}`);
  }
  return reads.size;
}

/** Groups no other group contains (a change there resyncs one group, not its ancestors too). */
export function topLevelGroups(tenant: BenchTenant): number[] {
  const nested = new Set(tenant.groups.flatMap((gr) => gr.groupMembers));
  return tenant.groups.map((_, i) => i).filter((i) => !nested.has(i) && tenant.groups[i]!.groupMembers.length === 0);
}

/** A membership change drawn deterministically: alternately adding a user not in the group and removing one. */
export function drawChange(tenant: BenchTenant, rng: Prng, candidates: number[], add: boolean): Change {
  for (;;) {
    const gi = rng.pick(candidates);
    const group = tenant.groups[gi]!;
    let ui: number;
    if (add) {
      ui = rng.int(tenant.users.length);
      if (group.userMembers.has(ui)) continue;
      group.userMembers.add(ui);
    } else {
      if (group.userMembers.size < 2) continue;
      const members = [...group.userMembers];
      ui = members[rng.int(members.length)]!;
      group.userMembers.delete(ui);
    }
    const user = tenant.users[ui]!;
    return {
      op: add ? "add" : "remove",
      groupId: group.id,
      groupName: group.displayName,
      userId: user.id,
      username: user.userPrincipalName,
    };
  }
}

async function applied(mi: SimProcess, changes: Change[]): Promise<boolean[]> {
  const { present } = await mi.post<{ present: boolean[] }>("/check", {
    items: changes.map((c) => ({ group: c.groupName, username: c.username })),
  });
  return present.map((p, i) => p === (changes[i]!.op === "add"));
}

/** Notification POSTs the Graph child has made so far. */
async function notificationPosts(live: Live): Promise<number> {
  return (await live.graph.get<{ posts: number }>("/deliveries")).posts;
}

async function counters(live: Live): Promise<{ graph: GraphCounters; mi: MiCounters }> {
  const [graph, mi] = await Promise.all([
    live.graph.get<GraphCounters>("/requests"),
    live.mi.get<MiCounters>("/requests"),
  ]);
  return { graph, mi };
}

/**
 * One change at a time, SINGLE_CHANGES times: latency from the change in Entra (the control call that makes it) to
 * MI showing it (polled every 2 ms through the MI child's control API), and the requests each change cost.
 * Bounds: the notification names the group, so one Graph delta read (the member and its user) and one MI write are
 * the least a change can cost (2 requests; the issue's target is ≤ 4); the latency bound is the notification batch
 * window (20 ms in the simulator) + one Graph latency + one MI latency.
 */
async function singleChange(ctx: BenchContext, live: Live): Promise<BenchResult> {
  const rng = new Prng(ctx.config.seed + 2);
  const candidates = topLevelGroups(live.tenant);
  const latencies: number[] = [];
  const perChange: Array<{
    graph: number;
    ru: number;
    miReads: number;
    miWrites: number;
    miTokens: number;
    posts: number;
    /** The worker runs the change caused: `<message>:<path>` (path: delta, full, coalesced...). */
    runs: string[];
  }> = [];
  let lastByRoute: { graph: Record<string, number>; mi: Record<string, number> } = { graph: {}, mi: {} };
  for (let i = 0; i < SINGLE_CHANGES; i++) {
    const change = drawChange(live.tenant, rng, candidates, i % 2 === 0);
    await live.runner.idle();
    // One change on its own: past the chain's round interval since the last one (closer changes are a burst).
    await sleep(MIN_ROUND_INTERVAL_MS);
    await Promise.all([live.graph.post("/reset"), live.mi.post("/reset")]);
    const posts = await notificationPosts(live);
    const t0 = performance.now();
    const since = new Date().toISOString();
    await live.graph.post("/member", change);
    const deadline = Date.now() + 30_000;
    while (!(await applied(live.mi, [change]))[0]) {
      if (Date.now() > deadline) throw new Error(`change ${i + 1} did not reach MI within 30 s`);
      await sleep(2);
    }
    latencies.push(performance.now() - t0);
    const idleFrom = performance.now();
    await live.runner.idle();
    if ((i + 1) % 10 === 0) {
      ctx.log(
        `  single-change ${i + 1}/${SINGLE_CHANGES}: last latency ${latencies.at(-1)?.toFixed(0)} ms, ` +
          `worker idle after ${(performance.now() - idleFrom).toFixed(0)} ms`,
      );
    }
    const c = await counters(live);
    lastByRoute = { graph: c.graph.byRoute, mi: c.mi.byRoute };
    perChange.push({
      graph: c.graph.total,
      ru: c.graph.resourceUnits,
      miReads: c.mi.reads,
      miWrites: c.mi.writes,
      miTokens: c.mi.tokenRequests,
      posts: (await notificationPosts(live)) - posts,
      runs: (await live.deps.state.listRuns({ limit: 20 }))
        .filter((r) => r.kind === "worker" && r.startedAt >= since)
        .map(
          (r) =>
            `${String(r.detail?.message)}:${String(r.detail?.path ?? "-")}${r.detail?.fullReason ? ` (${String(r.detail.fullReason)})` : ""}`,
        )
        .reverse(),
    });
  }
  const med = (k: Exclude<keyof (typeof perChange)[number], "runs">): number =>
    percentile(
      perChange.map((p) => p[k]),
      50,
    );
  const latencyBound = 20 + ctx.config.graphLatencyMs + ctx.config.miLatencyMs;
  const requests = med("graph") + med("miReads") + med("miWrites") + med("miTokens");
  const result = baseResult(ctx, "single-change", [
    figure("latency median", "ms", percentile(latencies, 50), latencyBound, "≤ 200 ms"),
    figure("latency p95", "ms", percentile(latencies, 95), latencyBound, "≤ 300 ms"),
    figure("HTTP requests per change (median, w/o notification)", "req", requests, 2, "≤ 4"),
    figure("Graph requests per change (median)", "req", med("graph"), 1),
    figure("Graph resource units per change (median)", "RU", med("ru"), 5),
    figure("MI reads per change (median)", "req", med("miReads"), 0),
    figure("MI writes per change (median)", "req", med("miWrites"), 1),
    figure("notification POSTs per change (median)", "req", med("posts"), 1),
  ]);
  result.detail = {
    changes: SINGLE_CHANGES,
    lastChangeByRoute: lastByRoute,
    latenciesMs: latencies.map((l) => Math.round(l)),
    perChange,
  };
  result.notes = [
    "Simulators and `mi-o365-usersync serve` (webhooks, queue trigger, worker) in separate processes; Azurite's tables and queues in two more processes.",
    "Latency includes the bench's polling of MI (every 2 ms over the MI child's control API) and the simulator's 20 ms notification batch window.",
  ];
  return result;
}

/**
 * BURST_CHANGES changes spread evenly over BURST_SECONDS (one every 60 ms), over the top-level groups; MI polled
 * every 25 ms for the ones not yet applied. Figures: requests per change on both sides (coalescing shows as fewer
 * than one worker run per change), latency median/p95/max, time from the last change to the last one applied.
 * Bounds: Graph requests as `burstGraphBound` (changes coalesce within COALESCE_WINDOW_MS per delta chain); exactly
 * one MI membership write that changes MI per change (the MI sim's 201/200 answers), none that MI finds already done.
 */
async function burst(ctx: BenchContext, live: Live): Promise<BenchResult> {
  const rng = new Prng(ctx.config.seed + 3);
  const candidates = topLevelGroups(live.tenant);
  await live.runner.idle();
  await Promise.all([live.graph.post("/reset"), live.mi.post("/reset")]);
  const posts = await notificationPosts(live);
  const interval = (BURST_SECONDS * 1000) / BURST_CHANGES;
  const pending: Array<{ change: Change; at: number }> = [];
  const latencies: number[] = [];
  const start = performance.now();
  let made = 0;
  let lastMadeAt = start;
  const seen = new Set<string>();
  let lastProgress = start;
  const history: { change: Change; atMs: number }[] = [];
  const since = new Date().toISOString();
  while (made < BURST_CHANGES || pending.length > 0) {
    const now = performance.now();
    const due = Math.min(BURST_CHANGES, Math.floor((now - start) / interval) + 1);
    const batch: Change[] = [];
    while (made < due) {
      let change = drawChange(live.tenant, rng, candidates, made % 2 === 0);
      // A later change to the same (group, user) would hide the first one's arrival; draw another.
      while (seen.has(`${change.groupId}:${change.userId}`))
        change = drawChange(live.tenant, rng, candidates, made % 2 === 0);
      seen.add(`${change.groupId}:${change.userId}`);
      batch.push(change);
      made++;
    }
    if (batch.length > 0) {
      await live.graph.post("/members", { changes: batch });
      const at = performance.now();
      lastMadeAt = at;
      for (const change of batch) {
        pending.push({ change, at });
        history.push({ change, atMs: at - start });
      }
    }
    if (pending.length > 0) {
      const ok = await applied(
        live.mi,
        pending.map((p) => p.change),
      );
      const t = performance.now();
      for (let i = pending.length - 1; i >= 0; i--) {
        if (ok[i]) {
          latencies.push(t - pending[i]!.at);
          pending.splice(i, 1);
        }
      }
    }
    if (performance.now() - lastMadeAt > 120_000)
      throw new Error(`burst: ${pending.length} changes not applied after 120 s`);
    if (performance.now() - lastProgress > 10_000) {
      lastProgress = performance.now();
      ctx.log(`  burst: ${made}/${BURST_CHANGES} made, ${pending.length} not yet in MI`);
    }
    await sleep(25);
  }
  const drainMs = performance.now() - lastMadeAt;
  await live.runner.idle();
  const c = await counters(live);
  const n = BURST_CHANGES;
  const bound = burstGraphBound(history, live.chainOf, live.transitive);
  const result = baseResult(ctx, live.instances > 1 ? `burst-x${live.instances}` : "burst", [
    figure("latency median", "ms", percentile(latencies, 50), 20 + ctx.config.graphLatencyMs + ctx.config.miLatencyMs),
    figure("latency p95", "ms", percentile(latencies, 95), null),
    figure("latency max", "ms", Math.max(...latencies), null),
    figure("drain after last change", "ms", drainMs, null),
    figure("Graph requests", "req", c.graph.total, bound.requests, "≤ 1.2×"),
    figure("Graph delta reads", "req", c.graph.byRoute["GET /groups/delta"] ?? 0, bound.rounds),
    figure("Graph resource units", "RU", c.graph.resourceUnits, null),
    figure("MI reads", "req", c.mi.reads, burstMiReadBound(history)),
    figure("MI membership writes that changed MI", "req", c.mi.membershipChanges, n, "= changes"),
    figure("MI membership writes MI found done", "req", c.mi.membershipNoOps, 0),
    figure("MI writes (all)", "req", c.mi.writes, n),
    figure("notification POSTs", "req", (await notificationPosts(live)) - posts, null),
  ]);
  const workerRuns: Record<string, number> = {};
  for (const r of await live.deps.state.listRuns({ limit: 1000 })) {
    if (r.startedAt < since || r.kind !== "worker") continue;
    const key = `${String(r.detail?.message)}:${String(r.detail?.path ?? r.status)}${r.detail?.fullReason ? ` (${String(r.detail.fullReason).replace(/[0-9a-f-]{36}/g, "<id>")})` : ""}`;
    workerRuns[key] = (workerRuns[key] ?? 0) + 1;
  }
  result.detail = {
    changes: n,
    seconds: BURST_SECONDS,
    workerRuns,
    latenciesMsSorted: [...latencies]
      .sort((a, b) => a - b)
      .filter((_, i) => i % 50 === 0)
      .map(Math.round),
    coalesceWindowMs: COALESCE_WINDOW_MS,
    boundRounds: bound.rounds,
    graphByRoute: c.graph.byRoute,
    miByRoute: c.mi.byRoute,
    graphThrottled: c.graph.throttledResponses,
    mi503: c.mi.unavailable503,
  };
  result.notes = [
    live.instances > 1
      ? `Simulators and ${live.instances} \`mi-o365-usersync serve\` processes sharing one storage account (Azurite's tables and queues in two processes); Graph posts to a front door that hands each POST to the next instance.`
      : "Simulators and `mi-o365-usersync serve` (webhooks, queue trigger, worker) in separate processes; Azurite's tables and queues in two more processes.",
    "Latency measured by polling MI every 25 ms (plus the poll's own time): up to ~30 ms of it is measurement.",
  ];
  return result;
}
