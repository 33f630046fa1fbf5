import type { MiMembership, MiUser } from "../model.js";
import { lower, type PlanContext } from "./plan-context.js";
import type { PlannedGroups, ResolvedGroup } from "./plan-groups.js";
import type { PlanNote, UserRef } from "./plan-model.js";
import type { PlannedUsers, UserPlan } from "./plan-users.js";
import { DEFAULT_GROUP_NAME, groupKey, type TargetGroup } from "./target-groups.js";

export interface PlannedMemberships {
  /** Every MI group synced, by name. */
  groups: ResolvedGroup[];
  /** Rows the synced groups hold before the run; undefined when the scope cannot tell. */
  managedMemberships: number | undefined;
  /** MI users in synced groups whom no enabled, processed Entra user is (deprovision's candidates), by MI id. */
  leavers: Map<string, MiUser>;
  /** MI users an enabled, processed Entra user is. */
  stillInEntra: Set<string>;
  /** MI users only a disabled Entra account is. */
  disabledInEntra: Set<string>;
  /** MI administrators in synced groups whom no enabled, processed Entra user is: never disabled (rule 3). */
  administratorLeavers: Map<string, MiUser>;
}

/**
 * Phase 4, memberships. Attribute groups (`--map-attr-to-group`) join the synced ones (cli.md rule 10). Each group is
 * mirrored: enabled members that MI lacks are added (provision), and rows of users who are not members are removed,
 * except when the group's read was incomplete (rule 16), for users another rule holds (the acting user, a failed
 * user's MI account, a user `--process-users` leaves out), and, in a scope narrower than `full`, in attribute groups
 * (users outside the snapshot may name them). `deprovision` removes only those who left every synced group. Synced
 * users join MI's Default Group unless `--skip-default-group`, and never leave it.
 */
export function planMemberships(
  ctx: PlanContext,
  planned: PlannedGroups,
  identities: PlannedUsers,
): PlannedMemberships {
  const { options, provision, index } = ctx;
  const { users, held } = identities;
  addAttributeGroups(planned, users.values());

  const stillInEntra = new Set<string>();
  const disabledInEntra = new Set<string>();
  for (const u of users.values()) if (u.mi && u.desired.enabled) stillInEntra.add(u.mi.id);
  for (const u of users.values())
    if (u.mi && !u.desired.enabled && !stillInEntra.has(u.mi.id)) disabledInEntra.add(u.mi.id);
  const selected = selectedMiUsers(ctx, users.values());

  let managed = 0;
  const leavers = new Map<string, MiUser>();
  const administratorLeavers = new Map<string, MiUser>();
  const groups = [...planned.resolved.values()].sort((a, b) => a.name.localeCompare(b.name));
  for (const group of groups) {
    managed += group.rows.length;
    const wanted: { user: UserPlan; ref: UserRef }[] = [];
    const wantedMiIds = new Set<string>();
    for (const id of group.entraUserIds) {
      const user = users.get(id);
      if (!user?.desired.enabled || user.ref === undefined || ctx.isActing(user.mi)) continue;
      wanted.push({ user, ref: user.ref });
      if ("miUserId" in user.ref) wantedMiIds.add(user.ref.miUserId);
    }
    const present = new Set(group.rows.map((r) => r.userId));
    if (provision) {
      // Only what changes is sorted (by name, so a plan reads the same every run): a quiet reconcile sorts nothing.
      const missing = wanted.filter(({ ref }) => !("miUserId" in ref && present.has(ref.miUserId)));
      missing.sort((a, b) => a.user.desired.username.localeCompare(b.user.desired.username));
      for (const { user, ref } of missing) {
        ctx.operations.push({
          op: "addMember",
          group: group.ref,
          user: ref,
          groupName: group.name,
          username: user.mi?.username ?? user.desired.username,
          reason: group.sources.includes("synced") ? "member of the Entra group" : "named by a user attribute",
        });
      }
    }
    if (!group.complete) continue;
    if (ctx.scope !== "full" && group.sources.includes("attribute")) continue;
    const nameOf = (row: MiMembership): string => index.usersById.get(row.userId)?.username ?? row.userId;
    const unwanted = group.rows.filter((row) => !wantedMiIds.has(row.userId));
    for (const row of unwanted.sort((a, b) => nameOf(a).localeCompare(nameOf(b)))) {
      const member = index.usersById.get(row.userId);
      if (ctx.isActing(member) || held.has(row.userId)) {
        ctx.notes.push(keptRow(member, row, group.name, ctx.isActing(member) ? "acting-user" : "held-by-problem"));
        continue;
      }
      if (!selected(row.userId)) continue;
      if (!provision) {
        if (stillInEntra.has(row.userId)) continue;
        if (member?.type === "administrator") {
          ctx.notes.push(keptRow(member, row, group.name, "administrator"));
          administratorLeavers.set(member.id, member);
          continue;
        }
      }
      if (member && !stillInEntra.has(member.id)) {
        if (member.type === "administrator") administratorLeavers.set(member.id, member);
        else leavers.set(member.id, member);
      }
      ctx.operations.push({
        op: "removeMember",
        membershipId: row.id,
        miGroupId: row.groupId,
        miUserId: row.userId,
        groupName: group.name,
        username: member?.username ?? `MI user ${row.userId}`,
        reason: removalReason(member, disabledInEntra, stillInEntra),
      });
    }
  }
  if (provision && options.defaultGroup === "add") planDefaultGroup(ctx, planned, users.values());
  return {
    groups,
    managedMemberships: ctx.scope === "users" ? undefined : managed,
    leavers,
    stillInEntra,
    disabledInEntra,
    administratorLeavers,
  };
}

