import { mapUser } from "./map-user.js";
import type { DirectoryUser, MiMembership, MiUser } from "./model.js";
import type { Plan, PlanOperation, PlanProblem } from "./plan-model.js";
import { createUserOperation, extrasMatch, planProfileUpdate } from "./plan-profile.js";
import type { SyncOptions } from "./sync-options.js";
import { isSelected } from "./target-groups.js";

/**
 * One group's membership changes as a group delta reports them, with what both sides say about the users named:
 * the live path's fast path plans from this instead of reading the whole group.
 */
export interface MembershipDelta {
  /** The MI group the Entra group is synced to (it exists: the fast path never creates groups). */
  group: { entraGroupId: string; miGroupId: string; name: string };
  /**
   * Users the delta added: Graph's answer (`null`: the user is gone) and how MI was asked about them: the user the
   * id map names (`id-map`), or what a lookup by the mapped username, then email, found (`lookup`, `user` undefined:
   * MI has no such user). `mi` undefined: MI was not asked.
   */
  added: {
    entraUserId: string;
    entra: DirectoryUser | null;
    mi: { how: "id-map" | "lookup"; user: MiUser | undefined } | undefined;
  }[];
  /** Users the delta removed: the MI user the id map names, if any, and that MI user's membership rows (all groups). */
  removed: { entraUserId: string; miUserId: string | undefined; rows: MiMembership[] }[];
}

/** The acting MI user (never modified), as far as it is known. */
export interface ActingUser {
  userId: string | undefined;
  username: string | undefined;
}

/** A plan, or why the change needs the full group resync (the fast path never guesses). */
export type MembershipDeltaPlan = { kind: "plan"; plan: Plan } | { kind: "full"; reason: string };

/**
 * Options under which a group's membership delta alone decides its MI memberships: a provision into one MI group per
 * Entra group, with no attribute groups, no user selection and no managed extras. Otherwise a change can touch
 * groups or users the delta does not name, and only the full resync plans it right. Returns why not, or undefined.
 */
export function deltaPlanUnsupported(options: SyncOptions): string | undefined {
  if (options.command !== "provision") return "deprovision";
  if (options.targetGroup !== undefined) return "--target-group";
  if (options.mapAttrToGroup.length > 0) return "--map-attr-to-group";
  if (options.selectUsers !== undefined) return "--process-users";
  if (options.customAttributes.length > 0 || options.trustedServerUsernameAttr !== undefined) return "managed extras";
  return undefined;
}

const lower = (s: string): string => s.toLowerCase();

/**
 * Plans membership deltas the way `planSync` would plan a resync of those groups, for the users the deltas name and
 * only while that is certain; anything `planSync` would do beyond adding or removing these memberships returns
 * `{kind: "full"}` instead. Pure.
 *
 * - An added user becomes `addMember` when Graph still has them, they map to an enabled, selected MI username, their
 *   MI user (by id map, else by username, else by email, as `planSync` matches) has that username, is enabled and has
 *   nothing in its profile to update. When MI has no such user, it is created first (`createUser`, into the Default
 *   Group unless `--skip-default-group`), unless `--auto-create groups` says not to. A user Graph no longer has is
 *   skipped (a resync would not see them). The acting MI user is never touched.
 * - A removed user's rows in the group become `removeMember` (none: already gone). Without an id-map entry the MI
 *   user is unknown and the full resync decides.
 *
 * The caller guarantees what the deltas cannot show: `deltaPlanUnsupported(options)` is undefined, each MI group has
 * one Entra source, and (transitive membership) each group holds no groups and no synced group holds it.
 */
