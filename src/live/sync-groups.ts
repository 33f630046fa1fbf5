import { DeltaResetError } from "../entra/delta-reset-error.js";
import type { GroupDeltaChange } from "../entra/entra-change-feed.js";
import { SyncError } from "../errors/sync-error.js";
import type { DeltaChain } from "../state/sync-state-store.js";
import { groupKey } from "../sync/plan/target-groups.js";
import type { SyncResult } from "../sync/sync-result.js";
import {
  deltaLagMs,
  ensureGroupChains,
  MIN_ROUND_INTERVAL_MS,
  msUntilNextRound,
  roundCarries,
  updateDeltaChain,
} from "./delta-chains.js";
import type { LiveDeps } from "./live-deps.js";
import { syncEverything, syncGroupScope } from "./sync-group-scope.js";
import { groupMessage } from "./sync-message.js";
import { syncUserScope } from "./sync-user-scope.js";
import { DeferError, deferDelayMs, type LeaseSet, withLeases } from "./with-lease.js";

/** How a chain's round went, for the run record. */
export interface ChainRoundOutcome {
  /**
   * `users`: the users the delta named, synced by their own reads. `groups`: whole groups resynced (no delta state,
   * a reset, a nested group or a rename, or the users alone could not decide). `full`: the whole configured sync.
   * `coalesced`: an earlier round already carried the change, or the chain's booked wake will. `waiting`: the chain
   * is busy or read too recently, and this notification is its wake now (sent again for later). `none`: the group is
   * not synced here.
   */
  path: "users" | "groups" | "full" | "coalesced" | "waiting" | "none";
  /** Groups the round covered. */
  groupIds: string[];
  /** Users synced on the `users` path. */
  users: string[];
  result?: SyncResult;
  /** The chain's delta state had expired or been reset. */
  reset: boolean;
  /** Messages sent for synced ancestors in other chains (nested groups). */
  enqueued: string[];
  /** Why the round read more than the users the delta named. */
  widenedBecause?: string;
  /** Users another sync wrote meanwhile, sent back for their own sync. */
  rechecked: number;
  /**
   * After a notification whose round began within Graph's lag of it: read the chain again this much later (the
   * change may not have shown yet). By then another round has usually read it, and the re-check costs nothing.
   */
  recheckInMs?: number;
}

/** What started a group round: a Graph notification (received `at`), or a resync / reconcile request. */
export interface GroupSyncTrigger {
  reason: "notification" | "reconcile" | "resync";
  /** ISO 8601. */
  at: string;
  /** Times an empty round after this notification was read again already. */
  recheck?: number;
  /** The wake id when the message is (or was) its chain's booked wake. */
  wake?: string;
  /** Times the message waited already. */
  deferrals?: number;
  /** Failed attempts so far (carried by the wake it becomes). */
  failures?: number;
}

/** A notification whose chain's round began reading long enough after it to show its change. */
function alreadyRead(deps: LiveDeps, chain: DeltaChain, trigger: GroupSyncTrigger): boolean {
  return trigger.reason === "notification" && roundCarries(chain, trigger.at, deps.settings);
}

/** An outcome that synced nothing, for the fields a path does not set. */
function nothingSynced() {
  return { groupIds: [], users: [], reset: false, enqueued: [], rechecked: 0 };
}

/**
 * The worker's step for a `group` message, under the lease of the group's delta chain.
 *
 * After a notification: run the chain's delta from its stored link and sync what it reports, then store the new link
 * (with when the round began), never before: a crash or a failure replays the same delta, which is harmless because
 * every sync is level-based and every write idempotent. Users added to or removed from groups are synced by their
 * own reads (`syncUserScope`, which confirms each removal against Graph); a nested group added or removed (transitive
 * membership), a rename, or a deleted group that shared its MI group resync whole groups (`syncGroupScope`). A chain
 * with no link yet, or whose delta state expired, takes a link from now first and resyncs all its groups. Graph's delta
 * may trail its notifications: a notification is done once a round began SYNC_DELTA_LAG_SECONDS after it, so a round
 * that began sooner asks for a re-check then (`recheckInMs`), which a later round usually makes free.
 *
 * A resync or reconcile request resyncs the group whole. A notification that arrived before the stored round began
 * reading is already carried by it (coalescing). With nested groups, a change in a group that is not synced resyncs
 * its synced ancestors.
 */
