import { describeError } from "../errors/sync-error.js";
import type { LiveDeps } from "../live/live-deps.js";
import type { DeltaChain, RunRecord, SubscriptionRecord } from "../state/sync-state-store.js";
import { ACTIVITY_HOURS, type ActivityHour, buildActivity } from "./build-activity.js";
import { DEFAULT_HEALTH_THRESHOLDS, type HealthThresholds, type HealthVerdict, judgeHealth } from "./judge-health.js";

/** One run, as the status surface shows it. */
export interface RunSummary {
  runId: string;
  kind: RunRecord["kind"];
  trigger: string;
  status: RunRecord["status"];
  startedAt: string;
  durationMs: number;
  counts: Record<string, number>;
  /** The first few error lines (secret-free by the run record's contract). */
  errors: string[];
  errorCount: number;
  detail: Record<string, string | number | boolean>;
}

/** One Graph subscription: never its clientState, nor its notification URL (which carries the function key). */
export interface SubscriptionSummary {
  resource: string;
  /** The group's name, for a subscription on one group. */
  name?: string;
  kind: SubscriptionRecord["kind"];
  expires: string;
  /** Negative once expired; one decimal. */
  hoursLeft: number;
}

/** One delta chain: never its delta link (an opaque Graph URL), only its age. */
export interface ChainSummary {
  chainId: string;
  kind: DeltaChain["kind"];
  groupCount: number;
  /** The groups' names as last read (the ids are in the report's `groupNames`). */
  groups: { id: string; name: string }[];
  /** Hours since the link was stored (one decimal), or "none yet" before the chain's first round. */
  deltaLinkAgeHours: number | "none yet";
  updatedAt: string;
}

/** Everything the status endpoint and page show. Plain JSON-able data; contains no secret. */
export interface StatusReport {
  generatedAt: string;
  verdict: HealthVerdict;
  /** The last runs, newest first. */
  runs: RunSummary[];
  subscriptions: SubscriptionSummary[];
  chains: ChainSummary[];
  /** Null when the queue could not be read (the verdict then says so). */
  queue: { queued: number; poison: number } | null;
  /** The newest reconcile run, with `finishedAt` as `when`; null when none is among the runs read. */
  lastReconcile: { when: string; status: RunRecord["status"] } | null;
  /** Every synced Entra group's name as last read, by id (from the delta chains): the page shows names, ids on hover. */
  groupNames: Record<string, string>;
  /** The last 24 hours from the audit trail, hour by hour; null when the trail is missing or unreadable. */
  activity: ActivityHour[] | null;
}

export interface StatusReportOptions {
  thresholds?: Partial<HealthThresholds>;
  /** How many runs the report lists (default 20). */
  runsShown?: number;
}

/** How many runs are read to find the last reconcile and recent troubles. */
const RUNS_JUDGED = 500;
const ERRORS_SHOWN = 3;
const SECRET_KEY = /secret|client.?state|password|token|key|code|sig/i;

/**
 * Reads runs, subscriptions, delta chains and queue depth, and judges them (see `judgeHealth`). Never throws for a
 * state or queue read that fails: the report then says "failing" and names what could not be read.
 */
