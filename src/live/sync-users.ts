import { DeltaResetError } from "../entra/delta-reset-error.js";
import type { DeltaChain } from "../state/sync-state-store.js";
import { requiredAttributes } from "../sync/sync-options.js";
import type { SyncResult } from "../sync/sync-result.js";
import { msUntilNextRound, roundCarries, USERS_CHAIN_ID } from "./delta-chains.js";
import type { LiveDeps } from "./live-deps.js";
import { syncEverything, syncGroupScope } from "./sync-group-scope.js";
import { throwIfFailed } from "./sync-groups.js";
import { MAX_USERS_IN_MESSAGE, type UsersMessage, usersMessages } from "./sync-message.js";
import { syncUserScope } from "./sync-user-scope.js";
import { type LeaseSet, ScopeBusyError, withLeases } from "./with-lease.js";

export interface UsersSyncOutcome {
  /**
   * `users`: synced by their own reads; `groups`/`full`: a wider read decided; `queued`: too many, sent on in messages;
   * `coalesced`: a round of the users delta that began after the notification (and Graph's lag) carried it.
   */
  path: "users" | "groups" | "full" | "queued" | "coalesced" | "none";
  users: string[];
  result?: SyncResult;
  reset: boolean;
  widenedBecause?: string;
}

/**
 * The worker's step for a `users` message.
 *
 * With `userIds` (a notification named them, or a resync re-checks them): those users are synced by their own reads
 * (`syncUserScope`), which need no delta to find them. A notification's users ride along with a round of the users
 * delta when the chain is free; when another round holds it, or one began under MIN_ROUND_INTERVAL_MS ago, they are
 * synced on their own and the chain is left to that round: a burst of user notifications never queues behind the one
 * chain (in the soak, each waiting its turn sent 35,000 messages for 5,000 changes).
 *
 * Without `userIds`, under the users chain's lease: the users delta runs from its stored link (attribute changes,
 * disables, deletions, which group delta may never show: contract §2 "Soft deletes and deleted users"), the users it
 * reports are synced (or, past a message's worth, sent on in `users` messages), and only then is the new link stored,
 * with when the round began. A notification that a round beginning SYNC_DELTA_LAG_SECONDS after it already read is
 * done. Without a link, one is taken from now (what came before is the reconcile's); expired or reset state resyncs
 * everything.
 */
export async function syncUserChanges(deps: LiveDeps, message: UsersMessage): Promise<UsersSyncOutcome> {
  const named = (message.userIds ?? []).map((id) => id.toLowerCase());
  const onTheirOwn = () => withLeases(deps, [], (leases) => syncUsers(deps, named, leases, false));
  if (message.userIds !== undefined && message.reason !== "notification") return onTheirOwn();
  const chain = await deps.state.getDeltaChain(USERS_CHAIN_ID);
  if (named.length > 0) {
    if (chain !== undefined && msUntilNextRound(chain, deps.now()) > 0) return onTheirOwn();
    try {
      return await usersRound(deps, named);
    } catch (error) {
      if (error instanceof ScopeBusyError && error.scopes.includes(CHAIN_SCOPE)) return onTheirOwn();
      throw error;
    }
  }
  if (message.reason === "notification" && chain !== undefined && roundCarries(chain, message.at, deps.settings)) {
    return { path: "coalesced", users: [], reset: false };
  }
  return usersRound(deps, named);
}

const CHAIN_SCOPE = `chain:${USERS_CHAIN_ID}`;

/** One round of the users delta under its chain's lease, syncing what it reports and `named` (see above). */
async function usersRound(deps: LiveDeps, named: string[]): Promise<UsersSyncOutcome> {
  return withLeases(deps, [CHAIN_SCOPE], async (leases) => {
    const chain: DeltaChain = (await deps.state.getDeltaChain(USERS_CHAIN_ID)) ?? {
      chainId: USERS_CHAIN_ID,
      kind: "users",
      groupIds: [],
      deltaLink: undefined,
      updatedAt: deps.now().toISOString(),
    };
    const readFrom = deps.now().toISOString();
    const options = deps.config.sync;
    const feed = {
      attributes: requiredAttributes(options),
      ...(options.customAttrAppId ? { customAttrAppId: options.customAttrAppId } : {}),
    };
    let deltaLink: string;
    let outcome: UsersSyncOutcome;
    try {
      if (chain.deltaLink === undefined) throw new NoLink();
      const round = await deps.entra.readUserDelta({ ...feed, deltaLink: chain.deltaLink, abortSignal: leases.signal });
      const changed = [...new Set([...named, ...round.changes.map((c) => c.userId.toLowerCase())])];
      deltaLink = round.deltaLink;
      outcome = await syncUsers(deps, changed, leases, true);
    } catch (error) {
      if (!(error instanceof DeltaResetError) && !(error instanceof NoLink)) throw error;
      deltaLink = (await deps.entra.readUserDelta({ ...feed, start: "latest", abortSignal: leases.signal })).deltaLink;
      if (error instanceof DeltaResetError) {
        deps.logger.warn(`worker: users delta state ${error.reason}; resyncing everything`);
        const everything = await syncEverything(deps, leases, { widenedBecause: `users delta ${error.reason}` });
        throwIfFailed(everything.result, "the full resync");
        outcome = { path: "full", users: [], result: everything.result, reset: true };
      } else {
        outcome = await syncUsers(deps, named, leases, true);
      }
    }
    const current = (await deps.state.getDeltaChain(USERS_CHAIN_ID)) ?? chain;
    await deps.state.saveDeltaChain({ ...current, deltaLink, readFrom, updatedAt: deps.now().toISOString() });
    return outcome;
  });
}

class NoLink extends Error {}

/** Syncs users by their own reads, or (more than a message holds) sends them on; widens as the scope asks. */
async function syncUsers(
  deps: LiveDeps,
  users: string[],
  leases: LeaseSet,
  mayQueue: boolean,
): Promise<UsersSyncOutcome> {
  if (users.length === 0) return { path: "none", users, reset: false };
  if (mayQueue && users.length > MAX_USERS_IN_MESSAGE) {
    for (const message of usersMessages("resync", deps.now(), users)) await deps.queue.send(message);
    return { path: "queued", users, reset: false };
  }
  const scoped = await syncUserScope(deps, users, leases);
  if (scoped.kind === "synced") {
    if (scoped.result) throwIfFailed(scoped.result, `the sync of ${users.length} user(s)`);
    return { path: "users", users, ...(scoped.result ? { result: scoped.result } : {}), reset: false };
  }
  const wide =
    scoped.to === "groups" && scoped.groupIds
      ? await syncGroupScope(deps, scoped.groupIds, leases)
      : await syncEverything(deps, leases, { widenedBecause: scoped.reason });
  throwIfFailed(wide.result, `the resync after '${scoped.reason}'`);
  return { path: wide.scope, users, result: wide.result, reset: false, widenedBecause: scoped.reason };
}