const KEPT_BECAUSE: Record<"acting-user" | "held-by-problem" | "administrator", string> = {
  "acting-user": "the MI user the API token acts as is never modified, its memberships included",
  "held-by-problem": "its Entra user could not be written this run (see the problems), so its memberships stay",
  administrator: "deprovision never removes an MI administrator from a group",
};

/** The note for a membership row a rule keeps although its user is not a wanted member. */
function keptRow(
  member: MiUser | undefined,
  row: MiMembership,
  groupName: string,
  code: keyof typeof KEPT_BECAUSE,
): PlanNote {
  return {
    code,
    username: member?.username ?? `MI user ${row.userId}`,
    miUserId: row.userId,
    groupName,
    message: `stays in '${groupName}': ${KEPT_BECAUSE[code]}`,
  };
}

/** Each enabled user's attribute groups become targets holding exactly the users that name them (cli.md rule 10). */
function addAttributeGroups(planned: PlannedGroups, users: Iterable<UserPlan>): void {
  for (const user of users) {
    if (!user.desired.enabled || user.ref === undefined) continue;
    for (const name of user.desired.attributeGroups) {
      const key = groupKey(name);
      let group = planned.resolved.get(key);
      if (!group) {
        const target: TargetGroup = {
          name,
          sources: ["attribute"],
          entraGroupIds: [],
          entraUserIds: new Set(),
          complete: true,
        };
        group = planned.resolve(target);
        if (!group) continue;
        planned.resolved.set(key, group);
      } else if (!group.sources.includes("attribute")) {
        group.sources.push("attribute");
      }
      group.entraUserIds.add(user.desired.entraUserId);
    }
  }
}

/** With `--process-users`, only the rows of the selected users (by MI username or email) may change. */
function selectedMiUsers(ctx: PlanContext, users: Iterable<UserPlan>): (miUserId: string) => boolean {
  const wanted = ctx.options.selectUsers;
  if (!wanted) return () => true;
  const keys = new Set(wanted.map(lower));
  const processed = new Set<string>();
  for (const u of users) if (u.mi) processed.add(u.mi.id);
  return (miUserId) => {
    if (processed.has(miUserId)) return true;
    const m = ctx.index.usersById.get(miUserId);
    return m !== undefined && (keys.has(lower(m.username)) || keys.has(lower(m.email)));
  };
}

/**
 * Synced users join MI's Default Group (found by name: it can be renamed or deleted). A user the plan creates gets
 * there through its creation; that membership is listed too (`by: "createUser"`), so that figures and operations say
 * what MI did. A synced Default Group is mirrored like any other instead.
 */
function planDefaultGroup(ctx: PlanContext, planned: PlannedGroups, users: Iterable<UserPlan>): void {
  const defaultGroup = ctx.index.groupsByName.get(groupKey(DEFAULT_GROUP_NAME));
  if (!defaultGroup) {
    ctx.warnings.push(`MI has no '${DEFAULT_GROUP_NAME}'; users were not added to it`);
    return;
  }
  if (planned.resolved.has(groupKey(DEFAULT_GROUP_NAME))) return;
  const present = new Set((ctx.mi.memberships.get(defaultGroup.id) ?? []).map((r) => r.userId));
  for (const user of users) {
    if (!user.desired.enabled || user.ref === undefined || ctx.isActing(user.mi)) continue;
    const created = "entraUserId" in user.ref;
    if (!created && present.has((user.ref as { miUserId: string }).miUserId)) continue;
    ctx.operations.push({
      op: "addMember",
      group: { miGroupId: defaultGroup.id },
      user: user.ref,
      groupName: defaultGroup.name,
      username: user.mi?.username ?? user.desired.username,
      reason: created
        ? "new users are created into the Default Group (--skip-default-group turns this off)"
        : "synced users belong to the Default Group (--skip-default-group turns this off)",
      ...(created ? { by: "createUser" as const } : {}),
    });
  }
}

/** Why a member leaves a group, for display. */
function removalReason(member: MiUser | undefined, disabledInEntra: Set<string>, stillInEntra: Set<string>): string {
  if (!member) return "MI user unknown";
  if (disabledInEntra.has(member.id)) return "account disabled in Entra";
  return stillInEntra.has(member.id) ? "no longer in the Entra group" : "not in any synced Entra group";
}
