import { DeltaResetError } from "../entra/delta-reset-error.js";
import type { GroupDeltaChange } from "../entra/entra-change-feed.js";
import { SyncError } from "../errors/sync-error.js";
import type { DeltaChain, IdMapping } from "../state/sync-state-store.js";
import { runSync } from "../sync/run-sync.js";
import type { SyncResult } from "../sync/sync-result.js";
import { applyMembershipDelta } from "./apply-membership-delta.js";
import { LEASE_TTL_MS, type LiveDeps } from "./live-deps.js";
import { groupMessage } from "./sync-message.js";
import { stateUserIdMap } from "./user-id-map.js";
import { DeferError, withLeases } from "./with-lease.js";

/**
 * Remembers which MI group each synced Entra group landed in, and how many synced Entra groups land there (`sources`,
 * which the fast path checks). Only a `full` run sees every source; after a `partial` one a count on record is kept.
 */
export async function saveGroupIds(
  deps: LiveDeps,
  result: SyncResult,
  scope: "full" | "partial" = "partial",
): Promise<void> {
  const at = deps.now().toISOString();
  const mappings: IdMapping[] = result.plan.groups.flatMap((g) => {
    const miId = result.groupIds.get(g.name);
    return miId === undefined
      ? []
      : g.entraGroupIds.map((entraId) => ({
          kind: "group" as const,
          entraId,
          miId,
          miName: g.name,
          updatedAt: at,
          ...(g.entraGroupIds.length > 1 ? { sources: g.entraGroupIds.length } : {}),
        }));
  });
  if (mappings.length === 0) return;
  if (scope === "partial") {
    const known = await deps.state.getIdMappings(
      "group",
      mappings.map((m) => m.entraId),
    );
    for (const m of mappings) {
      const sources = Math.max(m.sources ?? 1, known.get(m.entraId)?.sources ?? 1);
      if (sources > 1) m.sources = sources;
    }
  }
  await deps.state.saveIdMappings(mappings);
}

/** Runs the engine over some synced groups (the live path's scope), with the id map. */
export async function syncScope(deps: LiveDeps, groupIds: string[], scope: "full" | "partial"): Promise<SyncResult> {
  const result = await runSync(
    {
      selector: scope === "full" ? deps.config.selector : { names: [], ids: groupIds },
      options: deps.config.sync,
      mode: deps.config.mode,
      scope,
      unresolved: scope === "partial" ? "skip" : "fail",
    },
    { entra: deps.entra, mi: deps.mi, logger: deps.logger, idMap: stateUserIdMap(deps.state, deps.now) },
  );
  await saveGroupIds(deps, result, scope);
  return result;
}

export interface GroupSyncOutcome {
  /** The groups synced; empty when the message named a group this sync does not cover, or was coalesced. */
  groupIds: string[];
  result?: SyncResult;
  /** True when the chain's delta state had expired or been reset, and its groups were resynced in full. */
  reset: boolean;
  /** Synced ancestor groups in other chains, enqueued for their own workers (nested groups). */
  enqueued: string[];
  /**
   * How the change was synced: `delta` (the fast path: the round's membership changes applied as they are),
   * `full` (the groups re-read on both sides), `coalesced` (a round that began after the notification already
   * carried its change: nothing to read), `none` (the group is not synced).
   */
  path: "delta" | "full" | "coalesced" | "none";
  /** With `full` after a notification: why the fast path could not decide. */
  fullReason?: string;
}

/** What started a group sync: a Graph notification (received `at`), or a resync / reconcile request. */
export interface GroupSyncTrigger {
  reason: "notification" | "reconcile" | "resync";
  /** ISO 8601. */
  at: string;
  /**
   * Which delivery of the message this is (the queue's dequeue count). A retry may follow an attempt that wrote part
   * of its plan, so it takes the full path, which reads what is there and writes only what is missing.
   */
  attempt?: number;
}

/**
 * The least time between the starts of two notification rounds of one chain. A change on its own is read at once; in
 * a burst, the notifications that arrive within this interval of a round wait for the next one and share it, so a
 * burst costs about one delta read (and one `$batch`) per chain per interval instead of one per notification.
 */
export const MIN_ROUND_INTERVAL_MS = 1_000;

/** True when the chain's stored link comes from a round that began reading after the notification arrived. */
function alreadyRead(chain: DeltaChain, trigger: GroupSyncTrigger): boolean {
  return (
    trigger.reason === "notification" &&
    chain.readFrom !== undefined &&
    Date.parse(chain.readFrom) >= Date.parse(trigger.at)
  );
}

