import type { SyncResult } from "../sync/sync-result.js";
import { ensureGroupChains, updateDeltaChain } from "./delta-chains.js";
import type { LiveDeps } from "./live-deps.js";
import { maintainSubscriptions, type SubscriptionUpkeep } from "./maintain-subscriptions.js";
import { syncEverything } from "./sync-group-scope.js";
import { chainMessage, usersMessage } from "./sync-message.js";
import { withLeases } from "./with-lease.js";

export interface ReconcileOutcome {
  groups: number;
  /** `inline`: synced in this invocation. `fanout`: one queue message per delta chain for the workers. */
  mode: "inline" | "fanout";
  result?: SyncResult;
  subscriptions: SubscriptionUpkeep;
  /** Names and ids in SYNC_GROUPS that resolve to no group (or to several): left out of this run, each a failure. */
  unresolved: string[];
  /** Chains sent for a resync of their own after the inline sync had failures another attempt may cure. */
  retried: number;
}

/** How long, at most, the timer reconcile waits for workers holding its chains before it gives up this time. */
const BUSY_ATTEMPTS = 20;
const BUSY_DELAY_MS = 3_000;
/** Notes of users synced alone are kept this long (a whole-group sync rechecks those written while it ran). */
const TOUCH_RETENTION_MS = 60 * 60 * 1000;

/**
 * The timer's full reconcile: resolve the configured groups (a name that no longer resolves is left out and reported,
 * the others are synced), lay out their delta chains with their names, keep the subscriptions, then either sync
 * everything here (small tenants, or SYNC_DEPROVISION: who left is only known from one whole snapshot) or fan out one
 * `chain` message per delta chain (large tenants, so that the platform scales the workers out).
 *
 * Inline, it holds every chain's lease (waiting for a busy worker rather than giving up), restarts each chain's delta
 * from "now" (taken before the read, which also keeps links from reaching Graph's 7-day expiry), and when the sync
 * had failures another attempt may cure, sends every chain for a resync with the worker's backoff instead of waiting
 * four hours for the next timer.
 */
export async function reconcileAll(deps: LiveDeps): Promise<ReconcileOutcome> {
  const resolution = await deps.entra.resolveGroups(deps.config.selector);
  const unresolved = resolution.unresolved.map((u) =>
    u.problem === "ambiguous"
      ? `'${u.selector}' matches ${u.candidates.length} Entra groups; name it by object id`
      : `no Entra group '${u.selector}'`,
  );
  for (const line of unresolved) deps.logger.warn(`reconcile: ${line}; left out of this run`);
  const groupIds = resolution.groups.map((g) => g.id.toLowerCase());
  const chains = await ensureGroupChains(deps.state, resolution.groups, deps.now());
  const subscriptions = await maintainSubscriptions(deps, groupIds);
  const now = deps.now();
  await deps.state.pruneTouches(new Date(now.getTime() - TOUCH_RETENTION_MS).toISOString());
  const base = { groups: groupIds.length, subscriptions, unresolved, retried: 0 };
  if (groupIds.length === 0) return { ...base, mode: "inline" };

  const fanout = groupIds.length > deps.settings.RECONCILE_FANOUT_THRESHOLD && deps.config.sync.leavers !== "disable";
  if (fanout) {
    for (const chain of chains) await deps.queue.send(chainMessage(chain.chainId, now));
    await deps.queue.send(usersMessage("reconcile", now));
    return { ...base, mode: "fanout" };
  }

  const scopes = chains.map((c) => `chain:${c.chainId}`);
  const wait = { attempts: BUSY_ATTEMPTS, delayMs: BUSY_DELAY_MS, sleep: deps.sleep };
  const outcome = await withLeases(
    deps,
    scopes,
    async (leases) => {
      const readFrom = deps.now().toISOString();
      const links = await Promise.all(
        chains.map(async (c) => ({
          chain: c,
          round: await deps.entra.readGroupDelta({ groupIds: c.groupIds, start: "latest", abortSignal: leases.signal }),
        })),
      );
      const synced = await syncEverything(deps, leases, {
        selector: { names: [], ids: groupIds },
        incompleteSelection: unresolved.length > 0,
      });
      for (const { chain, round } of links) {
        await updateDeltaChain(deps.state, chain.chainId, (fresh) => ({
          ...fresh,
          deltaLink: round.deltaLink,
          readFrom,
          updatedAt: deps.now().toISOString(),
        }));
      }
      return synced;
    },
    wait,
  );
  let retried = 0;
  if (outcome.result.transientFailures > 0) {
    for (const chain of chains) await deps.queue.send(chainMessage(chain.chainId, deps.now()));
    retried = chains.length;
  }
  await deps.queue.send(usersMessage("reconcile", now));
  return { ...base, mode: "inline", result: outcome.result, retried };
}
