import type { Logger } from "../logging/logger.js";
import { applyPlan } from "./apply.js";
import { type PlanScope, planSync } from "./plan.js";
import type { Plan } from "./plan-model.js";
import type { EntraDirectory, GroupSelector } from "./ports/entra-directory.js";
import type { MiDirectory } from "./ports/mi-directory.js";
import { readEntraMembers, readMi, resolveEntraGroups } from "./read-state.js";
import { checkRemovals } from "./removal-guard.js";
import type { EntraSnapshot } from "./snapshot.js";
import type { SyncOptions } from "./sync-options.js";
import { buildResult, type SyncResult } from "./sync-result.js";

export interface SyncRequest {
  selector: GroupSelector;
  options: SyncOptions;
  /** `plan`: read and plan, write nothing (`--dry-run`). `apply`: read, plan, guard, apply. */
  mode: "plan" | "apply";
  /** `full` (default): the selector is the whole configured sync. `partial`: a subset (the live path). */
  scope?: PlanScope;
  /** What to do with groups that do not resolve (see ReadOptions). Default `fail`. */
  unresolved?: "fail" | "skip";
}

/** Entra user id ↔ MI user id memory kept between runs (the live path keeps it in Table Storage). */
export interface UserIdMap {
  lookup(entraUserIds: string[]): Promise<Map<string, string>>;
  save(pairs: { entraUserId: string; miUserId: string }[]): Promise<void>;
}

export interface SyncPorts {
  entra: EntraDirectory;
  mi: MiDirectory;
  logger: Logger;
  /** Optional: without it users match by username then email only. */
  idMap?: UserIdMap;
}

export interface SyncHooks {
  /** Called once the plan is known, before anything is written. */
  onPlan?: (operations: number) => void;
  onProgress?: (done: number, total: number) => void;
  abortSignal?: AbortSignal;
}

/**
 * The one sync use case every trigger calls: read both sides, plan, check the removal guard, apply, report.
 * Throws typed errors (usage, auth, unavailable) only before anything is written; afterwards every failure is in the
 * result.
 */
export async function runSync(request: SyncRequest, ports: SyncPorts, hooks: SyncHooks = {}): Promise<SyncResult> {
  const { options } = request;
  await ports.mi.connect({ abortSignal: hooks.abortSignal });
  const { plan, knownUserIds } = await readAndPlan(request, ports, hooks);
  const verdict = checkRemovals(plan, options.maxRemovals);
  ports.logger.info(
    `plan: ${plan.operations.length} operation(s), ${plan.removals} removal(s)/disable(s) ` +
      `(limit ${verdict.limit ?? "none"} of ${verdict.base} managed memberships)`,
  );
  if (request.mode === "plan" || !verdict.allowed) {
    return buildResult({ plan, verdict, dryRun: request.mode === "plan" });
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
  if (ports.idMap) {
    const fresh = result.userIds.filter((pair) => knownUserIds?.get(pair.entraUserId) !== pair.miUserId);
    if (fresh.length > 0) await ports.idMap.save(fresh);
  }
  return result;
}

/**
 * Reads both sides and plans. Its own function so that the snapshots (every Entra user, every MI user and membership
 * row read) can be collected once the plan exists, instead of staying reachable while the plan is applied.
 */
async function readAndPlan(
  request: SyncRequest,
  ports: SyncPorts,
  hooks: SyncHooks,
): Promise<{ plan: Plan; knownUserIds: Map<string, string> | undefined }> {
  const { options } = request;
  const read = {
    logger: ports.logger,
    unresolved: request.unresolved ?? "fail",
    ...(hooks.abortSignal ? { abortSignal: hooks.abortSignal } : {}),
  };
  const groups = await resolveEntraGroups(ports.entra, request.selector, read);
  // Which MI groups to read follows from the Entra groups alone, unless attribute groups name some (they need the
  // users): then both sides are read at once, and a reconcile takes the longer of the two reads, not their sum.
  const early = options.mapAttrToGroup.length === 0;
  const shell: EntraSnapshot = { groups, members: new Map(), users: new Map() };
  const [entra, miEarly] = await Promise.all([
    readEntraMembers(ports.entra, groups, options, read),
    early ? readMi(ports.mi, shell, options, read) : undefined,
  ]);
  const mi = miEarly ?? (await readMi(ports.mi, entra, options, read));
  if (ports.idMap) mi.knownUserIds = await ports.idMap.lookup([...entra.users.keys()]);
  return { plan: planSync(entra, mi, options, request.scope ?? "full"), knownUserIds: mi.knownUserIds };
}
