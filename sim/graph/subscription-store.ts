import type { SimSubscription } from "./sim-subscription.js";

/**
 * The simulator's subscriptions (one app, one tenant). Expiry runs on the simulator clock: a subscription at or past
 * its `expirationDateTime` is treated as deleted everywhere (GET/PATCH/DELETE 404, no notifications, not counted
 * against the quota). Getters return copies.
 */
export class SubscriptionStore {
  private readonly byId = new Map<string, SimSubscription>();

  constructor(private readonly now: () => Date) {}

  add(subscription: SimSubscription): void {
    this.byId.set(subscription.id, { ...subscription });
  }

  /** A live subscription by id (case-insensitive), or `undefined` when unknown or expired. */
  get(id: string): SimSubscription | undefined {
    const subscription = this.byId.get(id.toLowerCase());
    if (!subscription) return undefined;
    if (subscription.expiresAt <= this.now().getTime()) {
      this.byId.delete(subscription.id);
      return undefined;
    }
    return { ...subscription };
  }

  /** Every live subscription, in creation order. */
  live(): SimSubscription[] {
    return [...this.byId.keys()].flatMap((id) => this.get(id) ?? []);
  }

  /** Sets a new expiry; returns the updated subscription, or `undefined` when unknown or expired. */
  renew(id: string, expiresAt: number): SimSubscription | undefined {
    const current = this.get(id);
    if (!current) return undefined;
    const updated = { ...current, expiresAt };
    this.byId.set(current.id, updated);
    return { ...updated };
  }

  /** Removes a live subscription; false when unknown or expired. */
  remove(id: string): boolean {
    const current = this.get(id);
    return current ? this.byId.delete(current.id) : false;
  }
}
