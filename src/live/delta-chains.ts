import type { DeltaChain, SyncStateStore } from "../state/sync-state-store.js";

/** Graph's limit on ids in one `groups/delta?$filter=id eq … or …` (contract §2). */
export const MAX_IDS_PER_CHAIN = 50;
export const USERS_CHAIN_ID = "users";

/**
 * Assigns the synced groups to delta chains of at most 50 ids, in a stable order. A chain whose group list changes
 * loses its delta link (the filter is encoded in the token) and starts again; unchanged chains keep theirs. Chains
 * no longer needed are deleted. Returns the chains as stored.
 */
export async function ensureGroupChains(state: SyncStateStore, groupIds: string[], now: Date): Promise<DeltaChain[]> {
  const sorted = [...new Set(groupIds.map((id) => id.toLowerCase()))].sort();
  const existing = new Map((await state.listDeltaChains("groups")).map((c) => [c.chainId, c]));
  const chains: DeltaChain[] = [];
  for (let i = 0; i * MAX_IDS_PER_CHAIN < sorted.length; i++) {
    const chainId = `groups-${i}`;
    const ids = sorted.slice(i * MAX_IDS_PER_CHAIN, (i + 1) * MAX_IDS_PER_CHAIN);
    const current = existing.get(chainId);
    existing.delete(chainId);
    if (current && current.groupIds.join(",") === ids.join(",")) {
      chains.push(current);
      continue;
    }
    const base = {
      chainId,
      kind: "groups" as const,
      groupIds: ids,
      deltaLink: undefined,
      updatedAt: now.toISOString(),
    };
    chains.push(await state.saveDeltaChain(current?.etag ? { ...base, etag: current.etag } : base));
  }
  for (const stale of existing.keys()) await state.deleteDeltaChain(stale);
  return chains;
}
