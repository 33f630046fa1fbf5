import { DeltaResetError } from "../entra/delta-reset-error.js";
import type { DeltaChain } from "../state/sync-state-store.js";
import { requiredAttributes } from "../sync/sync-options.js";
import { USERS_CHAIN_ID } from "./delta-chains.js";
import { LEASE_TTL_MS, type LiveDeps } from "./live-deps.js";
import { groupMessage, type SyncMessage } from "./sync-message.js";
import { withLeases } from "./with-lease.js";

export interface UsersSyncOutcome {
  changedUsers: number;
  /** Group messages enqueued for the groups the changed users are in. */
  enqueued: SyncMessage[];
  reset: boolean;
}

/**
 * The worker's step for a `users` message: run the users delta (attribute changes, disables, deletions, which group
 * delta may never show: contract §2 "Soft deletes and deleted users"), find the synced groups the changed users are
 * in on the MI side (through the id map, so deleted users are found too), and enqueue one `group` message per such
 * group; the group worker then resyncs them under their own leases. The new link is stored after enqueueing.
 * Expired or reset state enqueues every synced group.
 */
export async function syncUserChanges(deps: LiveDeps): Promise<UsersSyncOutcome> {
  return withLeases(deps.state, [`chain:${USERS_CHAIN_ID}`], deps.owner, LEASE_TTL_MS, async () => {
    const chain: DeltaChain = (await deps.state.getDeltaChain(USERS_CHAIN_ID)) ?? {
      chainId: USERS_CHAIN_ID,
      kind: "users",
      groupIds: [],
      deltaLink: undefined,
      updatedAt: deps.now().toISOString(),
    };
    const attributes = requiredAttributes(deps.config.sync);
    const feed = {
      attributes,
      ...(deps.config.sync.customAttrAppId ? { customAttrAppId: deps.config.sync.customAttrAppId } : {}),
    };
    const groupChains = await deps.state.listDeltaChains("groups");
    const syncedGroups = groupChains.flatMap((c) => c.groupIds);
    let changedUsers: string[] = [];
    let deltaLink: string;
    let reset = false;
    let affected: string[];
    if (chain.deltaLink) {
      try {
        const round = await deps.entra.readUserDelta({ ...feed, deltaLink: chain.deltaLink });
        changedUsers = [...new Set(round.changes.map((c) => c.userId.toLowerCase()))];
        deltaLink = round.deltaLink;
        affected = await groupsOfUsers(deps, changedUsers, syncedGroups);
      } catch (error) {
        if (!(error instanceof DeltaResetError)) throw error;
        reset = true;
        deltaLink = (await deps.entra.readUserDelta({ ...feed, start: "latest" })).deltaLink;
        affected = syncedGroups;
      }
    } else {
      // A new chain: changes before now are the timer reconcile's; start tracking from here.
      deltaLink = (await deps.entra.readUserDelta({ ...feed, start: "latest" })).deltaLink;
      affected = [];
    }
    const now = deps.now();
    const enqueued = affected.map((id) => groupMessage(id, "resync", now));
    for (const message of enqueued) await deps.queue.send(message);
    await deps.state.saveDeltaChain({ ...chain, deltaLink, updatedAt: now.toISOString() });
    return { changedUsers: changedUsers.length, enqueued, reset };
  });
}

/** Synced Entra groups whose MI group holds any of these users, found through the id maps and MI's per-user lookup. */
async function groupsOfUsers(deps: LiveDeps, entraUserIds: string[], syncedGroups: string[]): Promise<string[]> {
  if (entraUserIds.length === 0 || syncedGroups.length === 0) return [];
  const users = await deps.state.getIdMappings("user", entraUserIds);
  if (users.size === 0) return [];
  const groups = await deps.state.getIdMappings("group", syncedGroups);
  const byMiGroup = new Map<string, string[]>();
  for (const [entraId, mapping] of groups)
    byMiGroup.set(mapping.miId, [...(byMiGroup.get(mapping.miId) ?? []), entraId]);
  const affected = new Set<string>();
  for (const mapping of users.values()) {
    for (const row of await deps.mi.listUserMemberships(mapping.miId)) {
      for (const entraId of byMiGroup.get(row.groupId) ?? []) affected.add(entraId);
    }
  }
  return [...affected].sort();
}
