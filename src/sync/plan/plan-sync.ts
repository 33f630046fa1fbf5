import type { EntraSnapshot, MiSnapshot } from "../snapshot.js";
import type { SyncOptions } from "../sync-options.js";
import { planContext } from "./plan-context.js";
import { planDeprovision } from "./plan-deprovision.js";
import { planGroups } from "./plan-groups.js";
import { planMemberships } from "./plan-memberships.js";
import { OPERATION_ORDER, type Plan, type PlanOperation } from "./plan-model.js";
import { planProfiles } from "./plan-profiles.js";
import type { PlanScope } from "./plan-scope.js";
import { planUsers } from "./plan-users.js";

/**
 * Plans a sync: `(Entra as read, MI as read, options, scope) -> Plan`. Pure: no I/O, no clock, deterministic order.
 * The rules are cli.md's "What the commands do" and "Rules where the original is silent", each in one phase:
 * groups, users, profiles, memberships, deprovision. Every path (the CLI, the timer reconcile, a notification, a
 * resync on demand) plans through here; the scope only says what the snapshot covers.
 */
export function planSync(entra: EntraSnapshot, mi: MiSnapshot, options: SyncOptions, scope: PlanScope = "full"): Plan {
  const ctx = planContext(entra, mi, options, scope);
  const groups = planGroups(ctx);
  const users = planUsers(ctx, groups.resolved.values());
  planProfiles(ctx, users.users.values());
  const memberships = planMemberships(ctx, groups, users);
  planDeprovision(ctx, memberships);

  const operations = sortOperations(ctx.operations);
  return {
    command: options.command,
    scope,
    operations,
    problems: ctx.problems,
    warnings: ctx.warnings,
    managedMemberships: memberships.managedMemberships,
    removals: operations.filter((o) => o.op === "removeMember" || o.op === "disableUser").length,
    groups: memberships.groups.map((g) => ({
      name: g.name,
      miGroupId: g.mi?.id,
      entraGroupIds: g.entraGroupIds,
      complete: g.complete,
    })),
    usersConsidered: users.users.size,
    identities: users.identities,
    notes: ctx.notes,
  };
}

const rank = (operation: PlanOperation): number => OPERATION_ORDER.indexOf(operation.op);

/** Stable sort by kind, keeping the phases' deterministic order within a kind. */
function sortOperations(operations: PlanOperation[]): PlanOperation[] {
  return operations
    .map((operation, index) => ({ operation, index }))
    .sort((a, b) => rank(a.operation) - rank(b.operation) || a.index - b.index)
    .map((x) => x.operation);
}