/**
 * The worker's step for a `group` message, under the lease of the group's delta chain: run the chain's delta from its
 * stored link, sync what it reports, and only then store the new link (with when the round began). A crash before the
 * link is stored replays the same delta next time, which is harmless because applying is idempotent.
 *
 * After a notification, the round's membership changes are first offered to the fast path (`applyMembershipDelta`:
 * the named users only, about four requests per change); when it cannot decide, or after a reset, a resync or a
 * reconcile message, the groups are resynced level-based (a full read of each group on both sides): the named group
 * plus every group of the chain the delta reports. A notification that arrived before the stored round began reading
 * is already carried by it and costs nothing (coalescing: a burst of changes to one chain takes few rounds). Expired
 * or reset delta state resyncs the whole chain.
 *
 * With nested groups synced (`--process-child-groups`), a change in a group also changes every group that contains
 * it, so the full path resyncs the synced ancestors too: those in this chain here, the others through their own
 * messages.
 */
export async function syncGroupChange(
  deps: LiveDeps,
  groupId: string,
  trigger: GroupSyncTrigger = { reason: "resync", at: deps.now().toISOString() },
): Promise<GroupSyncOutcome> {
  const id = groupId.toLowerCase();
  const chains = await deps.state.listDeltaChains("groups");
  const synced = new Set(chains.flatMap((c) => c.groupIds));
  const transitive = deps.config.sync.membership === "transitive";
  const chain = chains.find((c) => c.groupIds.includes(id));
  if (!chain) {
    const ancestors = transitive ? (await deps.entra.listAncestorGroups(id)).filter((a) => synced.has(a)) : [];
    for (const ancestor of ancestors) await deps.queue.send(groupMessage(ancestor, "resync", deps.now()));
    deps.logger.info(`worker: group ${id} is not synced; ${ancestors.length} synced ancestor(s) enqueued`);
    return { groupIds: [], reset: false, enqueued: ancestors, path: "none" };
  }
  const coalesced: GroupSyncOutcome = { groupIds: [], reset: false, enqueued: [], path: "coalesced" };
  if (alreadyRead(chain, trigger)) return coalesced;
  if (trigger.reason === "notification" && chain.readFrom !== undefined) {
    const wait = Date.parse(chain.readFrom) + MIN_ROUND_INTERVAL_MS - deps.now().getTime();
    if (wait > 0)
      throw new DeferError(`chain ${chain.chainId} began a round ${MIN_ROUND_INTERVAL_MS - wait} ms ago`, wait);
  }
  const held = heldChains(deps, chains, chain);
  return withChainLeases(deps, held, chain, async (fresh) => {
    if (alreadyRead(fresh, trigger)) return coalesced;
    const readFrom = deps.now().toISOString();
    const round = await readChainDelta(deps, fresh, id);
    const save = (): Promise<DeltaChain> =>
      deps.state.saveDeltaChain({
        ...fresh,
        deltaLink: round.deltaLink,
        readFrom,
        updatedAt: deps.now().toISOString(),
      });
    let fullReason: string | undefined;
    const retry = (trigger.attempt ?? 1) > 1;
    if (trigger.reason === "notification" && retry) fullReason = `attempt ${trigger.attempt}, after a failed one`;
    if (trigger.reason === "notification" && !retry && !round.reset) {
      const fast = await applyMembershipDelta(deps, fresh, round.changes, synced);
      if (fast.kind === "applied") {
        await save();
        return {
          groupIds: fast.result.plan.groups.flatMap((g) => g.entraGroupIds),
          result: fast.result,
          reset: false,
          enqueued: [],
          path: "delta",
        };
      }
      fullReason = fast.reason;
      deps.logger.info(`worker: full resync of chain ${fresh.chainId}'s changed groups: ${fast.reason}`);
    }
    const ancestors = transitive ? (await deps.entra.listAncestorGroups(id)).filter((a) => synced.has(a)) : [];
    const elsewhere = ancestors.filter((a) => !chain.groupIds.includes(a));
    for (const ancestor of elsewhere) await deps.queue.send(groupMessage(ancestor, "resync", deps.now()));
    for (const ancestor of ancestors) if (chain.groupIds.includes(ancestor)) round.affected.add(ancestor);
    const scope = deps.config.sync.targetGroup ? held.flatMap((c) => c.groupIds) : [...round.affected];
    const groupIds = scope.filter((g) => !round.removed.has(g)).sort();
    let result: SyncResult | undefined;
    if (groupIds.length > 0) result = await syncScope(deps, groupIds, "partial");
    if (result) throwIfFailed(result, `sync of ${groupIds.length} group(s)`);
    await save();
    return {
      groupIds,
      ...(result ? { result } : {}),
      reset: round.reset,
      enqueued: elsewhere,
      path: "full",
      ...(fullReason === undefined ? {} : { fullReason }),
    };
  });
}

