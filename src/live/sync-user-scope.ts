import pLimit from "p-limit";
import type { UserContext } from "../entra/entra-change-feed.js";
import { UserGroupsUnsupportedError } from "../entra/read-user-context.js";
import type { DeltaChain, UserLedgerEntry } from "../state/sync-state-store.js";
import { mapUser } from "../sync/map-user.js";
import type { DirectoryGroup, MiMembership, MiUser } from "../sync/model.js";
import { planSync } from "../sync/plan/plan-sync.js";
import { identityOf } from "../sync/plan/plan-users.js";
import { DEFAULT_GROUP_NAME, isSelected } from "../sync/plan/target-groups.js";
import { applyPlanned } from "../sync/run-sync.js";
import type { EntraSnapshot, GroupMembersRead, MiSnapshot } from "../sync/snapshot.js";
import { requiredAttributes } from "../sync/sync-options.js";
import type { SyncResult } from "../sync/sync-result.js";
import { auditPort } from "./audit-port.js";
import { chainsOrLay } from "./delta-chains.js";
import type { LiveDeps } from "./live-deps.js";
import { miGroupsCache } from "./mi-groups-cache.js";
import { stateLedger } from "./user-ledger.js";
import type { LeaseSet } from "./with-lease.js";

/** A sync limited to some users, or why it must read more (the caller then syncs the scope named). */
export type UserScopeOutcome =
  | { kind: "synced"; result: SyncResult | undefined; users: string[] }
  | { kind: "widen"; to: "groups" | "full"; reason: string; groupIds?: string[] };

/** The most users one scope takes (the named ones and every other claimant found); beyond, a wider read is cheaper. */
export const MAX_SCOPE_USERS = 400;
/** The most rounds of "who else claims that name?" before the whole sync is read instead. */
const MAX_CLOSURE_ROUNDS = 5;

/**
 * The live path's sync of some users (named by a delta round, a notification, or a resync), planned by `planSync` in
 * scope `users`, with the same rules as any other run. It reads, for each user, the Entra user and every group
 * holding it (one `$batch` per 10 users), and in MI the user's account(s) with all their rows; then plans, applies
 * through the shared tail, and records the users in the ledger.
 *
 * So that the plan decides as a full one would, the scope is closed under claims before planning: every other Entra
 * user that claims (in the ledger) a username or email of these users, or of the MI users they may be, joins the
 * scope, and so on. Each user's claim is written to the ledger before the others are looked up, so that of two
 * concurrent scopes at least one sees the other; each user's lease (`user:<id>`) is held, so that two scopes never
 * write one user at once. A busy lease defers the whole message (ScopeBusyError).
 *
 * Widens (returns `widen`) when the users alone cannot decide: attribute groups (`--map-attr-to-group`), a synced
 * group renamed or not on record, a user's groups that Graph does not list, the removal guard needing its base, or
 * a scope larger than MAX_SCOPE_USERS.
 */