export async function syncGroupChange(
  deps: LiveDeps,
  groupId: string,
  trigger: GroupSyncTrigger = { reason: "resync", at: deps.now().toISOString() },
): Promise<ChainRoundOutcome> {
  const id = groupId.toLowerCase();
  let chains = await deps.state.listDeltaChains("groups");
  let chain = chains.find((c) => c.groupIds.includes(id));
  if (!chain && mayBeSelected(deps, chains, id)) {
    // No chain holds it: before the first reconcile, or a group new to the selection (a --filter match). The
    // selection decides; if it covers the group, the chains are laid now (without links: the round below takes one).
    const resolution = await deps.entra.resolveGroups(deps.config.selector);
    if (resolution.groups.some((g) => g.id.toLowerCase() === id)) {
      chains = await ensureGroupChains(deps.state, resolution.groups, deps.now());
      chain = chains.find((c) => c.groupIds.includes(id));
    }
  }
  const synced = new Set(chains.flatMap((c) => c.groupIds));
  const empty = nothingSynced();
  if (!chain) {
    const ancestors = await syncedAncestors(deps, id, synced);
    for (const ancestor of ancestors) await deps.queue.send(groupMessage(ancestor, "resync", deps.now()));
    deps.logger.info(`worker: group ${id} is not synced; ${ancestors.length} synced ancestor(s) enqueued`);
    return { ...empty, path: "none", enqueued: ancestors };
  }
  if (alreadyRead(deps, chain, trigger)) return { ...empty, path: "coalesced" };
  if (trigger.reason === "notification") {
    const wait = msUntilNextRound(chain, deps.now());
    if (wait > 0) {
      const why = `chain ${chain.chainId} began a round ${MIN_ROUND_INTERVAL_MS - wait} ms ago`;
      return waitForRound(deps, id, chain.chainId, trigger, wait, why, "deferral");
    }
  }
  try {
    return await runRound(deps, id, chain, synced, trigger);
  } catch (error) {
    if (trigger.reason !== "notification" || !(error instanceof DeferError)) throw error;
    const delayMs = error.delayMs ?? busyRoundDelayMs((trigger.deferrals ?? 0) + 1);
    return waitForRound(deps, id, chain.chainId, trigger, delayMs, error.message, "deferral");
  }
}

/** Deferrals of a notification that wait about one round interval each before they back off. */
export const QUICK_DEFERRALS = 5;

/**
 * The wait of a notification whose round found its chain (or a user it names) busy, after its `deferrals`-th
 * deferral. Another round is the usual holder, and it is short, while the next may begin MIN_ROUND_INTERVAL_MS after
 * it: so the first QUICK_DEFERRALS waits are about that long (a burst's changes would otherwise wait seconds behind
 * one busy moment), and only a longer holder (a reconcile) meets the backoff every deferral has.
 */
export function busyRoundDelayMs(deferrals: number, random: () => number = Math.random): number {
  if (deferrals > QUICK_DEFERRALS) return deferDelayMs(deferrals - QUICK_DEFERRALS, random);
  return Math.round(MIN_ROUND_INTERVAL_MS * (0.8 + 0.4 * random()));
}

/** One round of a chain, under its lease (see `syncGroupChange`). */
async function runRound(
  deps: LiveDeps,
  id: string,
  chain: DeltaChain,
  synced: ReadonlySet<string>,
  trigger: GroupSyncTrigger,
): Promise<ChainRoundOutcome> {
  const empty = nothingSynced();
  return withLeases(deps, [`chain:${chain.chainId}`], async (leases) => {
    const fresh = (await deps.state.getDeltaChain(chain.chainId)) ?? chain;
    if (alreadyRead(deps, fresh, trigger)) return { ...empty, path: "coalesced" };
    const readFrom = deps.now().toISOString();
    if (trigger.reason !== "notification") {
      const outcome = await resyncGroups(deps, [id], leases);
      return { ...empty, ...outcome };
    }
    let round: Awaited<ReturnType<typeof readRound>>;
    try {
      round = await readRound(deps, fresh);
    } catch (error) {
      if (!(error instanceof DeltaResetError)) throw error;
      deps.logger.warn(`worker: delta state of ${fresh.chainId} ${error.reason}; resyncing its groups`);
      round = undefined;
    }
    if (round === undefined) {
      // No link yet, or Graph reset it.
      return { ...empty, ...(await restartChain(deps, fresh, leases, readFrom)), reset: fresh.deltaLink !== undefined };
    }
    const changes = round.changes.filter((c) => fresh.groupIds.includes(c.groupId.toLowerCase()));
    const outcome = await applyRound(deps, fresh, changes, synced, leases);
    await saveLink(deps, fresh, round.deltaLink, readFrom);
    const settled = Date.parse(trigger.at) + deltaLagMs(deps.settings) - Date.parse(readFrom);
    return { ...empty, ...outcome, ...(settled > 0 ? { recheckInMs: settled } : {}) };
  });
}

