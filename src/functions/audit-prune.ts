import { app } from "@azure/functions";
import type { LiveDeps } from "../live/live-deps.js";
import { getLiveDeps } from "./runtime.js";
import { timerHandler } from "./timer-run.js";

const DAY_MS = 86_400_000;

/**
 * Timer: deletes the audit trail's entries older than AUDIT_RETENTION_DAYS (default 90), once a day
 * (AUDIT_PRUNE_SCHEDULE, default 02:30 UTC). A run record is written only when something was deleted.
 */
export function createAuditPruneHandler(getDeps: () => Promise<LiveDeps>) {
  return timerHandler(getDeps, "worker", "audit-prune", async (deps) => {
    if (!deps.audit) return undefined;
    const before = new Date(deps.now().getTime() - deps.settings.AUDIT_RETENTION_DAYS * DAY_MS);
    const pruned = await deps.audit.prune(before);
    if (pruned.rows === 0) return undefined;
    return {
      status: "succeeded",
      counts: { auditRunsPruned: pruned.runs, auditRowsPruned: pruned.rows },
      errors: [],
      detail: { before: before.toISOString(), retentionDays: deps.settings.AUDIT_RETENTION_DAYS },
    };
  });
}

app.timer("audit-prune", {
  schedule: process.env.AUDIT_PRUNE_SCHEDULE ?? "0 30 2 * * *",
  runOnStartup: false,
  handler: createAuditPruneHandler(getLiveDeps),
});