export async function syncUserScope(
  deps: LiveDeps,
  entraUserIds: readonly string[],
  leases: LeaseSet,
): Promise<UserScopeOutcome> {
  const options = deps.config.sync;
  if (options.mapAttrToGroup.length > 0) return { kind: "widen", to: "full", reason: "--map-attr-to-group" };
  const chains = await chainsOrLay(deps);
  const synced = syncedGroups(chains);
  if (synced === undefined) return { kind: "widen", to: "full", reason: "the synced groups' names are not on record" };
  const named = [...new Set(entraUserIds.map((id) => id.toLowerCase()))];
  if (named.length === 0 || synced.size === 0) return { kind: "synced", result: undefined, users: [] };

  const closure = await closeOverClaims(deps, named, synced, leases);
  if ("widen" in closure) return closure.widen;
  const { contexts, previous, candidates, early } = closure;

  // The groups holding each user are read whole, so a name that differs from the one on record is a rename since the
  // chains were laid: its MI group changes, which only a read of the group decides.
  for (const context of contexts.values()) {
    for (const g of context.groups) {
      const known = synced.get(g.id);
      if (known !== undefined && known.displayName.toLowerCase() !== g.displayName.toLowerCase()) {
        return { kind: "widen", to: "groups", reason: `group ${g.id} was renamed`, groupIds: [g.id] };
      }
    }
  }

  const limit = pLimit(deps.mi.maxConcurrency);
  const targets = [...new Set([...synced.values()].map((g) => options.targetGroup ?? g.displayName))];
  const [miGroups, rows] = await Promise.all([
    miGroupsCache.get(deps.mi, [...targets, DEFAULT_GROUP_NAME], deps.now(), { abortSignal: leases.signal }),
    Promise.all(
      [...candidates.keys()].map(async (id) => {
        const read = early.get(id);
        const rows = read ? await read : undefined;
        return rows?.ok ? rows.value : limit(() => deps.mi.listUserMemberships(id));
      }),
    ),
  ]);
  const entra = entraSnapshot(contexts, synced);
  const mi: MiSnapshot = {
    users: [...candidates.values()],
    groups: miGroups,
    memberships: byGroup(rows.flat()),
    actingUsername: deps.mi.actingUsername,
  };
  const plan = planSync(entra, mi, options, "users");
  const result = await applyPlanned(
    plan,
    { options, mode: deps.config.mode },
    {
      entra: deps.entra,
      mi: deps.mi,
      logger: deps.logger,
      ...auditPort(deps),
      ledger: stateLedger(deps.state, deps.now, { users: contexts.keys(), previous }),
    },
    { abortSignal: leases.signal },
  );
  // A write that failed may have met an MI group gone since it was listed: the next attempt lists them again.
  if (result.transientFailures > 0 || plan.operations.some((o) => o.op === "createGroup"))
    miGroupsCache.forget(deps.mi);
  if (result.verdict.needsBase) {
    return { kind: "widen", to: "full", reason: `${plan.removals} removals: the guard needs the synced groups' size` };
  }
  return { kind: "synced", result, users: [...contexts.keys()] };
}

interface Closure {
  contexts: Map<string, UserContext>;
  /** The users' ledger entries as this scope wrote them before planning (their claims now). */
  previous: Map<string, UserLedgerEntry>;
  /** The MI users the scope's users may be, by MI id. */
  candidates: Map<string, MiUser>;
  /**
   * Membership rows of the MI accounts the ledger named, read beside Graph's read of the named users (so a change
   * waits for one MI round trip less): used when no other claimant joined the scope, else read again after it closed.
   */
  early: Map<string, Promise<Settled<MiMembership[]>>>;
}

/** A promise's outcome, held without an unhandled rejection until it is used. */
type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
const settle = <T>(promise: Promise<T>): Promise<Settled<T>> =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
const unsettle = async <T>(settled: Promise<Settled<T>>): Promise<T> => {
  const outcome = await settled;
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
};

/**
 * Reads the named users, records their claims, then adds every other user who claims the same usernames or emails
 * (theirs, or those of the MI users they may be), until no new one turns up.
 */
