import type { RunRecord } from "../state/sync-state-store.js";

/** How healthy the sync is, worst first in `reasons`. */
export interface HealthVerdict {
  level: "healthy" | "degraded" | "failing";
  /** Plain sentences, each naming the object concerned and the next step; one summary sentence when healthy. */
  reasons: string[];
}

/** The limits the verdict applies. All durations are in hours unless named otherwise. */
export interface HealthThresholds {
  /** Failing when no reconcile succeeded within this many hours (2× the reconcile schedule's interval). */
  maxReconcileAgeHours: number;
  /** Degraded when a subscription expires within this many hours (renewal runs a day before expiry). */
  subscriptionWarnHours: number;
  /** Degraded when a delta link is older than this many days. */
  deltaWarnDays: number;
  /** Failing when a delta link is older than this many days (Graph expires them at 7). */
  deltaFailDays: number;
  /** Degraded when more messages than this wait in the work queue. */
  queueBacklog: number;
  /** What "recent" means for partial/refused/failed runs and for poison runs. */
  recentHours: number;
}

/** 2× the default 4-hour reconcile; 12 h before a subscription expires; 3 and 6 days for delta links. */
export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = {
  maxReconcileAgeHours: 8,
  subscriptionWarnHours: 12,
  deltaWarnDays: 3,
  deltaFailDays: 6,
  queueBacklog: 100,
  recentHours: 24,
};

/** What the verdict looks at: plain data, already read. */
export interface HealthInput {
  now: Date;
  /** Newest first. */
  runs: Pick<RunRecord, "kind" | "trigger" | "status" | "startedAt" | "finishedAt">[];
  subscriptions: { resource: string; expirationDateTime: string }[];
  /** `updatedAt` is when the delta link was stored; chains without a link yet are not judged on age. */
  chains: { chainId: string; hasDeltaLink: boolean; updatedAt: string }[];
  queue: { queued: number; poison: number };
  /** False when NOTIFICATION_URL is not set: then no subscription is expected. */
  notificationsConfigured: boolean;
}

const HOUR_MS = 3_600_000;
const hours = (ms: number): string => `${(ms / HOUR_MS).toFixed(1)} h`;
const days = (ms: number): string => `${(ms / (24 * HOUR_MS)).toFixed(1)} days`;

/**
 * The status verdict. Pure: the same input gives the same verdict.
 *
 * Failing: the last reconcile failed; no reconcile succeeded within `maxReconcileAgeHours` (or ever); a subscription
 * has expired; a delta link is older than `deltaFailDays`; the poison queue holds messages and a run was poisoned
 * within `recentHours`.
 * Degraded: a subscription expires within `subscriptionWarnHours`; a delta link is older than `deltaWarnDays`; more
 * than `queueBacklog` messages wait; runs within `recentHours` ended `partial`, `refused` or `failed`; the poison
 * queue holds only old messages; notifications are configured but no subscription exists.
 * Healthy otherwise.
 */
