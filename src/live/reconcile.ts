import type { SyncResult } from "../sync/sync-result.js";
import { ensureGroupChains } from "./delta-chains.js";
import { LEASE_TTL_MS, type LiveDeps } from "./live-deps.js";
import { maintainSubscriptions, type SubscriptionUpkeep } from "./maintain-subscriptions.js";
import { syncScope } from "./sync-groups.js";
import { chainMessage, usersMessage } from "./sync-message.js";
import { withLeases } from "./with-lease.js";

export interface ReconcileOutcome {
  groups: number;
  /** `inline`: synced in this invocation. `fanout`: one queue message per delta chain for the workers. */
  mode: "inline" | "fanout";
  result?: SyncResult;
  subscriptions: SubscriptionUpkeep;
}

/**
 * The timer's full reconcile: resolve the configured groups, lay out their delta chains, keep the subscriptions, then
 * either sync everything here (small tenants) or fan out one `chain` message per delta chain (large tenants, so that
 * the Functions platform scales the workers out). Inline, it holds every chain's lease, so no worker interleaves writes,
 * and it restarts each chain's delta from "now" (taken before the read), which also keeps links from ever reaching
 * Graph's 7-day expiry.
 */
export async function reconcileAll(deps: LiveDeps): Promise<ReconcileOutcome> {
  const resolution = await deps.entra.resolveGroups(deps.config.selector);
  for (const u of resolution.unresolved) deps.logger.warn(`reconcile: group '${u.selector}' is ${u.problem}`);
  const groupIds = resolution.groups.map((g) => g.id.toLowerCase());
  const chains = await ensureGroupChains(deps.state, groupIds, deps.now());
  const subscriptions = await maintainSubscriptions(deps, groupIds);
  const now = deps.now();

  if (groupIds.length > deps.settings.RECONCILE_FANOUT_THRESHOLD) {
    // One message per chain (up to 50 groups): a chain's groups share its lease, so finer messages would only queue
    // behind each other; the chains run in parallel on as many workers as the platform gives.
    for (const chain of chains) await deps.queue.send(chainMessage(chain.chainId, now));
    await deps.queue.send(usersMessage("reconcile", now));
    return { groups: groupIds.length, mode: "fanout", subscriptions };
  }

  const result = await withLeases(
    deps.state,
    chains.map((c) => `chain:${c.chainId}`),
    deps.owner,
    LEASE_TTL_MS,
    async () => {
      const links = await Promise.all(
        chains.map(async (c) => ({
          chain: c,
          round: await deps.entra.readGroupDelta({ groupIds: c.groupIds, start: "latest" }),
        })),
      );
      const synced = await syncScope(deps, groupIds, "full");
      for (const { chain, round } of links) {
        const fresh = (await deps.state.getDeltaChain(chain.chainId)) ?? chain;
        await deps.state.saveDeltaChain({ ...fresh, deltaLink: round.deltaLink, updatedAt: deps.now().toISOString() });
      }
      return synced;
    },
  );
  await deps.queue.send(usersMessage("reconcile", now));
  return { groups: groupIds.length, mode: "inline", result, subscriptions };
}