async function closeOverClaims(
  deps: LiveDeps,
  named: string[],
  synced: ReadonlyMap<string, DirectoryGroup>,
  leases: LeaseSet,
): Promise<Closure | { widen: UserScopeOutcome }> {
  const options = deps.config.sync;
  const contexts = new Map<string, UserContext>();
  const previous = new Map<string, UserLedgerEntry>();
  const candidates = new Map<string, MiUser>();
  const early = new Map<string, Promise<Settled<MiMembership[]>>>();
  const looked = { username: new Set<string>(), email: new Set<string>(), id: new Set<string>() };
  const limit = pLimit(deps.mi.maxConcurrency);
  const call = { abortSignal: leases.signal };
  let pending = named;
  for (let round = 0; pending.length > 0; round++) {
    if (round >= MAX_CLOSURE_ROUNDS || contexts.size + pending.length > MAX_SCOPE_USERS) {
      return {
        widen: { kind: "widen", to: "full", reason: `more than ${contexts.size + pending.length} users share names` },
      };
    }
    await leases.add(pending.map((id) => `user:${id}`));
    // The MI account the ledger last knew for each user is read while Graph reads the users: it needs only the
    // ledger's id. One read per account (the first user naming it), as each account is a candidate once.
    const ids = pending;
    const entriesRead = deps.state.getUserEntries(ids);
    const accountReads = settle(
      entriesRead.then((known) => {
        const reads = new Map<string, Promise<Settled<MiUser | undefined>>>();
        for (const id of ids) {
          const miId = known.get(id)?.miId;
          if (miId === undefined || looked.id.has(miId)) continue;
          looked.id.add(miId);
          reads.set(id, settle(limit(() => deps.mi.getUser(miId, call))));
          if (round === 0) early.set(miId, settle(limit(() => deps.mi.listUserMemberships(miId, call))));
        }
        return reads;
      }),
    );
    // The names the users' ledger entries claim already have their claim rows (an earlier sync of these users wrote
    // them), so the other claimants of those names may be looked up now, beside Graph's read: of two scopes running at
    // once, the other one's look-up comes after these rows too. A name claimed anew is looked up after its rows are
    // written (below).
    const claimedBefore = settle(entriesRead.then((known) => claimedNames(ids, known)));
    const earlyClaimants = settle(unsettle(claimedBefore).then((names) => deps.state.findClaimants(names)));
    let read: Map<string, UserContext>;
    let entries: Map<string, UserLedgerEntry>;
    try {
      [read, entries] = await Promise.all([
        deps.entra.readUserContext({
          userIds: pending,
          attributes: requiredAttributes(options),
          ...(options.customAttrAppId ? { customAttrAppId: options.customAttrAppId } : {}),
          membership: options.membership,
          abortSignal: leases.signal,
        }),
        entriesRead,
      ]);
    } catch (error) {
      // A Graph that lists no user's groups: only whole groups can be read there.
      if (error instanceof UserGroupsUnsupportedError)
        return { widen: { kind: "widen", to: "full", reason: error.message } };
      throw error;
    }
    // Claims first, then the look-up of other claimants: of two scopes running at once, one sees the other.
    const at = deps.now().toISOString();
    const claims: UserLedgerEntry[] = [];
    for (const id of pending) {
      const context = read.get(id) ?? { user: null, groups: [] };
      contexts.set(id, context);
      const identity = claimOf(context, synced, options);
      const claim: UserLedgerEntry = {
        entraId: id,
        miId: entries.get(id)?.miId,
        username: identity?.username ?? "",
        email: identity?.email ?? "",
        claims: identity?.claims ?? false,
        updatedAt: at,
      };
      claims.push(claim);
      previous.set(id, claim);
    }
    const written = settle(
      Promise.all([deps.state.saveUserEntries(claims, entries), deps.state.touchUsers(pending, at)]),
    );

    // The MI users they may be: the one the ledger last knew, then (unless that one has exactly the username and
    // email the user maps to: MI keeps both unique, so no other account can have them) by username and by email.
    const accounts = await unsettle(accountReads);
    const located = await Promise.all(
      claims.map((claim) => {
        const account = accounts.get(claim.entraId);
        return account === undefined ? undefined : unsettle(account);
      }),
    );
    const lookups: Promise<MiUser | undefined>[] = located.map((user) => Promise.resolve(user));
    claims.forEach((claim, i) => {
      const known = located[i];
      const settled =
        known !== undefined &&
        lower(known.username) === lower(claim.username) &&
        lower(known.email) === lower(claim.email);
      if (!claim.claims || settled) return;
      if (!looked.username.has(lower(claim.username))) {
        looked.username.add(lower(claim.username));
        lookups.push(limit(() => deps.mi.findUserBy("username", claim.username, call)));
      }
      if (claim.email && !looked.email.has(lower(claim.email))) {
        looked.email.add(lower(claim.email));
        lookups.push(limit(() => deps.mi.findUserBy("email", claim.email, call)));
      }
    });
    const found = (await Promise.all(lookups)).filter((u) => u !== undefined && !candidates.has(u.id)) as MiUser[];
    for (const user of found) candidates.set(user.id, user);

    const usernames = [...claims.filter((c) => c.claims).map((c) => c.username), ...found.map((u) => u.username)];
    const emails = [...claims.filter((c) => c.claims).map((c) => c.email), ...found.map((u) => u.email)];
    // Claims first, then the look-up of other claimants: the early look-up stands only when every name looked up (the
    // users' claims among them) was claimed before; otherwise the claims are stored, then looked up.
    const before = await unsettle(claimedBefore);
    const covered =
      usernames.every((u) => before.usernames.includes(lower(u))) &&
      emails.every((e) => !e || before.emails.includes(lower(e)));
    if (!covered) await unsettle(written);
    const claimantIds = covered
      ? await unsettle(earlyClaimants)
      : await deps.state.findClaimants({ usernames, emails });
    await unsettle(written);
    const claimants = [...claimantIds].filter((id) => !contexts.has(id));
    pending = await stillClaiming(deps, claimants, new Set(usernames.map(lower)), new Set(emails.map(lower)));
    // Another user joins the scope: it may have just written these accounts, so their rows are read after closing.
    if (pending.length > 0) early.clear();
  }
  return { contexts, previous, candidates, early };
}

