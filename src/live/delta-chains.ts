import { StateConflictError } from "../state/state-errors.js";
import type { DeltaChain, SyncStateStore } from "../state/sync-state-store.js";
import type { DirectoryGroup } from "../sync/model.js";
import type { GroupSelector } from "../sync/ports/entra-directory.js";

/** Graph's limit on ids in one `groups/delta?$filter=id eq … or …` (contract §2). */
export const MAX_IDS_PER_CHAIN = 50;
export const USERS_CHAIN_ID = "users";

/**
 * The least time between the starts of two notification rounds of one chain. A change on its own is read at once; in
 * a burst, the notifications that arrive within this interval of a round wait for the next one and share it.
 */
export const MIN_ROUND_INTERVAL_MS = 1_000;

/**
 * True when a round of the chain began reading long enough after a notification received `at` that Graph's delta
 * shows its change: at least SYNC_DELTA_LAG_SECONDS after it. Graph's delta may trail its notifications
 * ("processing delays", contract §2 and §3.5), so a round that began earlier may have missed the change.
 */
export function roundCarries(chain: DeltaChain, at: string, settings: { SYNC_DELTA_LAG_SECONDS: number }): boolean {
  return chain.readFrom !== undefined && Date.parse(chain.readFrom) >= Date.parse(at) + deltaLagMs(settings);
}

/** SYNC_DELTA_LAG_SECONDS in milliseconds. */
export function deltaLagMs(settings: { SYNC_DELTA_LAG_SECONDS: number }): number {
  return settings.SYNC_DELTA_LAG_SECONDS * 1_000;
}

/** How long until the chain may begin its next notification round (0 or less: now). */
export function msUntilNextRound(chain: DeltaChain, now: Date): number {
  return chain.readFrom === undefined ? 0 : Date.parse(chain.readFrom) + MIN_ROUND_INTERVAL_MS - now.getTime();
}

/**
 * Assigns the synced groups to delta chains of at most 50 ids, in a stable order, each chain keeping its groups'
 * names. A chain whose group list changes loses its delta link (the filter is encoded in the token) and starts
 * again; one whose names alone changed keeps it. Chains no longer needed are deleted. Returns the chains as stored.
 */
export async function ensureGroupChains(
  state: SyncStateStore,
  groups: readonly DirectoryGroup[],
  now: Date,
): Promise<DeltaChain[]> {
  const names = new Map(groups.map((g) => [g.id.toLowerCase(), g.displayName]));
  const sorted = [...names.keys()].sort();
  const existing = new Map((await state.listDeltaChains("groups")).map((c) => [c.chainId, c]));
  const chains: DeltaChain[] = [];
  for (let i = 0; i * MAX_IDS_PER_CHAIN < sorted.length; i++) {
    const chainId = `groups-${i}`;
    const ids = sorted.slice(i * MAX_IDS_PER_CHAIN, (i + 1) * MAX_IDS_PER_CHAIN);
    const groupNames = ids.map((id) => names.get(id) ?? "");
    const current = existing.get(chainId);
    existing.delete(chainId);
    const sameIds = current !== undefined && current.groupIds.join(",") === ids.join(",");
    if (current && sameIds && current.groupNames?.join("\n") === groupNames.join("\n")) {
      chains.push(current);
      continue;
    }
    const base: DeltaChain = {
      chainId,
      kind: "groups",
      groupIds: ids,
      groupNames,
      deltaLink: sameIds ? current?.deltaLink : undefined,
      updatedAt: now.toISOString(),
      ...(sameIds && current?.readFrom !== undefined ? { readFrom: current.readFrom } : {}),
      ...(current?.wake !== undefined ? { wake: current.wake } : {}),
    };
    chains.push(await state.saveDeltaChain(current?.etag ? { ...base, etag: current.etag } : base));
  }
  for (const stale of existing.keys()) await state.deleteDeltaChain(stale);
  return chains;
}

/**
 * The group chains, laid now from the configured selection when there are none yet (before the first reconcile: a
 * notification must not wait four hours for it). Their links are taken by the first round that reads them.
 */
export async function chainsOrLay(deps: {
  state: SyncStateStore;
  entra: { resolveGroups(selector: GroupSelector): Promise<{ groups: DirectoryGroup[] }> };
  config: { selector: GroupSelector };
  now: () => Date;
}): Promise<DeltaChain[]> {
  const chains = await deps.state.listDeltaChains("groups");
  if (chains.length > 0) return chains;
  const resolution = await deps.entra.resolveGroups(deps.config.selector);
  return resolution.groups.length === 0 ? [] : ensureGroupChains(deps.state, resolution.groups, deps.now());
}

/** Saves of one chain tried before a conflict is given up (each a fresh read; conflicts are brief races). */
const CHAIN_SAVE_ATTEMPTS = 8;

/**
 * Reads a chain, changes it and saves it against the ETag read, again from a fresh read when another writer saved it
 * in between (a notification booking the chain's wake while a round runs). `change` returns undefined to leave the
 * chain alone. A chain that no longer exists (the reconcile laid the chains anew) stays gone: returns undefined.
 * Otherwise returns the chain as stored.
 */
export async function updateDeltaChain(
  state: SyncStateStore,
  chainId: string,
  change: (current: DeltaChain) => DeltaChain | undefined | Promise<DeltaChain | undefined>,
): Promise<DeltaChain | undefined> {
  for (let attempt = 1; ; attempt++) {
    const current = await state.getDeltaChain(chainId);
    if (current === undefined) return undefined;
    const changed = await change(current);
    if (changed === undefined) return current;
    try {
      return await state.saveDeltaChain(changed);
    } catch (error) {
      if (!(error instanceof StateConflictError) || attempt >= CHAIN_SAVE_ATTEMPTS) throw error;
    }
  }
}