export function judgeHealth(
  input: HealthInput,
  thresholds: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS,
): HealthVerdict {
  const now = input.now.getTime();
  const failing: string[] = [];
  const degraded: string[] = [];
  const age = (iso: string): number => now - Date.parse(iso);
  const recent = (iso: string): boolean => age(iso) <= thresholds.recentHours * HOUR_MS;

  // Reconcile: the safety net under the notifications.
  const reconciles = input.runs.filter((r) => r.kind === "reconcile");
  const last = reconciles[0];
  const lastGood = reconciles.find((r) => r.status === "succeeded");
  if (last?.status === "failed") {
    failing.push(
      `The last reconcile (${last.startedAt}) failed: read its errors in the runs table below and fix the cause; ` +
        "the next timer run retries.",
    );
  }
  if (!lastGood) {
    failing.push(
      "No reconcile has succeeded yet: run the reconcile function once (or wait for its schedule) and check its run.",
    );
  } else if (age(lastGood.finishedAt) > thresholds.maxReconcileAgeHours * HOUR_MS) {
    failing.push(
      `No reconcile has succeeded for ${hours(age(lastGood.finishedAt))} (limit ${thresholds.maxReconcileAgeHours} h): ` +
        "check that the reconcile timer function is running and read its last run.",
    );
  }

  // Subscriptions: without them, changes wait for the next reconcile.
  for (const sub of input.subscriptions) {
    const left = Date.parse(sub.expirationDateTime) - now;
    if (left <= 0) {
      failing.push(
        `The subscription on ${sub.resource} expired ${hours(-left)} ago: change notifications for it have stopped; ` +
          "run the subscriptions function, which recreates it.",
      );
    } else if (left <= thresholds.subscriptionWarnHours * HOUR_MS) {
      degraded.push(
        `The subscription on ${sub.resource} expires in ${hours(left)} and has not been renewed: ` +
          "check the last runs of the subscriptions function.",
      );
    }
  }
  if (input.notificationsConfigured && input.subscriptions.length === 0 && input.chains.length > 0) {
    degraded.push(
      "No Graph subscription exists although NOTIFICATION_URL is set: changes reach MI only at the next reconcile; " +
        "check the last runs of the subscriptions function.",
    );
  }

  // Delta links: Graph forgets them after 7 days, and then the chain must be resynced in full.
  for (const chain of input.chains) {
    if (!chain.hasDeltaLink) continue;
    const linkAge = age(chain.updatedAt);
    if (linkAge > thresholds.deltaFailDays * 24 * HOUR_MS) {
      failing.push(
        `The delta link of chain ${chain.chainId} is ${days(linkAge)} old (Graph expires it at 7 days): ` +
          "run a reconcile, which restarts every chain's delta.",
      );
    } else if (linkAge > thresholds.deltaWarnDays * 24 * HOUR_MS) {
      degraded.push(
        `The delta link of chain ${chain.chainId} is ${days(linkAge)} old: no reconcile has refreshed it; ` +
          "check the reconcile function.",
      );
    }
  }

  // The queue.
  if (input.queue.poison > 0) {
    const poisoned = input.runs.filter((r) => r.status === "poison" && recent(r.startedAt));
    (poisoned.length > 0 ? failing : degraded).push(
      `The poison queue mi-sync-poison holds ${input.queue.poison} message(s)` +
        (poisoned.length > 0
          ? `, ${poisoned.length} poisoned in the last ${thresholds.recentHours} h: read the poison runs' errors, ` +
            "fix the cause, then resync the groups concerned (or wait for the reconcile) and clear the poison queue."
          : ", none recent: read them, then clear the poison queue."),
    );
  }
  if (input.queue.queued > thresholds.queueBacklog) {
    degraded.push(
      `${input.queue.queued} messages wait in the mi-sync queue (more than ${thresholds.queueBacklog}): ` +
        "the worker is behind or stopped; check the sync-worker function.",
    );
  }

  // Recent runs that did not fully succeed (the last reconcile's failure is reported above).
  const troubled = input.runs.filter(
    (r) =>
      recent(r.startedAt) &&
      (r.status === "partial" || r.status === "refused" || (r.status === "failed" && r !== last)),
  );
  for (const status of ["refused", "partial", "failed"] as const) {
    const these = troubled.filter((r) => r.status === status);
    const newest = these[0];
    if (!newest) continue;
    const next =
      status === "refused"
        ? "the removal guard (--max-removals) refused the plan; check the plan with a resync on demand before raising the limit"
        : status === "partial"
          ? "some operations failed; read the run's errors"
          : "read the run's errors (failed worker runs are retried)";
    degraded.push(
      `${these.length} run(s) in the last ${thresholds.recentHours} h ended ${status}, ` +
        `the newest a ${newest.kind} run (${newest.trigger}) at ${newest.startedAt}: ${next}.`,
    );
  }

  if (failing.length > 0) return { level: "failing", reasons: [...failing, ...degraded] };
  if (degraded.length > 0) return { level: "degraded", reasons: degraded };
  const summary = lastGood
    ? `The last reconcile succeeded ${hours(age(lastGood.finishedAt))} ago; subscriptions, delta links and the queue are in order.`
    : "All in order.";
  return { level: "healthy", reasons: [summary] };
}
