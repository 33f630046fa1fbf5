import pLimit from "p-limit";
import type { UserContext } from "../entra/entra-change-feed.js";
import { claimOf } from "../live/sync-user-scope.js";
import type { DirectoryGroup, MiUser } from "../sync/model.js";
import type { MembershipMode } from "../sync/ports/entra-directory.js";
import { requiredAttributes } from "../sync/sync-options.js";
import type { ExplainDeps } from "./explanation.js";

/** Rounds of "who else claims that name?" explain follows (the live path follows 5, then reads everything). */
const MAX_ROUNDS = 3;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The user a query names: Entra's (with its groups read both ways), and the MI account the query names. */
export interface FoundUser {
  entraId: string | undefined;
  /** Every group holding the user directly, and through nesting too. */
  direct: UserContext | undefined;
  transitive: UserContext | undefined;
  /** The MI user whose username or email is the query. */
  miByQuery: MiUser | undefined;
}

function readContexts(deps: ExplainDeps, ids: readonly string[], membership: MembershipMode) {
  const { options } = deps;
  return deps.entra.readUserContext({
    userIds: ids,
    attributes: requiredAttributes(options),
    ...(options.customAttrAppId ? { customAttrAppId: options.customAttrAppId } : {}),
    membership,
  });
}

/**
 * Finds the user a query names: an Entra object id or UPN; else the MI user with that username or email (and the
 * Entra user whose UPN is that MI user's username or email); else, with the app's ledger, the Entra user that claims
 * that username or email.
 */
export async function findUser(deps: ExplainDeps, query: string): Promise<FoundUser> {
  const q = query.trim();
  const miByQuery = GUID.test(q)
    ? undefined
    : ((await deps.mi.findUserBy("username", q)) ??
      (q.includes("@") ? await deps.mi.findUserBy("email", q) : undefined));
  const tries = [q, miByQuery?.username, miByQuery?.email].filter(
    (t): t is string => t !== undefined && (GUID.test(t) || t.includes("@")),
  );
  if (deps.state && deps.userPlan === "ledger") {
    const claimants = await deps.state.findClaimants({ usernames: [q], emails: [q] });
    tries.push(...claimants);
  }
  for (const attempt of [...new Set(tries.map((t) => t.toLowerCase()))]) {
    const context = (await readContexts(deps, [attempt], "transitive")).get(attempt);
    if (!context?.user) continue;
    const entraId = context.user.id.toLowerCase();
    const direct = (await readContexts(deps, [entraId], "direct")).get(entraId);
    return { entraId, direct, transitive: context, miByQuery };
  }
  return { entraId: undefined, direct: undefined, transitive: undefined, miByQuery };
}

/** The users and MI accounts a plan limited to one user needs (see syncUserScope), read without writing anything. */
export interface UserScope {
  contexts: Map<string, UserContext>;
  /** The MI users the scope's users may be, by MI id. */
  candidates: Map<string, MiUser>;
}

/**
 * Reads what a sync of this user reads, as the live path does but writing nothing (no ledger claim, no lease): the
 * user, the MI accounts it may be (the one the ledger knew, and those with its username or email), and, with the
 * ledger, every other Entra user claiming one of those names, for a few rounds. Without the ledger (the CLI without
 * the app's storage) other claimants are not known; `explain` says so.
 */
export async function readUserScope(
  deps: ExplainDeps,
  first: { id: string; context: UserContext },
  synced: ReadonlyMap<string, DirectoryGroup>,
  extra: readonly MiUser[],
): Promise<UserScope> {
  const contexts = new Map<string, UserContext>([[first.id, first.context]]);
  const candidates = new Map<string, MiUser>(extra.map((u) => [u.id, u]));
  const looked = new Set<string>();
  const limit = pLimit(deps.mi.maxConcurrency);
  let pending = [first.id];
  for (let round = 0; pending.length > 0 && round < MAX_ROUNDS; round++) {
    const unread = pending.filter((id) => !contexts.has(id));
    if (unread.length > 0) {
      for (const [id, context] of await readContexts(deps, unread, deps.options.membership)) contexts.set(id, context);
    }
    const entries = deps.state ? await deps.state.getUserEntries(pending) : new Map();
    const lookups: Promise<MiUser | undefined>[] = [];
    const usernames: string[] = [];
    const emails: string[] = [];
    for (const id of pending) {
      const known = entries.get(id)?.miId;
      if (known !== undefined && !looked.has(`id:${known}`)) {
        looked.add(`id:${known}`);
        lookups.push(limit(() => deps.mi.getUser(known)));
      }
      const claim = claimOf(contexts.get(id) ?? { user: null, groups: [] }, synced, deps.options);
      if (!claim?.claims) continue;
      usernames.push(claim.username);
      if (claim.email) emails.push(claim.email);
    }
    for (const [field, values] of [
      ["username", usernames],
      ["email", emails],
    ] as const) {
      for (const value of values) {
        if (looked.has(`${field}:${value.toLowerCase()}`)) continue;
        looked.add(`${field}:${value.toLowerCase()}`);
        lookups.push(limit(() => deps.mi.findUserBy(field, value)));
      }
    }
    const found = (await Promise.all(lookups)).filter((u): u is MiUser => u !== undefined);
    for (const user of found) candidates.set(user.id, user);
    if (!deps.state) break;
    const claimants = await deps.state.findClaimants({
      usernames: [...usernames, ...found.map((u) => u.username)],
      emails: [...emails, ...found.map((u) => u.email).filter((e) => e !== "")],
    });
    const fresh = [...claimants].filter((id) => !contexts.has(id));
    const claiming = fresh.length === 0 ? new Map() : await deps.state.getUserEntries(fresh);
    pending = fresh.filter((id) => claiming.get(id)?.claims === true);
  }
  return { contexts, candidates };
}