/**
 * A notification whose chain is busy (another round holds its lease) or began a round less than MIN_ROUND_INTERVAL_MS
 * ago waits for a later round, and one message per chain does the waiting: the chain's booked wake (`DeltaChain.wake`).
 * A notification received no later than the booked wake's time is carried by it and done (`coalesced`); a later one,
 * or the wake itself, is sent again for `delayMs` from now, then booked (`waiting`). Sent before booked: a crash in
 * between leaves one message too many, never a booking without its message. A burst of notifications thus costs
 * about two messages each however long the chain stays busy, where each waiting on its own came back every second.
 */
async function waitForRound(
  deps: LiveDeps,
  groupId: string,
  chainId: string,
  trigger: GroupSyncTrigger,
  delayMs: number,
  why: string,
  /** Counted as a deferral (a busy or too recent chain) or as a failed attempt. */
  count: "deferral" | "failure",
): Promise<ChainRoundOutcome> {
  const outcome = nothingSynced();
  const wake = trigger.wake ?? deps.newId();
  let covered = false;
  let sentFor: string | undefined;
  const stored = await updateDeltaChain(deps.state, chainId, async (current) => {
    const booked = current.wake;
    covered =
      alreadyRead(deps, current, trigger) ||
      (booked !== undefined && booked.id !== wake && Date.parse(booked.for) >= Date.parse(trigger.at));
    if (covered) return undefined;
    const wakeFor = booked !== undefined && Date.parse(booked.for) > Date.parse(trigger.at) ? booked.for : trigger.at;
    if (sentFor !== wakeFor) {
      await deps.queue.send(
        {
          v: 1,
          kind: "group",
          groupId,
          reason: "notification",
          at: wakeFor,
          wake,
          ...counts(trigger, count),
          ...(trigger.recheck === undefined ? {} : { recheck: trigger.recheck }),
        },
        { visibilityDelayMs: delayMs },
      );
      sentFor = wakeFor;
    }
    return { ...current, wake: { id: wake, for: wakeFor } };
  });
  if (covered) return { ...outcome, path: "coalesced" };
  // The chains were laid anew meanwhile: the message comes back and finds its group's chain then.
  if (stored === undefined) throw new DeferError(`${why}; chain ${chainId} is gone`);
  deps.logger.info(`worker: ${why}; the notification waits as the chain's wake for ${delayMs} ms`);
  return { ...outcome, path: "waiting" };
}

/** The wake message's retry counts: one more deferral, or one more failed attempt. */
function counts(trigger: GroupSyncTrigger, count: "deferral" | "failure") {
  const deferrals = (trigger.deferrals ?? 0) + (count === "deferral" ? 1 : 0);
  const failures = (trigger.failures ?? 0) + (count === "failure" ? 1 : 0);
  return { ...(deferrals > 0 ? { deferrals } : {}), ...(failures > 0 ? { failures } : {}) };
}

/**
 * A notification whose round failed on something another attempt may cure (MI or Graph unavailable, a write that
 * failed): rather than each notification of an outage coming back on its own, the chain's wake carries them. The
 * failed notification is done if the booked wake already covers it (`coalesced`), else it becomes the wake, sent again
 * after `delayMs` with its failure counted (`waiting`), and the link, not advanced by the failed round, makes the
 * wake's round read the same changes again. Undefined when no chain holds the group: the caller retries it on its own.
 */
export async function retryAsChainWake(
  deps: LiveDeps,
  groupId: string,
  trigger: GroupSyncTrigger,
  delayMs: number,
  why: string,
): Promise<"coalesced" | "waiting" | undefined> {
  if (trigger.reason !== "notification") return undefined;
  const id = groupId.toLowerCase();
  const chain = (await deps.state.listDeltaChains("groups")).find((c) => c.groupIds.includes(id));
  if (chain === undefined) return undefined;
  try {
    const outcome = await waitForRound(deps, id, chain.chainId, trigger, delayMs, why, "failure");
    return outcome.path === "coalesced" ? "coalesced" : "waiting";
  } catch (error) {
    if (error instanceof DeferError) return undefined; // the chains were laid anew: on its own
    throw error;
  }
}