export function planMembershipDelta(
  deltas: MembershipDelta[],
  options: SyncOptions,
  acting: ActingUser,
): MembershipDeltaPlan {
  const unsupported = deltaPlanUnsupported(options);
  if (unsupported !== undefined) return { kind: "full", reason: unsupported };
  const isActing = (id: string, username?: string): boolean =>
    id === acting.userId ||
    (username !== undefined && acting.username !== undefined && lower(username) === lower(acting.username));
  const creates: PlanOperation[] = [];
  const adds: PlanOperation[] = [];
  const removes: PlanOperation[] = [];
  const warnings: string[] = [];
  const matches: Plan["matches"] = [];

  for (const { group, added, removed } of deltas) {
    for (const { entraUserId, entra, mi } of added) {
      if (entra === null) continue;
      const desired = mapUser(entra, options);
      if (!isSelected(desired, options)) continue;
      if (!desired.enabled) return { kind: "full", reason: `Entra user ${entraUserId} is disabled` };
      if (!desired.username) return { kind: "full", reason: `Entra user ${entraUserId} has no username` };
      if (mi === undefined) return { kind: "full", reason: `Entra user ${entraUserId} has no MI user on record` };
      if (mi.user === undefined) {
        if (mi.how === "id-map") return { kind: "full", reason: `MI user of Entra user ${entraUserId} is gone` };
        if (options.autoCreate === "groups") return { kind: "full", reason: "--auto-create groups" };
        creates.push(createUserOperation(desired, options));
        warnings.push(...desired.warnings);
        adds.push({
          op: "addMember",
          group: { miGroupId: group.miGroupId },
          user: { entraUserId },
          groupName: group.name,
          username: desired.username,
          reason: "member of the Entra group",
        });
        continue;
      }
      const user = mi.user;
      if (lower(user.username) !== lower(desired.username)) {
        return { kind: "full", reason: `MI user ${user.id} is '${user.username}', Entra says '${desired.username}'` };
      }
      if (isActing(user.id, user.username)) {
        warnings.push(`${user.username}: the MI user the API token acts as is never modified`);
        continue;
      }
      if (!user.enabled) return { kind: "full", reason: `MI user '${user.username}' is disabled` };
      const profile: PlanOperation[] = [];
      const problems: PlanProblem[] = [];
      planProfileUpdate(user, desired, options, new Map([[lower(user.email), user]]), profile, problems);
      const extrasDiffer = desired.extras !== undefined && !extrasMatch(user.extras, desired.extras);
      if (profile.length > 0 || problems.length > 0 || extrasDiffer) {
        return { kind: "full", reason: `MI user '${user.username}' has profile changes` };
      }
      warnings.push(...desired.warnings);
      matches.push({ entraUserId, miUserId: user.id, username: user.username });
      adds.push({
        op: "addMember",
        group: { miGroupId: group.miGroupId },
        user: { miUserId: user.id },
        groupName: group.name,
        username: user.username,
        reason: "member of the Entra group",
      });
    }
    for (const { entraUserId, miUserId, rows } of removed) {
      if (miUserId === undefined) return { kind: "full", reason: `Entra user ${entraUserId} has no MI user on record` };
      if (isActing(miUserId)) continue;
      for (const row of rows) {
        if (row.groupId !== group.miGroupId || row.userId !== miUserId) continue;
        removes.push({
          op: "removeMember",
          membershipId: row.id,
          miGroupId: row.groupId,
          miUserId,
          groupName: group.name,
          username: `MI user ${miUserId}`,
          reason: "no longer in the Entra group",
        });
      }
    }
  }
  return {
    kind: "plan",
    plan: {
      command: "provision",
      operations: [...creates, ...adds, ...removes],
      problems: [],
      warnings: [...new Set(warnings)],
      // Unknown without reading the groups: a percentage guard then allows nothing and the caller resyncs in full.
      managedMemberships: 0,
      removals: removes.length,
      groups: deltas.map((d) => ({
        name: d.group.name,
        miGroupId: d.group.miGroupId,
        entraGroupIds: [d.group.entraGroupId],
        complete: true,
      })),
      usersConsidered: new Set([...deltas.flatMap((d) => d.added.map((a) => a.entraUserId))]).size,
      matches,
    },
  };
}
