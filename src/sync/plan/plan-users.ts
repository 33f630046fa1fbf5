import { type DesiredUser, mapUser } from "../map-user.js";
import type { MiUser } from "../model.js";
import { lower, type PlanContext } from "./plan-context.js";
import type { ResolvedGroup } from "./plan-groups.js";
import type { PlannedIdentity, UserRef } from "./plan-model.js";
import { isSelected } from "./target-groups.js";

/** A processed Entra user and the MI user it is (or will be). */
export interface UserPlan {
  desired: DesiredUser;
  /** The MI user it matched; for a disabled user, the one it would match (for the reason shown on removals). */
  mi: MiUser | undefined;
  /** What its operations name: the matched MI user, or (set by the profiles phase) the Entra id of one to create. */
  ref: UserRef | undefined;
}

export interface PlannedUsers {
  /** Users that may be written (enabled winners) and disabled users, by Entra id. Failed users are absent. */
  users: Map<string, UserPlan>;
  /** MI users whose memberships stay as they are this run: matched by a user that failed, and by no winner. */
  held: Set<string>;
  identities: PlannedIdentity[];
}

/**
 * Phase 2, users: every Entra user of a synced group is mapped (attributes, transformations), selected
 * (`--process-users`), and matched to MI by username, else email (cli.md rule 4; an account some user has by username
 * is never another's by email). Users are taken in a fixed order: those whose MI account has their username, then
 * those matched by email, then new ones, each by username then Entra id. Among the enabled ones the first claimant of
 * a username or an email wins it; the others are problems and are not written at all (rule 1): `duplicate-username`,
 * `duplicate-email` (also when the email belongs to another MI user), `duplicate-match` (two users matching one MI
 * user). A user without a username is `missing-username`. A disabled user is never written, so it claims nothing and
 * cannot clash (rule 5).
 */
export function planUsers(ctx: PlanContext, groups: Iterable<ResolvedGroup>): PlannedUsers {
  const { entra, options, index } = ctx;
  const inSyncedGroup = new Set<string>();
  for (const g of groups) for (const id of g.entraUserIds) inSyncedGroup.add(id);
  const processed = [...inSyncedGroup]
    .map((id) => entra.users.get(id))
    .filter((u) => u !== undefined)
    .map((u) => mapUser(u, options))
    .filter((u) => {
      if (isSelected(u, options)) return true;
      ctx.notes.push({
        code: "not-selected",
        username: u.username,
        entraUserId: u.entraUserId,
        message: `'${u.username || u.entraUserId}' is not among the users selected (--process-users / --username)`,
      });
      return false;
    });
  // Rule 4, with a tie-break between users: an MI account belongs first to the enabled user with its username; only
  // an account nobody has by username can be matched by email.
  const byUsername = (d: DesiredUser): MiUser | undefined =>
    d.username ? index.byUsername.get(lower(d.username)) : undefined;
  const ownedByUsername = new Set<string>();
  for (const d of processed) {
    const owned = d.enabled ? byUsername(d) : undefined;
    if (owned) ownedByUsername.add(owned.id);
  }
  const matchOf = (d: DesiredUser): { user: MiUser; by: "username" | "email" } | undefined => {
    if (!d.username) return undefined;
    const named = byUsername(d);
    if (named) return { user: named, by: "username" };
    const mailed = d.email ? index.byEmail.get(lower(d.email)) : undefined;
    return mailed && !ownedByUsername.has(mailed.id) ? { user: mailed, by: "email" } : undefined;
  };
  // Users whose MI account has their username come first, then those matched by email, then new ones (each by
  // username, then Entra id): the first claimant of a username or an email wins it, so a newcomer never takes an
  // account's email from its owner.
  const rank = (d: DesiredUser): number => {
    const match = matchOf(d);
    return match === undefined ? 2 : match.by === "username" ? 0 : 1;
  };
  const desiredUsers = processed
    .map((d) => ({ d, rank: rank(d) }))
    .sort(
      (a, b) =>
        a.rank - b.rank || a.d.username.localeCompare(b.d.username) || a.d.entraUserId.localeCompare(b.d.entraUserId),
    )
    .map((x) => x.d);

  // The email each MI account will have after this plan: the one its username owner maps to when that owner is
  // written, else the one it has. A user may take an email only from an account that gives it up. Whether an owner
  // is written is known only once every user was weighed, so the weighing runs again while it finds accounts whose
  // owner turned out not to be written (each pass can only add such accounts, so it ends).
  const expected = new Map<string, string>();
  for (const d of desiredUsers) {
    const owned = d.enabled ? byUsername(d) : undefined;
    if (owned && !expected.has(owned.id)) expected.set(owned.id, lower(d.email || owned.email));
  }
  const keeping = new Set<string>();
  for (;;) {
    const pass = weighUsers(
      ctx,
      desiredUsers,
      matchOf,
      (owner, email) =>
        (keeping.has(owner.id) ? lower(owner.email) : (expected.get(owner.id) ?? lower(owner.email))) === email,
    );
    const unwritten = [...expected.keys()].filter((id) => !pass.claimed.has(id) && !keeping.has(id));
    if (unwritten.length === 0) {
      ctx.warnings.push(...pass.warnings);
      ctx.problems.push(...pass.problems);
      ctx.notes.push(...pass.notes);
      return { users: pass.users, held: pass.held, identities: pass.identities };
    }
    for (const id of unwritten) keeping.add(id);
  }
}