/**
 * The worker's step for a `chain` message (the timer reconcile's fan-out): under the chain's lease, take a new link
 * from now BEFORE reading, resync every group of the chain whole, then store the link. A change made while the groups
 * are read is in both the read and the next round, which is harmless.
 */
export async function syncChain(deps: LiveDeps, chainId: string): Promise<ChainRoundOutcome> {
  const empty = nothingSynced();
  const chain = await deps.state.getDeltaChain(chainId);
  if (!chain) {
    deps.logger.info(`worker: delta chain ${chainId} no longer exists; nothing to resync`);
    return { ...empty, path: "none" };
  }
  return withLeases(deps, [`chain:${chainId}`], async (leases) => ({
    ...empty,
    ...(await restartChain(deps, chain, leases, deps.now().toISOString())),
  }));
}

/**
 * Restarts a chain's delta from now: a link taken BEFORE its groups are read, so that nothing changed in between is
 * lost; every group of the chain resynced whole; then the link stored (with `readFrom`, when the round began).
 */
async function restartChain(deps: LiveDeps, chain: DeltaChain, leases: LeaseSet, readFrom: string) {
  const latest = await deps.entra.readGroupDelta({
    groupIds: chain.groupIds,
    start: "latest",
    abortSignal: leases.signal,
  });
  const outcome = await resyncGroups(deps, chain.groupIds, leases);
  await saveLink(deps, chain, latest.deltaLink, readFrom);
  return outcome;
}

/** The chain's delta from its stored link; undefined when it has none yet. */
async function readRound(deps: LiveDeps, chain: DeltaChain) {
  if (chain.deltaLink === undefined) return undefined;
  return deps.entra.readGroupDelta({ groupIds: chain.groupIds, deltaLink: chain.deltaLink });
}

/**
 * Whether a group no chain holds may still be in the configured selection: there are no chains yet, the selection has
 * a prefix (`--filter`) or names the group's id, or one of its names is not among the chains' groups yet.
 */
function mayBeSelected(deps: LiveDeps, chains: readonly DeltaChain[], groupId: string): boolean {
  const { selector } = deps.config;
  if (chains.length === 0 || selector.prefix !== undefined || selector.ids.includes(groupId)) return true;
  const names = new Set(chains.flatMap((c) => c.groupNames ?? []).map((n) => n.toLowerCase()));
  return selector.names.some((n) => !names.has(n.toLowerCase()));
}

/** Syncs what one delta round of a chain reports. Throws when a write failed, so that the link stays where it was. */
async function applyRound(
  deps: LiveDeps,
  chain: DeltaChain,
  changes: GroupDeltaChange[],
  synced: ReadonlySet<string>,
  leases: LeaseSet,
): Promise<Omit<ChainRoundOutcome, "reset" | "enqueued" | "rechecked"> & { enqueued: string[]; rechecked: number }> {
  const transitive = deps.config.sync.membership === "transitive";
  const names = new Map(chain.groupIds.map((id, i) => [id, chain.groupNames?.[i]]));
  const whole = new Set<string>();
  const reasons: string[] = [];
  for (const change of changes) {
    const id = change.groupId.toLowerCase();
    const known = names.get(id);
    if (change.removed !== undefined) {
      // A deleted group is no longer synced; the groups that shared its MI group now bring all its members.
      for (const other of sharingMiGroup(deps, chain, id)) whole.add(other);
      reasons.push(`group ${id} was deleted`);
    } else if (
      change.displayName !== undefined &&
      known !== undefined &&
      groupKey(known) !== groupKey(change.displayName)
    ) {
      whole.add(id);
      reasons.push(`group ${id} was renamed`);
    } else if (transitive && change.groupsChanged.length > 0) {
      whole.add(id);
      reasons.push(`group ${id} changed its nested groups`);
    }
  }
  const enqueued: string[] = [];
  if (transitive) {
    for (const id of [...whole]) {
      for (const ancestor of await syncedAncestors(deps, id, synced)) {
        if (chain.groupIds.includes(ancestor)) whole.add(ancestor);
        else if (!enqueued.includes(ancestor)) enqueued.push(ancestor);
      }
    }
    for (const ancestor of enqueued) await deps.queue.send(groupMessage(ancestor, "resync", deps.now()));
  }
  const users = [
    ...new Set(
      changes
        .filter((c) => c.removed === undefined)
        .flatMap((c) => [...c.usersAdded, ...c.usersRemoved])
        .map((u) => u.toLowerCase()),
    ),
  ];
  let result: SyncResult | undefined;
  let path: ChainRoundOutcome["path"] = "users";
  let rechecked = 0;
  if (users.length > 0) {
    const scoped = await syncUserScope(deps, users, leases);
    if (scoped.kind === "synced") {
      result = scoped.result;
    } else if (scoped.to === "groups") {
      for (const id of scoped.groupIds ?? changes.map((c) => c.groupId.toLowerCase())) whole.add(id);
      reasons.push(scoped.reason);
    } else {
      const everything = await syncEverything(deps, leases, { widenedBecause: scoped.reason });
      throwIfFailed(everything.result, "the full resync");
      return {
        path: "full",
        groupIds: everything.groupIds,
        users,
        result: everything.result,
        widenedBecause: scoped.reason,
        enqueued,
        rechecked: everything.rechecked,
      };
    }
    if (result) throwIfFailed(result, `the sync of ${users.length} user(s)`);
  }
  if (whole.size > 0) {
    const resynced = await syncGroupScope(deps, [...whole], leases);
    throwIfFailed(resynced.result, `the resync of ${resynced.groupIds.length} group(s)`);
    path = resynced.scope;
    result = resynced.result;
    rechecked = resynced.rechecked;
    const widened = [...reasons, ...(resynced.widenedBecause ? [resynced.widenedBecause] : [])].join("; ");
    return { path, groupIds: resynced.groupIds, users, result, enqueued, rechecked, widenedBecause: widened };
  }
  return {
    path,
    groupIds: changes.map((c) => c.groupId.toLowerCase()),
    users,
    ...(result ? { result } : {}),
    enqueued,
    rechecked,
  };
}

