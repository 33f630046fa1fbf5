import type { Plan } from "./plan/plan-model.js";
import type { SyncResult } from "./sync-result.js";

/**
 * Which path ran a plan: the timer's full reconcile (and its fan-out), a change notification, a resync (on demand,
 * after a lost subscription, a recheck), or the command line.
 */
export type AuditPath = "reconcile" | "notification" | "resync" | "cli";

/** What the trail records with every operation of one run. */
export interface AuditContext {
  /** The run's id: the run record's, so that the status page can expand a run into its operations. */
  runId: string;
  path: AuditPath;
  /** When the change that started the run happened (a notification received), ISO 8601: for the latency figure. */
  triggeredAt?: string;
}

/**
 * The audit trail: every operation a run applied, failed or skipped (a plan refused by the removal guard included),
 * and the plan's problems, each with its reason, kept where an admin can ask "what happened to Ann?" later. One
 * production implementation: `TableAuditTrail` (src/audit/). The CLI records only when told where.
 *
 * `record` is called once per plan that was applied or refused, never for a dry run. It must not throw for a failed
 * write: MI was written already, and a retry of the run would find nothing to do; the implementation reports it
 * (`AuditRecordOutcome.error`) and the engine turns it into a warning of the run.
 */
export interface AuditTrail {
  record(plan: Plan, result: SyncResult, context: AuditContext): Promise<AuditRecordOutcome>;
}

export interface AuditRecordOutcome {
  /** Entries written (operations plus problems). */
  entries: number;
  /** Why the trail could not be written (secret-free); undefined when it was. */
  error?: string;
}
