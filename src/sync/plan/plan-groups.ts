import type { MiGroup, MiMembership } from "../model.js";
import type { PlanContext } from "./plan-context.js";
import type { GroupRef } from "./plan-model.js";
import { groupKey, syncedTargetGroups, type TargetGroup } from "./target-groups.js";

/** A target group matched against MI: an existing group, or one the plan creates. */
export interface ResolvedGroup extends TargetGroup {
  mi: MiGroup | undefined;
  ref: GroupRef;
  /** The MI rows the snapshot holds for it (scope `users`: only the rows of the users in the snapshot). */
  rows: MiMembership[];
}

export interface PlannedGroups {
  /** By `groupKey(name)`. */
  resolved: Map<string, ResolvedGroup>;
  /** Matches one more target (an attribute group) the same way; undefined when it is not synced. */
  resolve(target: TargetGroup): ResolvedGroup | undefined;
}

/**
 * Phase 1, groups: the MI group each synced Entra group lands in (its name, or `--target-group`), matched by name
 * case-insensitively (cli.md rule 4). A group MI lacks is created when `--auto-create` allows, else left out with a
 * warning. A group whose Entra read was incomplete is a `read-incomplete` problem: its removals are skipped (rule 16).
 */
export function planGroups(ctx: PlanContext): PlannedGroups {
  const { options, provision } = ctx;
  const resolve = (target: TargetGroup): ResolvedGroup | undefined => {
    const existing = ctx.index.groupsByName.get(groupKey(target.name));
    if (existing) {
      const rows = ctx.mi.memberships.get(existing.id) ?? [];
      return { ...target, name: existing.name, mi: existing, ref: { miGroupId: existing.id }, rows };
    }
    if (options.autoCreate === "off" || !provision) {
      ctx.warnings.push(
        `MI group '${target.name}' does not exist; not synced` +
          (provision ? " (--auto-create creates it)" : " (deprovision never creates groups)"),
      );
      return undefined;
    }
    ctx.operations.push({
      op: "createGroup",
      name: target.name,
      entraGroupIds: target.entraGroupIds,
      reason: target.sources.includes("synced") ? "synced Entra group has no MI group" : "named by a user attribute",
    });
    return { ...target, mi: undefined, ref: { newGroupName: target.name }, rows: [] };
  };
  const resolved = new Map<string, ResolvedGroup>();
  for (const [key, target] of syncedTargetGroups(ctx.entra, options)) {
    const group = resolve(target);
    if (group) resolved.set(key, group);
    if (!target.complete) {
      const errors = target.entraGroupIds.map((id) => ctx.entra.members.get(id)?.error).filter((e) => e !== undefined);
      ctx.problems.push({
        code: "read-incomplete",
        subject: target.name,
        message: `reading the members of '${target.name}' failed (${errors.join("; ") || "incomplete"}); its removals were skipped`,
      });
    }
  }
  return { resolved, resolve };
}