/** Resyncs whole groups (and, when the groups alone cannot decide, everything), failing on failed writes. */
async function resyncGroups(
  deps: LiveDeps,
  groupIds: readonly string[],
  leases: LeaseSet,
): Promise<Pick<ChainRoundOutcome, "path" | "groupIds" | "result" | "widenedBecause" | "rechecked">> {
  const outcome = await syncGroupScope(deps, groupIds, leases);
  throwIfFailed(outcome.result, `the resync of ${outcome.groupIds.length} group(s)`);
  return {
    path: outcome.scope,
    groupIds: outcome.groupIds,
    result: outcome.result,
    rechecked: outcome.rechecked,
    ...(outcome.widenedBecause ? { widenedBecause: outcome.widenedBecause } : {}),
  };
}

/** Synced groups of this chain whose MI group is the one `groupId` landed in (all with --target-group). */
function sharingMiGroup(deps: LiveDeps, chain: DeltaChain, groupId: string): string[] {
  if (deps.config.sync.targetGroup !== undefined) return chain.groupIds.filter((id) => id !== groupId);
  const name = chain.groupNames?.[chain.groupIds.indexOf(groupId)];
  if (name === undefined) return [];
  return chain.groupIds.filter((id, i) => id !== groupId && groupKey(chain.groupNames?.[i] ?? "") === groupKey(name));
}

async function syncedAncestors(deps: LiveDeps, groupId: string, synced: ReadonlySet<string>): Promise<string[]> {
  if (deps.config.sync.membership !== "transitive") return [];
  return (await deps.entra.listAncestorGroups(groupId)).filter((a) => synced.has(a));
}

/** Stores the chain's new link (keeping what others wrote meanwhile, such as a booked wake). */
async function saveLink(deps: LiveDeps, chain: DeltaChain, deltaLink: string, readFrom: string): Promise<void> {
  const updatedAt = deps.now().toISOString();
  const stored = await updateDeltaChain(deps.state, chain.chainId, (current) => ({
    ...current,
    deltaLink,
    readFrom,
    updatedAt,
  }));
  if (stored === undefined) deps.logger.info(`worker: chain ${chain.chainId} was laid anew meanwhile; link dropped`);
}

/**
 * A sync with failures another attempt may cure (failed writes, incomplete reads, MI lost mid-apply) fails the
 * message before its chain's new link is stored: the retry replays the same delta and redoes what failed. Plan
 * problems that only Entra can change (a user without a username, a name clash) do not: they are in the run record.
 */
export function throwIfFailed(result: SyncResult, what: string): void {
  if (result.transientFailures === 0) return;
  throw new SyncError("operation", "live.partial", `${what} had failures: ${result.errors.slice(0, 3).join("; ")}`, {
    retryable: true,
  });
}