/** The usernames and emails (lower case) these users' ledger entries claim: those that have claim rows. */
function claimedNames(
  ids: readonly string[],
  entries: ReadonlyMap<string, UserLedgerEntry>,
): { usernames: string[]; emails: string[] } {
  const names = { usernames: [] as string[], emails: [] as string[] };
  for (const id of ids) {
    const entry = entries.get(id);
    if (!entry?.claims) continue;
    if (entry.username) names.usernames.push(lower(entry.username));
    if (entry.email) names.emails.push(lower(entry.email));
  }
  return names;
}

/** Of these Entra ids, those whose ledger entry still claims one of the keys (claim rows can be stale). */
async function stillClaiming(
  deps: LiveDeps,
  ids: string[],
  usernames: ReadonlySet<string>,
  emails: ReadonlySet<string>,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const entries = await deps.state.getUserEntries(ids);
  return ids.filter((id) => {
    const e = entries.get(id);
    return e?.claims === true && (usernames.has(lower(e.username)) || (e.email !== "" && emails.has(lower(e.email))));
  });
}

/** What a user claims now: undefined unless it is a selected member of a synced group. */
export function claimOf(
  context: UserContext,
  synced: ReadonlyMap<string, DirectoryGroup>,
  options: LiveDeps["config"]["sync"],
): ReturnType<typeof identityOf> | undefined {
  if (context.user === null || !context.groups.some((g) => synced.has(g.id))) return undefined;
  const desired = mapUser(context.user, options);
  return isSelected(desired, options) ? identityOf(desired) : undefined;
}

/** The synced groups with their names on record; undefined when a chain predates names being kept. */
function syncedGroups(chains: readonly DeltaChain[]): Map<string, DirectoryGroup> | undefined {
  const groups = new Map<string, DirectoryGroup>();
  for (const chain of chains) {
    if (chain.groupNames === undefined || chain.groupNames.length !== chain.groupIds.length) return undefined;
    for (const [i, id] of chain.groupIds.entries()) groups.set(id, { id, displayName: chain.groupNames[i] ?? "" });
  }
  return groups;
}

/** Entra as the scope knows it: every synced group, each with the scope's users that are in it. */
export function entraSnapshot(
  contexts: ReadonlyMap<string, UserContext>,
  synced: ReadonlyMap<string, DirectoryGroup>,
): EntraSnapshot {
  const members = new Map<string, GroupMembersRead>(
    [...synced.keys()].map((id) => [id, { userIds: [], complete: true }]),
  );
  const users = new Map<string, NonNullable<UserContext["user"]>>();
  for (const [id, context] of contexts) {
    if (context.user === null) continue;
    users.set(id, { ...context.user, id });
    for (const g of context.groups) members.get(g.id)?.userIds.push(id);
  }
  return { groups: [...synced.values()], members, users };
}

/** MI membership rows by group, each row once. */
export function byGroup(rows: readonly MiMembership[]): Map<string, MiMembership[]> {
  const map = new Map<string, MiMembership[]>();
  const seen = new Set<string>();
  for (const row of rows) {
    if (seen.has(row.id)) continue;
    seen.add(row.id);
    map.set(row.groupId, [...(map.get(row.groupId) ?? []), row]);
  }
  return map;
}

const lower = (s: string): string => s.toLowerCase();
