import { type DesiredUser, mapUser } from "./map-user.js";
import type { MiGroup, MiMembership, MiUser } from "./model.js";
import {
  type GroupRef,
  OPERATION_ORDER,
  type Plan,
  type PlanOperation,
  type PlanProblem,
  type UserRef,
} from "./plan-model.js";
import { createUserOperation, extrasMatch, planProfileUpdate, pushExtras } from "./plan-profile.js";
import type { EntraSnapshot, MiSnapshot } from "./snapshot.js";
import type { SyncOptions } from "./sync-options.js";
import { DEFAULT_GROUP_NAME, groupKey, isSelected, syncedTargetGroups, type TargetGroup } from "./target-groups.js";

/** A target group matched against MI: an existing group, or one the plan creates. */
interface ResolvedGroup extends TargetGroup {
  mi: MiGroup | undefined;
  ref: GroupRef;
  rows: MiMembership[];
}

/** A processed Entra user and the MI user it is (or will be). */
interface UserPlan {
  desired: DesiredUser;
  mi: MiUser | undefined;
  ref: UserRef | undefined;
}

const lower = (s: string): string => s.toLowerCase();

/**
 * How much of the configured sync a plan covers. `full`: every selected group (the CLI, the timer reconcile).
 * `partial`: only the groups given (the live path after a notification): attribute groups then only gain members,
 * since users outside the scope may be the ones that name them.
 */
export type PlanScope = "full" | "partial";

/**
 * Plans a sync: `(Entra as read, MI as read, options) -> Plan`. Pure: no I/O, no clock, deterministic order.
 * The rules are cli.md's "What the commands do" and "Rules where the original is silent".
 */
