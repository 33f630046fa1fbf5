import type { DesiredUser } from "../map-user.js";
import type { MiUser, MiUserExtras } from "../model.js";
import type { MiUserPatch } from "../ports/mi-directory.js";
import type { SyncOptions } from "../sync-options.js";
import { lower, type PlanContext } from "./plan-context.js";
import type { PlanOperation, UserRef } from "./plan-model.js";
import type { UserPlan } from "./plan-users.js";
import { sequenceEmailChanges } from "./sequence-email-changes.js";
import { DEFAULT_GROUP_NAME, groupKey } from "./target-groups.js";

/**
 * Phase 3, profiles (provision only): each enabled user MI lacks is created (unless `--auto-create groups`), each
 * matched one is updated where it differs (cli.md rules 2 and 3), re-enabled when disabled in MI (rule 5), and given
 * the custom attributes and trusted-server username the run manages. The acting MI user is never modified.
 */
export function planProfiles(ctx: PlanContext, users: Iterable<UserPlan>): void {
  if (!ctx.provision) return;
  const { options, operations, warnings } = ctx;
  const defaultGroupExists = ctx.index.groupsByName.has(groupKey(DEFAULT_GROUP_NAME));
  for (const user of users) {
    const { desired } = user;
    if (!desired.enabled) continue;
    if (ctx.isActing(user.mi)) {
      warnings.push(`${user.mi?.username}: the MI user the API token acts as is never modified`);
      ctx.notes.push({
        code: "acting-user",
        username: user.mi?.username ?? desired.username,
        entraUserId: desired.entraUserId,
        ...(user.mi ? { miUserId: user.mi.id } : {}),
        message: "the MI user the API token acts as is never modified, its memberships included",
      });
      continue;
    }
    if (!user.mi) {
      if (options.autoCreate === "groups") {
        warnings.push(
          `${desired.username}: not in MI and not created (--auto-create groups updates existing users only)`,
        );
        ctx.notes.push({
          code: "not-created",
          username: desired.username,
          entraUserId: desired.entraUserId,
          message: "not in MI and not created: --auto-create groups updates existing users only",
        });
        continue;
      }
      user.ref = { entraUserId: desired.entraUserId };
      operations.push({
        op: "createUser",
        entraUserId: desired.entraUserId,
        user: {
          username: desired.username,
          firstName: desired.firstName,
          lastName: desired.lastName,
          email: desired.email,
          type: options.userType,
          addToDefaultGroup: options.defaultGroup === "add" && defaultGroupExists,
        },
        reason: "member of a synced group, missing in MI",
      });
      if (desired.extras) pushExtras(operations, user.ref, desired.username, undefined, desired.extras);
      continue;
    }
    const update = planProfileUpdate(user.mi, desired, options);
    if (update) operations.push(update);
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
  sequenceEmailChanges(operations, ctx.index);
}

/**
 * The profile update of one matched, enabled user (cli.md rules 2 and 3): names when they differ exactly, email when
 * it differs case-insensitively, username and type only with --force. (An email another MI user holds never gets
 * here: the users phase refuses such a user whole.)
 */
function planProfileUpdate(current: MiUser, desired: DesiredUser, options: SyncOptions): PlanOperation | undefined {
  const force = options.updateMode === "force";
  const before: MiUserPatch = {};
  const after: MiUserPatch = {};
  if (force || current.firstName !== desired.firstName) {
    before.firstName = current.firstName;
    after.firstName = desired.firstName;
  }
  if (force || current.lastName !== desired.lastName) {
    before.lastName = current.lastName;
    after.lastName = desired.lastName;
  }
  if (desired.email && (force || lower(current.email) !== lower(desired.email))) {
    before.email = current.email;
    after.email = desired.email;
  }
  // cli.md rule 2: a username (even its letter case) changes only with --force.
  if (force && current.username !== desired.username) {
    before.username = current.username;
    after.username = desired.username;
  }
  // cli.md rule 3: type changes only with --force and an explicit --user-type; administrators are never retyped.
  if (force && options.userTypeExplicit && current.type !== "administrator" && current.type !== options.userType) {
    before.type = current.type;
    after.type = options.userType;
  }
  if (Object.keys(after).length === 0) return undefined;
  const changed = Object.keys(after).filter((k) => before[k as keyof MiUserPatch] !== after[k as keyof MiUserPatch]);
  if (!force && changed.length === 0) return undefined;
  return {
    op: "updateUser",
    miUserId: current.id,
    username: current.username,
    entraUserId: desired.entraUserId,
    before,
    after,
    reason: force ? "--force" : `changed in Entra: ${changed.join(", ")}`,
  };
}

/** Whether MI already holds the extras the run manages (only the managed keys are compared). */
function extrasMatch(current: MiUserExtras | undefined, desired: MiUserExtras): boolean {
  if (!current) return false;
  for (const [key, value] of Object.entries(desired.customAttributes)) {
    if ((current.customAttributes[key] ?? null) !== value) return false;
  }
  if ("trustedServerUsername" in desired && (current.trustedServerUsername ?? null) !== desired.trustedServerUsername) {
    return false;
  }
  return true;
}

function pushExtras(
  operations: PlanOperation[],
  user: UserRef,
  username: string,
  before: MiUserExtras | undefined,
  after: MiUserExtras,
): void {
  operations.push({
    op: "setUserExtras",
    user,
    username,
    before,
    after,
    reason: before ? "custom attributes changed in Entra" : "custom attributes to set",
  });
}
