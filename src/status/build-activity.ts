import type { AuditRunSummary } from "../audit/audit-entry.js";

/** One hour of the status page's chart. */
export interface ActivityHour {
  /** The hour's start (ISO 8601, UTC). */
  start: string;
  /** Operations applied, and failed, by runs recorded in that hour. */
  applied: number;
  failed: number;
  /** Runs a change notification started that changed MI, and the latency of each from notification to MI. */
  notifications: number;
  latencyMedianMs: number | null;
  latencyMaxMs: number | null;
}

export const ACTIVITY_HOURS = 24;
const HOUR_MS = 3_600_000;

/**
 * The last 24 hours, hour by hour (the current hour last), from the audit trail's runs index: what was applied, and
 * how long changes took from Graph's notification to MI (runs on the notification path that applied something).
 */
export function buildActivity(runs: readonly AuditRunSummary[], now: Date): ActivityHour[] {
  const currentHour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  const first = currentHour - (ACTIVITY_HOURS - 1) * HOUR_MS;
  const hours = Array.from({ length: ACTIVITY_HOURS }, (_, i) => ({
    start: first + i * HOUR_MS,
    applied: 0,
    failed: 0,
    latencies: [] as number[],
  }));
  for (const run of runs) {
    const index = Math.floor((Date.parse(run.at) - first) / HOUR_MS);
    const hour = hours[index];
    if (!hour) continue;
    hour.applied += run.applied;
    hour.failed += run.failed;
    if (run.path === "notification" && run.applied > 0 && run.latencyMs !== undefined)
      hour.latencies.push(run.latencyMs);
  }
  return hours.map((h) => {
    const sorted = [...h.latencies].sort((a, b) => a - b);
    return {
      start: new Date(h.start).toISOString(),
      applied: h.applied,
      failed: h.failed,
      notifications: sorted.length,
      latencyMedianMs: sorted.length === 0 ? null : (sorted[Math.floor((sorted.length - 1) / 2)] ?? null),
      latencyMaxMs: sorted.length === 0 ? null : (sorted[sorted.length - 1] ?? null),
    };
  });
}