interface WeighedUsers extends PlannedUsers {
  claimed: Map<string, string>;
  problems: PlanContext["problems"];
  warnings: string[];
  notes: PlanContext["notes"];
}

/** One pass over the users in order: who is written, who clashes (rule 1), given which accounts keep their email. */
function weighUsers(
  ctx: PlanContext,
  desiredUsers: readonly DesiredUser[],
  matchOf: (d: DesiredUser) => { user: MiUser } | undefined,
  holds: (owner: MiUser, email: string) => boolean,
): WeighedUsers {
  const { options, index } = ctx;
  const problems: PlanContext["problems"] = [];
  const warnings: string[] = [];
  const notes: PlanContext["notes"] = [];
  const users = new Map<string, UserPlan>();
  const identities: PlannedIdentity[] = [];
  const claimed = new Map<string, string>();
  const seenUsernames = new Set<string>();
  const seenEmails = new Set<string>();
  const failedMatches = new Set<string>();
  for (const desired of desiredUsers) {
    warnings.push(...desired.warnings);
    const match = matchOf(desired)?.user;
    const identity = identityOf(desired);
    identities.push(identity);
    if (!desired.username) {
      problems.push({
        code: "missing-username",
        subject: `Entra user ${desired.entraUserId}`,
        message: `Entra user ${desired.entraUserId} has no value for '${options.attributeMap.username}'`,
      });
      continue;
    }
    if (!desired.enabled) {
      users.set(desired.entraUserId, { desired, mi: match, ref: undefined });
      notes.push({
        code: "disabled-in-entra",
        username: match?.username ?? desired.username,
        entraUserId: desired.entraUserId,
        ...(match ? { miUserId: match.id } : {}),
        message:
          "the account is disabled in Entra: a disabled account is never added to MI and leaves the synced groups",
      });
      continue;
    }
    const clash = clashOf(desired, match, { seenUsernames, seenEmails, claimed, index, holds });
    if (clash) {
      problems.push({ code: clash.code, subject: desired.username, message: clash.message });
      if (match) failedMatches.add(match.id);
      continue;
    }
    seenUsernames.add(lower(desired.username));
    if (desired.email) seenEmails.add(lower(desired.email));
    if (match) {
      claimed.set(match.id, desired.username);
      identity.miUserId = match.id;
    }
    users.set(desired.entraUserId, { desired, mi: match, ref: match ? { miUserId: match.id } : undefined });
  }
  const held = new Set([...failedMatches].filter((id) => !claimed.has(id)));
  return { users, held, identities, claimed, problems, warnings, notes };
}

/**
 * What a processed user (a selected member of a synced group) claims, before matching: its username and email, when
 * it is enabled and has a username. The live path records this before it looks for other claimants.
 */
export function identityOf(desired: DesiredUser): PlannedIdentity {
  return {
    entraUserId: desired.entraUserId,
    username: desired.username,
    email: desired.email,
    claims: desired.enabled && desired.username !== "",
    miUserId: undefined,
  };
}

/** Why an enabled user with a username may not be written, or undefined. */
function clashOf(
  desired: DesiredUser,
  match: MiUser | undefined,
  seen: {
    seenUsernames: Set<string>;
    seenEmails: Set<string>;
    claimed: Map<string, string>;
    index: PlanContext["index"];
    holds: (owner: MiUser, email: string) => boolean;
  },
): { code: string; message: string } | undefined {
  if (seen.seenUsernames.has(lower(desired.username))) {
    return {
      code: "duplicate-username",
      message: `two Entra users map to the MI username '${desired.username}'; the second was not written`,
    };
  }
  const email = lower(desired.email);
  if (email && seen.seenEmails.has(email)) {
    return {
      code: "duplicate-email",
      message: `two Entra users would have the email '${desired.email}'; '${desired.username}' was not written`,
    };
  }
  if (match && seen.claimed.has(match.id)) {
    return {
      code: "duplicate-match",
      message: `'${desired.username}' matches MI user '${match.username}', already matched by '${seen.claimed.get(match.id)}'`,
    };
  }
  const owner = email ? seen.index.byEmail.get(email) : undefined;
  if (
    owner &&
    owner.id !== match?.id &&
    (match === undefined || lower(match.email) !== email) &&
    seen.holds(owner, email)
  ) {
    return {
      code: "duplicate-email",
      message: `email '${desired.email}' belongs to MI user '${owner.username}'; '${desired.username}' was not written`,
    };
  }
  return undefined;
}
