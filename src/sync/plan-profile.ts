import type { DesiredUser } from "./map-user.js";
import type { MiUser, MiUserExtras } from "./model.js";
import type { PlanOperation, PlanProblem, UserRef } from "./plan-model.js";
import type { MiUserPatch } from "./ports/mi-directory.js";
import type { SyncOptions } from "./sync-options.js";

const lower = (s: string): string => s.toLowerCase();

/**
 * Plans the profile update of one matched, enabled user (cli.md rules 2 and 3): names when they differ exactly, email
 * when it differs case-insensitively (unless another MI user owns it), username and type only with --force.
 */
export function planProfileUpdate(
  current: MiUser,
  desired: DesiredUser,
  options: SyncOptions,
  miByEmail: Map<string, MiUser>,
  operations: PlanOperation[],
  problems: PlanProblem[],
): void {
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
    const owner = miByEmail.get(lower(desired.email));
    if (owner && owner.id !== current.id) {
      problems.push({
        code: "duplicate-email",
        subject: current.username,
        message: `email '${desired.email}' belongs to MI user '${owner.username}'; ${current.username}'s email was not changed`,
      });
    } else {
      before.email = current.email;
      after.email = desired.email;
    }
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
  if (Object.keys(after).length === 0) return;
  const changed = Object.keys(after).filter((k) => before[k as keyof MiUserPatch] !== after[k as keyof MiUserPatch]);
  if (!force && changed.length === 0) return;
  operations.push({
    op: "updateUser",
    miUserId: current.id,
    username: current.username,
    entraUserId: desired.entraUserId,
    before,
    after,
    reason: force ? "--force" : `changed in Entra: ${changed.join(", ")}`,
  });
}

/** Whether MI already holds the extras the run manages (only the managed keys are compared). */
export function extrasMatch(current: MiUserExtras | undefined, desired: MiUserExtras): boolean {
  if (!current) return false;
  for (const [key, value] of Object.entries(desired.customAttributes)) {
    if ((current.customAttributes[key] ?? null) !== value) return false;
  }
  if ("trustedServerUsername" in desired && (current.trustedServerUsername ?? null) !== desired.trustedServerUsername) {
    return false;
  }
  return true;
}

/** Appends a setUserExtras operation. */
export function pushExtras(
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

/** A user missing in MI, created with the run's user type, into the Default Group unless `--skip-default-group`. */
export function createUserOperation(desired: DesiredUser, options: SyncOptions): PlanOperation {
  return {
    op: "createUser",
    entraUserId: desired.entraUserId,
    user: {
      username: desired.username,
      firstName: desired.firstName,
      lastName: desired.lastName,
      email: desired.email,
      type: options.userType,
      addToDefaultGroup: options.defaultGroup === "add",
    },
    reason: "member of a synced group, missing in MI",
  };
}