export function planSync(entra: EntraSnapshot, mi: MiSnapshot, options: SyncOptions, scope: PlanScope = "full"): Plan {
  const operations: PlanOperation[] = [];
  const problems: PlanProblem[] = [];
  const warnings: string[] = [];
  const provision = options.command === "provision";
  const acting = mi.actingUsername === undefined ? undefined : lower(mi.actingUsername);

  const miGroupsByName = new Map<string, MiGroup>();
  for (const g of mi.groups) if (!miGroupsByName.has(groupKey(g.name))) miGroupsByName.set(groupKey(g.name), g);
  const miUsersById = new Map(mi.users.map((u) => [u.id, u]));
  const miByUsername = new Map<string, MiUser>();
  const miByEmail = new Map<string, MiUser>();
  for (const u of mi.users) {
    if (!miByUsername.has(lower(u.username))) miByUsername.set(lower(u.username), u);
    if (u.email && !miByEmail.has(lower(u.email))) miByEmail.set(lower(u.email), u);
  }
  const isActing = (u: MiUser | undefined): boolean =>
    u !== undefined && acting !== undefined && lower(u.username) === acting;

  // 1. Groups: the Entra groups' targets; those MI lacks are created when --auto-create allows, else left out.
  const resolved = new Map<string, ResolvedGroup>();
  const resolveGroup = (target: TargetGroup): ResolvedGroup | undefined => {
    const existing = miGroupsByName.get(groupKey(target.name));
    if (existing) {
      const rows = mi.memberships.get(existing.id) ?? [];
      return { ...target, name: existing.name, mi: existing, ref: { miGroupId: existing.id }, rows };
    }
    if (options.autoCreate === "off" || !provision) {
      warnings.push(
        `MI group '${target.name}' does not exist; not synced` +
          (provision ? " (--auto-create creates it)" : " (deprovision never creates groups)"),
      );
      return undefined;
    }
    operations.push({
      op: "createGroup",
      name: target.name,
      entraGroupIds: target.entraGroupIds,
      reason: target.sources.includes("synced") ? "synced Entra group has no MI group" : "named by a user attribute",
    });
    return { ...target, mi: undefined, ref: { newGroupName: target.name }, rows: [] };
  };
  for (const [key, target] of syncedTargetGroups(entra, options)) {
    const group = resolveGroup(target);
    if (group) resolved.set(key, group);
    if (!target.complete) {
      const errors = target.entraGroupIds.map((id) => entra.members.get(id)?.error).filter((e) => e !== undefined);
      problems.push({
        code: "read-incomplete",
        subject: target.name,
        message: `reading the members of '${target.name}' failed (${errors.join("; ") || "incomplete"}); its removals were skipped`,
      });
    }
  }

  // 2. Users: every Entra user of a synced group, mapped, selected, deduplicated and matched to MI.
  const inSyncedGroup = new Set<string>();
  for (const g of resolved.values()) for (const id of g.entraUserIds) inSyncedGroup.add(id);
  const desiredUsers = [...inSyncedGroup]
    .map((id) => entra.users.get(id))
    .filter((u) => u !== undefined)
    .map((u) => mapUser(u, options))
    .filter((u) => isSelected(u, options))
    .sort((a, b) => a.username.localeCompare(b.username) || a.entraUserId.localeCompare(b.entraUserId));

  const users = new Map<string, UserPlan>();
  const claimed = new Map<string, string>();
  const seenUsernames = new Set<string>();
  const seenEmails = new Set<string>();
  /** MI users whose memberships must be left alone this run (their Entra side failed to plan). */
  const held = new Set<string>();
  for (const desired of desiredUsers) {
    warnings.push(...desired.warnings);
    const label = desired.username || `Entra user ${desired.entraUserId}`;
    // The id map first (a renamed UPN stays the same MI user), then username, then email (cli.md rule 4).
    const known = mi.knownUserIds?.get(desired.entraUserId);
    const byId = known === undefined ? undefined : miUsersById.get(known);
    const match = desired.username
      ? (byId ?? miByUsername.get(lower(desired.username)) ?? miByEmail.get(lower(desired.email)))
      : undefined;
    const fail = (code: string, message: string): void => {
      problems.push({ code, subject: label, message });
      if (match) held.add(match.id);
    };
    if (!desired.username) {
      fail("missing-username", `Entra user ${desired.entraUserId} has no value for '${options.attributeMap.username}'`);
      continue;
    }
    if (seenUsernames.has(lower(desired.username))) {
      fail(
        "duplicate-username",
        `two Entra users map to the MI username '${desired.username}'; the second was not written`,
      );
      continue;
    }
    if (desired.enabled && desired.email && seenEmails.has(lower(desired.email))) {
      fail(
        "duplicate-email",
        `two Entra users would have the email '${desired.email}'; '${desired.username}' was not written`,
      );
      continue;
    }
    if (match && claimed.has(match.id)) {
      fail(
        "duplicate-match",
        `'${desired.username}' matches MI user '${match.username}', already matched by '${claimed.get(match.id)}'`,
      );
      continue;
    }
    seenUsernames.add(lower(desired.username));
    if (desired.enabled && desired.email) seenEmails.add(lower(desired.email));
    if (match) claimed.set(match.id, desired.username);
    users.set(desired.entraUserId, { desired, mi: match, ref: match ? { miUserId: match.id } : undefined });
  }

  // 3. Profiles: create, update, re-enable, extras (provision only; disabled Entra accounts are never written).
  if (provision) {
    for (const user of users.values()) {
      const { desired } = user;
      if (!desired.enabled) continue;
      if (isActing(user.mi)) {
        warnings.push(`${user.mi?.username}: the MI user the API token acts as is never modified`);
        continue;
      }
      if (!user.mi) {
        if (options.autoCreate === "groups") {
          warnings.push(
            `${desired.username}: not in MI and not created (--auto-create groups updates existing users only)`,
          );
          continue;
        }
        operations.push(createUserOperation(desired, options));
        user.ref = { entraUserId: desired.entraUserId };
        if (desired.extras) pushExtras(operations, user.ref, desired.username, undefined, desired.extras);
        continue;
      }
      planProfileUpdate(user.mi, desired, options, miByEmail, operations, problems);
      if (!user.mi.enabled) {
        operations.push({
          op: "enableUser",
          miUserId: user.mi.id,
          username: user.mi.username,
          reason: "disabled in MI, enabled member of a synced Entra group",
        });
      }
      if (desired.extras && !extrasMatch(user.mi.extras, desired.extras)) {
        pushExtras(operations, { miUserId: user.mi.id }, user.mi.username, user.mi.extras, desired.extras);
      }
    }
  }

  // 4. Attribute groups: each holds exactly the processed users whose attribute names it (cli.md rule 10).
  for (const user of users.values()) {
    if (!user.desired.enabled || user.ref === undefined) continue;
    for (const name of user.desired.attributeGroups) {
      const key = groupKey(name);
      let group = resolved.get(key);
      if (!group) {
        const target: TargetGroup = {
          name,
          sources: ["attribute"],
          entraGroupIds: [],
          entraUserIds: new Set(),
          complete: true,
        };
        const created = resolveGroup(target);
        if (!created) continue;
        group = created;
        resolved.set(key, group);
      } else if (!group.sources.includes("attribute")) {
        group.sources.push("attribute");
      }
      group.entraUserIds.add(user.desired.entraUserId);
    }
  }

  // 5. Memberships: mirror each group. Removals only for complete reads, selected and non-held users.
  const selectedMiUser = (miUserId: string): boolean => {
    if (!options.selectUsers) return true;
    for (const u of users.values()) if (u.mi?.id === miUserId) return true;
    const m = miUsersById.get(miUserId);
    const wanted = new Set(options.selectUsers.map(lower));
    return m !== undefined && (wanted.has(lower(m.username)) || wanted.has(lower(m.email)));
  };
  /** MI users that an enabled, processed Entra user maps to. */
  const stillInEntra = new Set<string>();
  /** MI users that a disabled Entra account maps to. */
  const disabledInEntra = new Set<string>();
  for (const u of users.values()) if (u.mi) (u.desired.enabled ? stillInEntra : disabledInEntra).add(u.mi.id);

  let managedMemberships = 0;
  const leavers = new Map<string, MiUser>();
  const groups = [...resolved.values()].sort((a, b) => a.name.localeCompare(b.name));
  for (const group of groups) {
    managedMemberships += group.rows.length;
    const desiredRefs: { user: UserPlan; ref: UserRef }[] = [];
    const desiredMiIds = new Set<string>();
    for (const id of group.entraUserIds) {
      const user = users.get(id);
      if (!user?.desired.enabled || user.ref === undefined || isActing(user.mi)) continue;
      desiredRefs.push({ user, ref: user.ref });
      if ("miUserId" in user.ref) desiredMiIds.add(user.ref.miUserId);
    }
    const present = new Set(group.rows.map((r) => r.userId));
    if (provision) {
      for (const { user, ref } of desiredRefs.sort((a, b) =>
        a.user.desired.username.localeCompare(b.user.desired.username),
      )) {
        if ("miUserId" in ref && present.has(ref.miUserId)) continue;
        operations.push({
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
    if (scope === "partial" && group.sources.includes("attribute")) continue;
    const nameOf = (row: MiMembership): string => miUsersById.get(row.userId)?.username ?? row.userId;
    for (const row of [...group.rows].sort((a, b) => nameOf(a).localeCompare(nameOf(b)))) {
      if (desiredMiIds.has(row.userId)) continue;
      const member = miUsersById.get(row.userId);
      if (isActing(member) || held.has(row.userId) || !selectedMiUser(row.userId)) continue;
      if (!provision) {
        if (stillInEntra.has(row.userId) || member?.type === "administrator") continue;
        if (member) leavers.set(member.id, member);
      }
      operations.push({
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

  // 6. Default Group: synced users are added unless --skip-default-group; never removed from it.
  if (provision && options.defaultGroup === "add") {
    const defaultGroup = miGroupsByName.get(groupKey(DEFAULT_GROUP_NAME));
    const synced = resolved.get(groupKey(DEFAULT_GROUP_NAME));
    if (!defaultGroup) {
      warnings.push(`MI has no '${DEFAULT_GROUP_NAME}'; users were not added to it`);
    } else if (!synced) {
      const present = new Set((mi.memberships.get(defaultGroup.id) ?? []).map((r) => r.userId));
      for (const user of users.values()) {
        if (!user.desired.enabled || !user.mi || isActing(user.mi) || present.has(user.mi.id)) continue;
        operations.push({
          op: "addMember",
          group: { miGroupId: defaultGroup.id },
          user: { miUserId: user.mi.id },
          groupName: defaultGroup.name,
          username: user.mi.username,
          reason: "synced users belong to the Default Group (--skip-default-group turns this off)",
        });
      }
    }
  }

  // 7. Deprovision: disable who left, unless any read was incomplete (fail closed, cli.md rule 16).
  if (!provision) {
    const anyIncomplete = groups.some((g) => !g.complete);
    if (anyIncomplete && leavers.size > 0) {
      warnings.push(`${leavers.size} user(s) were not disabled because a group read was incomplete`);
    } else {
      for (const member of [...leavers.values()].sort((a, b) => a.username.localeCompare(b.username))) {
        if (!member.enabled) continue;
        operations.push({
          op: "disableUser",
          miUserId: member.id,
          username: member.username,
          reason: removalReason(member, disabledInEntra, stillInEntra),
        });
      }
    }
  }

  const removals = operations.filter((o) => o.op === "removeMember" || o.op === "disableUser").length;
  return {
    command: options.command,
    operations: sortOperations(operations),
    problems,
    warnings,
    managedMemberships,
    removals,
    groups: groups.map((g) => ({
      name: g.name,
      miGroupId: g.mi?.id,
      entraGroupIds: g.entraGroupIds,
      complete: g.complete,
    })),
    usersConsidered: users.size,
    matches: [...users.values()].flatMap((u) =>
      u.mi ? [{ entraUserId: u.desired.entraUserId, miUserId: u.mi.id, username: u.mi.username }] : [],
    ),
  };
}

/** Why a member leaves a group, for display. */
function removalReason(member: MiUser | undefined, disabledInEntra: Set<string>, stillInEntra: Set<string>): string {
  if (!member) return "MI user unknown";
  if (disabledInEntra.has(member.id)) return "account disabled in Entra";
  return stillInEntra.has(member.id) ? "no longer in the Entra group" : "not in any synced Entra group";
}

const rank = (operation: PlanOperation): number => OPERATION_ORDER.indexOf(operation.op);

/** Stable sort by kind, keeping the planner's deterministic order within a kind. */
function sortOperations(operations: PlanOperation[]): PlanOperation[] {
  return operations
    .map((operation, index) => ({ operation, index }))
    .sort((a, b) => rank(a.operation) - rank(b.operation) || a.index - b.index)
    .map((x) => x.operation);
}
