import { DEFAULT_HEALTH_THRESHOLDS, type HealthThresholds } from "./judge-health.js";

/**
 * The verdict's thresholds from app settings: `STATUS_MAX_RECONCILE_AGE_HOURS` (default 8, twice the default 4-hour
 * RECONCILE_SCHEDULE: raise it with the schedule) and `STATUS_QUEUE_BACKLOG` (default 100). A missing, non-numeric or
 * non-positive value keeps the default.
 */
export function healthThresholdsFromEnv(env: Record<string, string | undefined>): HealthThresholds {
  const positive = (name: string, fallback: number): number => {
    const value = Number(env[name]);
    return env[name] !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    ...DEFAULT_HEALTH_THRESHOLDS,
    maxReconcileAgeHours: positive("STATUS_MAX_RECONCILE_AGE_HOURS", DEFAULT_HEALTH_THRESHOLDS.maxReconcileAgeHours),
    queueBacklog: positive("STATUS_QUEUE_BACKLOG", DEFAULT_HEALTH_THRESHOLDS.queueBacklog),
  };
}
