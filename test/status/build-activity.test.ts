import assert from "node:assert/strict";
import { test } from "node:test";
import type { AuditRunSummary } from "../../src/audit/audit-entry.js";
import { buildActivity } from "../../src/status/build-activity.js";

const run = (at: string, path: AuditRunSummary["path"], applied: number, latencyMs?: number): AuditRunSummary => ({
  runId: at,
  at,
  path,
  applied,
  failed: 0,
  skipped: 0,
  recordMs: 1,
  ...(latencyMs === undefined ? {} : { latencyMs }),
});

test("buildActivity: 24 hours ending with the current one; changes summed, latency of notifications that changed MI", () => {
  const now = new Date("2026-12-01T12:30:00Z");
  const hours = buildActivity(
    [
      run("2026-12-01T12:05:00Z", "notification", 1, 300),
      run("2026-12-01T12:10:00Z", "notification", 2, 100),
      run("2026-12-01T12:20:00Z", "notification", 1, 900),
      run("2026-12-01T12:25:00Z", "notification", 0, 5_000),
      run("2026-12-01T08:00:00Z", "reconcile", 40),
      run("2026-11-30T13:00:00Z", "resync", 3),
      run("2026-11-30T12:59:59Z", "resync", 99),
    ],
    now,
  );
  assert.equal(hours.length, 24);
  assert.equal(hours[0]?.start, "2026-11-30T13:00:00.000Z", "the oldest hour first");
  assert.equal(hours[0]?.applied, 3, "a run just before the window is left out");
  assert.deepEqual(hours[23], {
    start: "2026-12-01T12:00:00.000Z",
    applied: 4,
    failed: 0,
    notifications: 3,
    latencyMedianMs: 300,
    latencyMaxMs: 900,
  });
  assert.equal(hours[19]?.applied, 40);
  assert.equal(hours[19]?.latencyMedianMs, null, "a reconcile has no notification latency");
});
