import type { Logger } from "../logging/logger.js";
import { applyPlan } from "./apply.js";
import type { AuditContext, AuditTrail } from "./audit-trail.js";
import type { Plan } from "./plan/plan-model.js";
import type { PlanScope } from "./plan/plan-scope.js";
import { planSync } from "./plan/plan-sync.js";
import type { EntraDirectory, GroupSelector } from "./ports/entra-directory.js";
import type { MiDirectory } from "./ports/mi-directory.js";
import { readEntraMembers, readMi, resolveEntraGroups } from "./read-state.js";
import { checkRemovals } from "./removal-guard.js";
import type { EntraSnapshot, MiSnapshot } from "./snapshot.js";
import type { SyncOptions } from "./sync-options.js";
import { buildResult, type SyncResult } from "./sync-result.js";

export interface SyncRequest {
  selector: GroupSelector;
  options: SyncOptions;
  /** `plan`: read and plan, write nothing (`--dry-run`). `apply`: read, plan, guard, apply. */
  mode: "plan" | "apply";
  /** `full` (default): the selector is the whole configured sync. `groups`: some of its groups (a resync). */
  scope?: Exclude<PlanScope, "users">;
  /** What to do with groups that do not resolve (see ReadOptions). Default `fail`. */
  unresolved?: "fail" | "skip";
}

/**
 * What the app remembers of each user between runs (the live path's user ledger in Table Storage). The CLI keeps
 * nothing: each run reads both sides whole.
 */
export interface IdentityLedger {
  /** Called once a plan was applied (not for a dry run or a refused plan), with what apply made. */
  record(plan: Plan, result: SyncResult): Promise<void>;
}

export interface SyncPorts {
  entra: EntraDirectory;
  mi: MiDirectory;
  logger: Logger;
  ledger?: IdentityLedger;
  /** Where the run's operations are recorded, and as which run (absent: not recorded; the CLI's default). */
  audit?: { trail: AuditTrail; context: AuditContext };
}

export interface SyncHooks {
  /** Called once the plan is known, before anything is written. */
  onPlan?: (operations: number) => void;
  onProgress?: (done: number, total: number) => void;
  abortSignal?: AbortSignal;
}

/**
 * The sync use case of the CLI and of every whole-group run: read both sides, plan, then `applyPlanned`. Throws typed
 * errors (usage, auth, unavailable) only before anything is written; afterwards every failure is in the result.
 */
export async function runSync(request: SyncRequest, ports: SyncPorts, hooks: SyncHooks = {}): Promise<SyncResult> {
  await ports.mi.connect({ abortSignal: hooks.abortSignal });
  const plan = await readAndPlan(request, ports, hooks);
  return applyPlanned(plan, request, ports, hooks);
}

/**
 * Its own function so that the snapshots (every Entra user, every MI user and membership row read) can be collected
 * once the plan exists, instead of staying reachable while the plan is applied.
 */
async function readAndPlan(request: SyncRequest, ports: SyncPorts, hooks: SyncHooks): Promise<Plan> {
  const snapshot = await readSnapshots(request, ports, hooks);
  return planSync(snapshot.entra, snapshot.mi, request.options, request.scope ?? "full");
}

/**
 * The tail every path shares once it holds a plan, whatever read it (whole groups, or some users): the removal guard,
 * then (unless `plan` mode or refused) apply, the result, the audit trail and the ledger. One place, so that no path
 * can skip a step. A refused plan is recorded in the trail too (its operations skipped), a dry run is not.
 */
export async function applyPlanned(
  plan: Plan,
  request: Pick<SyncRequest, "options" | "mode">,
  ports: SyncPorts,
  hooks: SyncHooks = {},
): Promise<SyncResult> {
  const verdict = checkRemovals(plan, request.options.maxRemovals);
  ports.logger.info(
    `plan: ${plan.operations.length} operation(s), ${plan.removals} removal(s)/disable(s) ` +
      `(limit ${verdict.limit ?? "none"} of ${verdict.base ?? "unknown"} managed memberships)`,
  );
  if (request.mode === "plan" || !verdict.allowed) {
    const result = buildResult({ plan, verdict, dryRun: request.mode === "plan" });
    // A plan whose guard needs a base the snapshot lacks is not refused but read again wider by the caller.
    if (request.mode === "apply" && !verdict.needsBase) await recordAudit(plan, result, ports);
    return result;
  }
  hooks.onPlan?.(plan.operations.length);
  const outcome = await applyPlan(plan, ports.mi, {
    logger: ports.logger,
    ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
    ...(hooks.abortSignal ? { abortSignal: hooks.abortSignal } : {}),
  });
  const result = buildResult({
    plan,
    verdict,
    dryRun: false,
    outcomes: outcome.outcomes,
    createdUsers: outcome.createdUsers,
    createdGroups: outcome.createdGroups,
    ...(outcome.abortedBy ? { abortedBy: outcome.abortedBy } : {}),
  });
  // The trail before the ledger: a ledger write that fails fails the run, whose retry finds MI done and nothing to
  // record, so the trail must already hold what apply did.
  await recordAudit(plan, result, ports);
  if (ports.ledger) await ports.ledger.record(plan, result);
  return result;
}

/** Records the run in the audit trail, if it has one; a trail that cannot be written is a warning of the run. */
async function recordAudit(plan: Plan, result: SyncResult, ports: Pick<SyncPorts, "audit" | "logger">): Promise<void> {
  if (!ports.audit) return;
  const outcome = await ports.audit.trail.record(plan, result, ports.audit.context);
  if (outcome.error === undefined) return;
  const warning = `audit trail: the operations of run ${ports.audit.context.runId} were not recorded: ${outcome.error}`;
  ports.logger.warn(warning);
  result.warnings.push(warning);
  result.counts.warnings += 1;
}

/**
 * Reads both sides for a whole-group run. Which MI groups to read follows from the Entra groups alone, unless
 * attribute groups name some (they need the users): then both sides are read at once, and a reconcile takes the
 * longer of the two reads, not their sum.
 */
export async function readSnapshots(
  request: Pick<SyncRequest, "selector" | "options" | "unresolved">,
  ports: Pick<SyncPorts, "entra" | "mi" | "logger">,
  hooks: Pick<SyncHooks, "abortSignal"> = {},
): Promise<{ entra: EntraSnapshot; mi: MiSnapshot }> {
  const { options } = request;
  const read = {
    logger: ports.logger,
    unresolved: request.unresolved ?? "fail",
    ...(hooks.abortSignal ? { abortSignal: hooks.abortSignal } : {}),
  };
  const groups = await resolveEntraGroups(ports.entra, request.selector, read);
  const early = options.mapAttrToGroup.length === 0;
  const shell: EntraSnapshot = { groups, members: new Map(), users: new Map() };
  const [entra, miEarly] = await Promise.all([
    readEntraMembers(ports.entra, groups, options, read),
    early ? readMi(ports.mi, shell, options, read) : undefined,
  ]);
  const mi = miEarly ?? (await readMi(ports.mi, entra, options, read));
  return { entra, mi };
}