export async function buildStatusReport(
  deps: Pick<LiveDeps, "state" | "queue" | "now" | "settings" | "audit">,
  options: StatusReportOptions = {},
): Promise<StatusReport> {
  const thresholds = { ...DEFAULT_HEALTH_THRESHOLDS, ...options.thresholds };
  const now = deps.now();
  const [runs, subscriptions, groupChains, userChains, queue, trailRuns] = await Promise.allSettled([
    deps.state.listRuns({ limit: RUNS_JUDGED }),
    deps.state.listSubscriptions(),
    deps.state.listDeltaChains("groups"),
    deps.state.listDeltaChains("users"),
    deps.queue.depth(),
    deps.audit ? deps.audit.listRunsSince(new Date(now.getTime() - ACTIVITY_WINDOW_MS)) : Promise.reject("none"),
  ]);
  const unreadable: string[] = [];
  const settled = <T>(result: PromiseSettledResult<T>, what: string, fallback: T): T => {
    if (result.status === "fulfilled") return result.value;
    unreadable.push(
      `Cannot read ${what}: ${describeError(result.reason)}; check the storage account (AzureWebJobsStorage).`,
    );
    return fallback;
  };
  const runList = settled(runs, "the run records", []);
  const subList = settled(subscriptions, "the subscriptions", []);
  const chainList = [
    ...settled(groupChains, "the group delta chains", []),
    ...settled(userChains, "the users delta chain", []),
  ];
  const depth = settled<{ queued: number; poison: number } | null>(queue, "the queue depth", null);

  const judged = judgeHealth(
    {
      now,
      runs: runList,
      subscriptions: subList,
      chains: chainList.map((c) => ({
        chainId: c.chainId,
        hasDeltaLink: c.deltaLink !== undefined,
        updatedAt: c.updatedAt,
      })),
      queue: depth ?? { queued: 0, poison: 0 },
      notificationsConfigured: Boolean(deps.settings.NOTIFICATION_URL),
    },
    thresholds,
  );
  const verdict: HealthVerdict =
    unreadable.length > 0
      ? { level: "failing", reasons: [...unreadable, ...(judged.level === "healthy" ? [] : judged.reasons)] }
      : judged;
  const reconcile = runList.find((r) => r.kind === "reconcile");
  const groupNames: Record<string, string> = {};
  for (const chain of chainList) {
    chain.groupIds.forEach((id, i) => {
      const name = chain.groupNames?.[i];
      if (name !== undefined) groupNames[id.toLowerCase()] = name;
    });
  }
  const hoursSince = (iso: string): number => round1((now.getTime() - Date.parse(iso)) / 3_600_000);
  return {
    generatedAt: now.toISOString(),
    verdict,
    runs: runList.slice(0, options.runsShown ?? 20).map(summarizeRun),
    subscriptions: subList
      .map((s) => ({
        resource: s.resource,
        ...(s.groupId !== undefined && groupNames[s.groupId.toLowerCase()] !== undefined
          ? { name: groupNames[s.groupId.toLowerCase()] }
          : {}),
        kind: s.kind,
        expires: s.expirationDateTime,
        hoursLeft: round1((Date.parse(s.expirationDateTime) - now.getTime()) / 3_600_000),
      }))
      .sort((a, b) => a.expires.localeCompare(b.expires) || a.resource.localeCompare(b.resource)),
    chains: chainList
      .map((c) => ({
        chainId: c.chainId,
        kind: c.kind,
        groupCount: c.groupIds.length,
        groups: c.groupIds.map((id) => ({ id: id.toLowerCase(), name: groupNames[id.toLowerCase()] ?? id })),
        deltaLinkAgeHours: c.deltaLink === undefined ? ("none yet" as const) : hoursSince(c.updatedAt),
        updatedAt: c.updatedAt,
      }))
      .sort((a, b) => a.chainId.localeCompare(b.chainId, "en", { numeric: true })),
    queue: depth,
    lastReconcile: reconcile ? { when: reconcile.finishedAt, status: reconcile.status } : null,
    groupNames,
    activity: trailRuns.status === "fulfilled" ? buildActivity(trailRuns.value, now) : null,
  };
}

const ACTIVITY_WINDOW_MS = ACTIVITY_HOURS * 3_600_000;

function summarizeRun(run: RunRecord): RunSummary {
  const detail: RunSummary["detail"] = {};
  for (const [key, value] of Object.entries(run.detail ?? {})) if (!SECRET_KEY.test(key)) detail[key] = value;
  return {
    runId: run.runId,
    kind: run.kind,
    trigger: run.trigger,
    status: run.status,
    startedAt: run.startedAt,
    durationMs: Math.max(0, Date.parse(run.finishedAt) - Date.parse(run.startedAt)),
    counts: { ...run.counts },
    errors: run.errors.slice(0, ERRORS_SHOWN),
    errorCount: run.errors.length,
    detail,
  };
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
