import assert from "node:assert/strict";
import { test } from "node:test";
import { type HealthInput, judgeHealth } from "../../src/status/judge-health.js";

// The verdict rules, one row per rule: the input differs from a healthy baseline by one thing.

const NOW = new Date("2026-03-10T12:00:00Z");
const ago = (hours: number): string => new Date(NOW.getTime() - hours * 3_600_000).toISOString();
const ahead = (hours: number): string => new Date(NOW.getTime() + hours * 3_600_000).toISOString();

type Run = HealthInput["runs"][number];
const run = (kind: Run["kind"], status: Run["status"], hoursAgo: number, trigger = "timer"): Run => ({
  kind,
  trigger,
  status,
  startedAt: ago(hoursAgo),
  finishedAt: ago(hoursAgo - 0.01),
});

const healthy: HealthInput = {
  now: NOW,
  runs: [run("worker", "succeeded", 0.5, "queue"), run("reconcile", "succeeded", 2)],
  subscriptions: [
    { resource: "groups/g1", expirationDateTime: ahead(60) },
    { resource: "users", expirationDateTime: ahead(60) },
  ],
  chains: [
    { chainId: "groups-0", hasDeltaLink: true, updatedAt: ago(2) },
    { chainId: "users", hasDeltaLink: true, updatedAt: ago(1) },
  ],
  queue: { queued: 0, poison: 0 },
  notificationsConfigured: true,
};

const cases: {
  name: string;
  input: Partial<HealthInput>;
  level: "healthy" | "degraded" | "failing";
  reason?: RegExp;
}[] = [
  { name: "all in order", input: {}, level: "healthy", reason: /last reconcile succeeded 2\.0 h ago/ },
  {
    name: "last reconcile failed",
    input: { runs: [run("reconcile", "failed", 1), run("reconcile", "succeeded", 5)] },
    level: "failing",
    reason: /last reconcile .* failed: read its errors/,
  },
  {
    name: "no reconcile succeeded within the limit",
    input: { runs: [run("reconcile", "succeeded", 9)] },
    level: "failing",
    reason: /No reconcile has succeeded for 9\.0 h \(limit 8 h\): check that the reconcile timer/,
  },
  {
    name: "no reconcile ever",
    input: { runs: [run("worker", "succeeded", 1, "queue")] },
    level: "failing",
    reason: /No reconcile has succeeded yet: run the reconcile function/,
  },
  {
    name: "a subscription expired",
    input: { subscriptions: [{ resource: "groups/g1", expirationDateTime: ago(1) }] },
    level: "failing",
    reason: /subscription on groups\/g1 expired 1\.0 h ago: .*run the subscriptions function/,
  },
  {
    name: "a subscription expires within 12 h",
    input: { subscriptions: [{ resource: "users", expirationDateTime: ahead(5) }] },
    level: "degraded",
    reason: /subscription on users expires in 5\.0 h .*check the last runs of the subscriptions function/,
  },
  {
    name: "a subscription 13 h from expiry is fine",
    input: { subscriptions: [{ resource: "users", expirationDateTime: ahead(13) }] },
    level: "healthy",
  },
  {
    name: "a delta link older than 6 days",
    input: { chains: [{ chainId: "groups-0", hasDeltaLink: true, updatedAt: ago(6.5 * 24) }] },
    level: "failing",
    reason: /delta link of chain groups-0 is 6\.5 days old \(Graph expires it at 7 days\): run a reconcile/,
  },
  {
    name: "a delta link older than 3 days",
    input: { chains: [{ chainId: "groups-1", hasDeltaLink: true, updatedAt: ago(4 * 24) }] },
    level: "degraded",
    reason: /delta link of chain groups-1 is 4\.0 days old: .*check the reconcile function/,
  },
  {
    name: "a chain without a link yet is not judged on age",
    input: { chains: [{ chainId: "groups-0", hasDeltaLink: false, updatedAt: ago(30 * 24) }] },
    level: "healthy",
  },
  {
    name: "poison messages with a recent poison run",
    input: {
      queue: { queued: 0, poison: 2 },
      runs: [run("worker", "poison", 1, "queue"), run("reconcile", "succeeded", 2)],
    },
    level: "failing",
    reason: /poison queue mi-sync-poison holds 2 message\(s\), 1 poisoned in the last 24 h: read the poison runs/,
  },
  {
    name: "old poison messages only",
    input: { queue: { queued: 0, poison: 1 } },
    level: "degraded",
    reason: /holds 1 message\(s\), none recent: read them, then clear the poison queue/,
  },
  {
    name: "the queue backs up",
    input: { queue: { queued: 101, poison: 0 } },
    level: "degraded",
    reason: /101 messages wait in the mi-sync queue \(more than 100\): .*check the sync-worker function/,
  },
  {
    name: "a recent partial run",
    input: { runs: [run("worker", "partial", 1, "notification"), run("reconcile", "succeeded", 2)] },
    level: "degraded",
    reason: /1 run\(s\) in the last 24 h ended partial, the newest a worker run \(notification\)/,
  },
  {
    name: "a recent refused run",
    input: { runs: [run("reconcile", "succeeded", 1), run("worker", "refused", 3, "queue")] },
    level: "degraded",
    reason: /ended refused.*removal guard/,
  },
  {
    name: "an old partial run no longer counts",
    input: { runs: [run("reconcile", "succeeded", 2), run("worker", "partial", 30, "queue")] },
    level: "healthy",
  },
  {
    name: "notifications configured but no subscription",
    input: { subscriptions: [] },
    level: "degraded",
    reason: /No Graph subscription exists although NOTIFICATION_URL is set/,
  },
  {
    name: "no subscription expected without NOTIFICATION_URL",
    input: { subscriptions: [], notificationsConfigured: false },
    level: "healthy",
  },
  {
    name: "failing reasons come first, degraded ones after",
    input: {
      queue: { queued: 500, poison: 0 },
      subscriptions: [{ resource: "users", expirationDateTime: ago(2) }],
    },
    level: "failing",
    reason: /^The subscription on users expired/,
  },
];

for (const c of cases) {
  test(`judgeHealth: ${c.name} → ${c.level}`, () => {
    const verdict = judgeHealth({ ...healthy, ...c.input });
    assert.equal(verdict.level, c.level, verdict.reasons.join(" | "));
    assert.ok(verdict.reasons.length > 0, "a verdict always says why");
    if (c.reason) assert.match(verdict.reasons[0]!, c.reason);
  });
}

test("judgeHealth: the reconcile age limit is a parameter", () => {
  const input = { ...healthy, runs: [run("reconcile", "succeeded", 10)] };
  assert.equal(judgeHealth(input).level, "failing");
  const relaxed = judgeHealth(input, {
    maxReconcileAgeHours: 12,
    subscriptionWarnHours: 12,
    deltaWarnDays: 3,
    deltaFailDays: 6,
    queueBacklog: 100,
    recentHours: 24,
  });
  assert.equal(relaxed.level, "healthy");
});
