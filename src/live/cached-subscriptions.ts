import type { SubscriptionRecord } from "../state/sync-state-store.js";

/** How long the webhook trusts a subscription record it read: it changes at most at each renewal (hourly at most). */
export const SUBSCRIPTION_CACHE_MS = 60_000;

/**
 * The webhook's subscription lookups, each record kept for SUBSCRIPTION_CACHE_MS: a burst of notifications reads the
 * table once per subscription instead of once per notification (every notification has to answer within Graph's 3 s,
 * and the table was the slowest part of it under load). Only records found are kept: a subscription created a moment
 * ago is looked up again at once. A subscription deleted (rotated away) stays accepted for at most
 * SUBSCRIPTION_CACHE_MS; its notifications name a scope only, and the worker reads the truth.
 */
export function cachedSubscriptions(
  read: (id: string) => Promise<SubscriptionRecord | undefined>,
  now: () => number = Date.now,
): (id: string) => Promise<SubscriptionRecord | undefined> {
  const kept = new Map<string, { record: SubscriptionRecord; at: number }>();
  return async (id) => {
    const hit = kept.get(id);
    if (hit && now() - hit.at < SUBSCRIPTION_CACHE_MS) return hit.record;
    const record = await read(id);
    if (record) kept.set(id, { record, at: now() });
    else kept.delete(id);
    return record;
  };
}
