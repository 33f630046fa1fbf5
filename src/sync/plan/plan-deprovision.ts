import type { PlanContext } from "./plan-context.js";
import type { PlannedMemberships } from "./plan-memberships.js";

/**
 * Phase 5, deprovision: who left (a member of a synced MI group whom no enabled member of a selected Entra group is,
 * cli.md rule 14) is disabled, administrators never. Runs for `deprovision`, and for `provision` with
 * `leavers: "disable"` (the app's SYNC_DEPROVISION) from the same snapshot, so that one guard covers every removal and
 * disable of the run. A `full` snapshot knows who left, and so does a `users` one for its users (each read with every
 * synced group holding it, and every other claimant of its account in it); a `groups` snapshot does not. Any
 * incomplete read disables nobody (rule 16).
 */
export function planDeprovision(ctx: PlanContext, memberships: PlannedMemberships): void {
  const wanted = !ctx.provision || ctx.options.leavers === "disable";
  if (!wanted || ctx.scope === "groups") return;
  for (const admin of memberships.administratorLeavers.values()) {
    ctx.notes.push({
      code: "administrator",
      username: admin.username,
      miUserId: admin.id,
      message: "an MI administrator is never disabled, though no synced Entra group holds it",
    });
  }
  if (memberships.leavers.size === 0) return;
  if (memberships.groups.some((g) => !g.complete)) {
    ctx.warnings.push(`${memberships.leavers.size} user(s) were not disabled because a group read was incomplete`);
    return;
  }
  const leavers = [...memberships.leavers.values()].sort((a, b) => a.username.localeCompare(b.username));
  for (const member of leavers) {
    if (!member.enabled) continue;
    if (ctx.isActing(member)) {
      ctx.notes.push({
        code: "acting-user",
        username: member.username,
        miUserId: member.id,
        message: "the MI user the API token acts as is never disabled, though no synced Entra group holds it",
      });
      continue;
    }
    ctx.operations.push({
      op: "disableUser",
      miUserId: member.id,
      username: member.username,
      reason: memberships.disabledInEntra.has(member.id)
        ? "account disabled in Entra"
        : "not in any synced Entra group",
    });
  }
}
