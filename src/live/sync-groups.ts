import { DeltaResetError } from "../entra/delta-reset-error.js";
import { SyncError } from "../errors/sync-error.js";
import type { DeltaChain, IdMapping, SyncStateStore } from "../state/sync-state-store.js";
import { runSync, type UserIdMap } from "../sync/run-sync.js";
import type { SyncResult } from "../sync/sync-result.js";
import { LEASE_TTL_MS, type LiveDeps } from "./live-deps.js";
import { groupMessage } from "./sync-message.js";
import { withLeases } from "./with-lease.js";

/** The id map in Table Storage, as the engine's optional port. */
export function stateUserIdMap(state: SyncStateStore, now: () => Date): UserIdMap {
  return {
    lookup: async (ids) => new Map([...(await state.getIdMappings("user", ids))].map(([k, v]) => [k, v.miId])),
    save: (pairs) =>
      state.saveIdMappings(
        pairs.map((p) => ({
          kind: "user",
          entraId: p.entraUserId,
          miId: p.miUserId,
          miName: "",
          updatedAt: now().toISOString(),
        })),
      ),
  };
}

/** Remembers which MI group each synced Entra group landed in, for mapping user changes back to groups. */
export async function saveGroupIds(deps: LiveDeps, result: SyncResult): Promise<void> {
  const at = deps.now().toISOString();
  const mappings: IdMapping[] = result.plan.groups.flatMap((g) =>
    g.miGroupId === undefined
      ? []
      : g.entraGroupIds.map((entraId) => ({
          kind: "group" as const,
          entraId,
          miId: g.miGroupId!,
          miName: g.name,
          updatedAt: at,
        })),
  );
  if (mappings.length > 0) await deps.state.saveIdMappings(mappings);
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
  await saveGroupIds(deps, result);
  return result;
}

export interface GroupSyncOutcome {
  /** The groups resynced; empty when the message named a group this sync does not cover. */
  groupIds: string[];
  result?: SyncResult;
  /** True when the chain's delta state had expired or been reset, and its groups were resynced in full. */
  reset: boolean;
  /** Synced ancestor groups in other chains, enqueued for their own workers (nested groups). */
  enqueued: string[];
}

/**
 * The worker's step for a `group` message: under the lease of the group's delta chain, run the chain's delta from
 * its stored link, resync (level-based: a full read of each group) the named group plus every group of the chain the
 * delta reports, and only then store the new delta link. A crash before the link is stored replays the same delta
 * next time, which is harmless because applying is idempotent. Expired or reset delta state resyncs the whole chain.
 *
 * With nested groups synced (`--process-child-groups`), a change in a group also changes every group that contains
 * it, so the synced ancestors are resynced too: those in this chain here, the others through their own messages.
 */
export async function syncGroupChange(deps: LiveDeps, groupId: string): Promise<GroupSyncOutcome> {
  const id = groupId.toLowerCase();
  const chains = await deps.state.listDeltaChains("groups");
  const synced = new Set(chains.flatMap((c) => c.groupIds));
  const ancestors =
    deps.config.sync.membership === "transitive"
      ? (await deps.entra.listAncestorGroups(id)).filter((a) => synced.has(a) && a !== id)
      : [];
  const chain = chains.find((c) => c.groupIds.includes(id));
  const elsewhere = ancestors.filter((a) => !chain?.groupIds.includes(a));
  for (const ancestor of elsewhere) await deps.queue.send(groupMessage(ancestor, "resync", deps.now()));
  if (!chain) {
    deps.logger.info(`worker: group ${id} is not synced; ${elsewhere.length} synced ancestor(s) enqueued`);
    return { groupIds: [], reset: false, enqueued: elsewhere };
  }
  // With --target-group every synced group lands in one MI group: a scope smaller than all of them would remove
  // the members the other groups bring.
  const held = deps.config.sync.targetGroup ? chains : [chain];
  return withLeases(
    deps.state,
    held.map((c) => `chain:${c.chainId}`),
    deps.owner,
    LEASE_TTL_MS,
    async () => {
      const fresh = (await deps.state.getDeltaChain(chain.chainId)) ?? chain;
      const { affected, deltaLink, reset, removed } = await readChainDelta(deps, fresh, id);
      for (const ancestor of ancestors) if (chain.groupIds.includes(ancestor)) affected.add(ancestor);
      const scope = deps.config.sync.targetGroup ? held.flatMap((c) => c.groupIds) : [...affected];
      const groupIds = scope.filter((g) => !removed.has(g)).sort();
      let result: SyncResult | undefined;
      if (groupIds.length > 0) result = await syncScope(deps, groupIds, "partial");
      if (result && (result.counts.failed > 0 || result.abortedBy)) {
        // Keep the old link: the next attempt replays this delta and retries what failed.
        throw new SyncError(
          "operation",
          "live.partial",
          `sync of ${groupIds.length} group(s) had failures: ${result.errors.slice(0, 3).join("; ")}`,
          { retryable: true },
        );
      }
      await deps.state.saveDeltaChain({ ...fresh, deltaLink, updatedAt: deps.now().toISOString() });
      return { groupIds, ...(result ? { result } : {}), reset, enqueued: elsewhere };
    },
  );
}

/**
 * Runs one chain's delta. Without a stored link (a new chain) or when Graph says the state is gone, every group of
 * the chain is affected and the new link is taken with `$deltatoken=latest` BEFORE the groups are read, so no change
 * between the two is lost.
 */
async function readChainDelta(
  deps: LiveDeps,
  chain: DeltaChain,
  groupId: string,
): Promise<{ affected: Set<string>; deltaLink: string; reset: boolean; removed: Set<string> }> {
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
      return { affected, deltaLink: round.deltaLink, reset: false, removed };
    } catch (error) {
      if (!(error instanceof DeltaResetError)) throw error;
      deps.logger.warn(
        `worker: delta state of ${chain.chainId} ${error.reason}; resyncing its ${chain.groupIds.length} group(s)`,
      );
    }
  }
  const latest = await deps.entra.readGroupDelta({ groupIds: chain.groupIds, start: "latest" });
  for (const id of chain.groupIds) affected.add(id);
  return { affected, deltaLink: latest.deltaLink, reset: chain.deltaLink !== undefined, removed };
}