/**
 * The worker's step for a `chain` message (the timer reconcile's fan-out): under the chain's lease, take a new link
 * with `$deltatoken=latest` BEFORE reading, resync every group of the chain (level-based, both sides), then store the
 * link. A change made while the groups are read is in both the read and the next round, which is harmless.
 */
export async function syncChain(deps: LiveDeps, chainId: string): Promise<GroupSyncOutcome> {
  const chains = await deps.state.listDeltaChains("groups");
  const chain = chains.find((c) => c.chainId === chainId);
  if (!chain) {
    deps.logger.info(`worker: delta chain ${chainId} no longer exists; nothing to resync`);
    return { groupIds: [], reset: false, enqueued: [], path: "none" };
  }
  const held = heldChains(deps, chains, chain);
  return withChainLeases(deps, held, chain, async (fresh) => {
    const readFrom = deps.now().toISOString();
    const latest = await deps.entra.readGroupDelta({ groupIds: fresh.groupIds, start: "latest" });
    const groupIds = (deps.config.sync.targetGroup ? held.flatMap((c) => c.groupIds) : fresh.groupIds).sort();
    const result = await syncScope(deps, groupIds, "partial");
    throwIfFailed(result, `resync of chain ${chainId} (${groupIds.length} group(s))`);
    await deps.state.saveDeltaChain({
      ...fresh,
      deltaLink: latest.deltaLink,
      readFrom,
      updatedAt: deps.now().toISOString(),
    });
    return { groupIds, result, reset: false, enqueued: [], path: "full" };
  });
}

/**
 * The chains a sync of `chain`'s groups must hold. With --target-group every synced group lands in one MI group: a
 * scope smaller than all of them would remove the members the other groups bring, so all chains are held.
 */
function heldChains(deps: LiveDeps, chains: DeltaChain[], chain: DeltaChain): DeltaChain[] {
  return deps.config.sync.targetGroup ? chains : [chain];
}

/** Runs `work` under the leases of `held`, with `chain` as stored now (read under the lease). */
function withChainLeases<T>(
  deps: LiveDeps,
  held: DeltaChain[],
  chain: DeltaChain,
  work: (fresh: DeltaChain) => Promise<T>,
): Promise<T> {
  return withLeases(
    deps.state,
    held.map((c) => `chain:${c.chainId}`),
    deps.owner,
    LEASE_TTL_MS,
    async () => work((await deps.state.getDeltaChain(chain.chainId)) ?? chain),
  );
}

/**
 * A sync with failed writes (or MI lost mid-apply) fails the message, before its chain's new link is stored: the
 * retry replays the same delta and redoes what failed.
 */
function throwIfFailed(result: SyncResult, what: string): void {
  if (result.counts.failed === 0 && !result.abortedBy) return;
  throw new SyncError("operation", "live.partial", `${what} had failures: ${result.errors.slice(0, 3).join("; ")}`, {
    retryable: true,
  });
}

/** One chain delta round, as the worker uses it. */
interface ChainRound {
  /** Groups of the chain to resync on the full path: the named one and every one the delta reports. */
  affected: Set<string>;
  deltaLink: string;
  /** True when the delta state had expired or been reset: every group of the chain is affected. */
  reset: boolean;
  /** Groups of the chain the delta reports deleted. */
  removed: Set<string>;
  /** What the delta said, for the fast path (empty after a reset). */
  changes: GroupDeltaChange[];
}

/**
 * Runs one chain's delta. Without a stored link (a new chain) or when Graph says the state is gone, every group of
 * the chain is affected and the new link is taken with `$deltatoken=latest` BEFORE the groups are read, so no change
 * between the two is lost.
 */
async function readChainDelta(deps: LiveDeps, chain: DeltaChain, groupId: string): Promise<ChainRound> {
  const affected = new Set<string>([groupId.toLowerCase()]);
  const removed = new Set<string>();
  if (chain.deltaLink) {
    try {
      const round = await deps.entra.readGroupDelta({ groupIds: chain.groupIds, deltaLink: chain.deltaLink });
      for (const change of round.changes) {
        const id = change.groupId.toLowerCase();
        if (!chain.groupIds.includes(id)) continue;
        if (change.removed) removed.add(id);
        else affected.add(id);
      }
      return { affected, deltaLink: round.deltaLink, reset: false, removed, changes: round.changes };
    } catch (error) {
      if (!(error instanceof DeltaResetError)) throw error;
      deps.logger.warn(
        `worker: delta state of ${chain.chainId} ${error.reason}; resyncing its ${chain.groupIds.length} group(s)`,
      );
    }
  }
  const latest = await deps.entra.readGroupDelta({ groupIds: chain.groupIds, start: "latest" });
  for (const id of chain.groupIds) affected.add(id);
  return { affected, deltaLink: latest.deltaLink, reset: chain.deltaLink !== undefined, removed, changes: [] };
}
