import { setTimeout as sleep } from "node:timers/promises";
import {
  type ChangeNotification,
  changeNotification,
  directoryEventOf,
  type LifecycleEvent,
  lifecycleNotification,
} from "./change-notification.js";
import type { DirectoryChange } from "./directory-types.js";
import type {
  DroppedNotifications,
  GraphNotifications,
  NotificationDelivery,
  NotificationSettings,
} from "./graph-notifications.js";
import { postWebhook } from "./post-webhook.js";
import type { SimDirectory } from "./sim-directory.js";
import { targetCovers } from "./subscription-resource.js";
import type { SubscriptionStore } from "./subscription-store.js";

/** One POST to make: a batch of change notifications for one URL, or one lifecycle notification. */
interface DeliveryJob {
  kind: "change" | "lifecycle";
  /** Full URL, query string included (contract §3.1: preserved on every POST). */
  url: string;
  body: string;
  count: number;
}

interface HeldNotification {
  url: string;
  notification: ChangeNotification;
}

/**
 * Turns directory changes into Graph change notifications and delivers them (contract §3.3, §3.4): every live
 * subscription covering the changed object and wanting the change type gets one; notifications for one URL are
 * batched for `notificationBatchWindowMs`; a POST without a 2xx within `deliveryTimeoutMs` is retried on
 * `retryScheduleMs`, then dropped. A failing webhook never throws into the simulator.
 */
export class NotificationEmitter implements GraphNotifications {
  readonly deliveries: NotificationDelivery[] = [];
  readonly dropped: DroppedNotifications[] = [];
  readonly settings: NotificationSettings;
  private readonly batches = new Map<string, { items: ChangeNotification[]; timer: NodeJS.Timeout }>();
  private readonly held = new Map<string, HeldNotification[]>();
  private readonly awaitingReauthorization = new Set<string>();
  private parked: DeliveryJob[] = [];
  private active = 0;
  private paused = false;
  private closed = false;
  private waiters: Array<() => void> = [];
  private readonly stop = new AbortController();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly deps: { directory: SimDirectory; store: SubscriptionStore; tenantId: string },
    settings: NotificationSettings,
  ) {
    this.settings = settings;
    this.unsubscribe = deps.directory.onChange((change) => this.onChange(change));
  }

  /** Aborts all in-flight POSTs and timers; nothing is delivered afterwards. */
  get signal(): AbortSignal {
    return this.stop.signal;
  }

  pending(): number {
    let count = this.active + this.parked.reduce((sum, job) => sum + job.count, 0);
    for (const batch of this.batches.values()) count += batch.items.length;
    for (const items of this.held.values()) count += items.length;
    return count;
  }

  async flush(): Promise<void> {
    while (!this.closed && this.deliverable() > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  emitLifecycle(subscriptionId: string, lifecycleEvent: LifecycleEvent): void {
    const subscription = this.deps.store.get(subscriptionId);
    if (!subscription) throw new Error(`no live subscription ${subscriptionId}`);
    const url = subscription.lifecycleNotificationUrl;
    if (!url) throw new Error(`subscription ${subscription.id} has no lifecycleNotificationUrl`);
    if (lifecycleEvent === "reauthorizationRequired") this.awaitingReauthorization.add(subscription.id);
    const value = [lifecycleNotification(subscription, lifecycleEvent, this.deps.tenantId)];
    this.start({ kind: "lifecycle", url, body: JSON.stringify({ value }), count: 1 });
    if (lifecycleEvent === "subscriptionRemoved") {
      this.deps.store.remove(subscription.id);
      this.forget(subscription.id);
    }
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const jobs = this.parked;
    this.parked = [];
    for (const job of jobs) this.run(job);
  }

  /** @internal Reauthorized (POST /reauthorize or a renewing PATCH): held notifications go out (contract §3.4). */
  reauthorized(subscriptionId: string): void {
    this.awaitingReauthorization.delete(subscriptionId);
    const items = this.held.get(subscriptionId) ?? [];
    this.held.delete(subscriptionId);
    for (const item of items) this.enqueue(item.url, item.notification);
  }

  /** @internal The subscription was deleted: what was held for it is dropped. */
  forget(subscriptionId: string): void {
    this.awaitingReauthorization.delete(subscriptionId);
    const items = this.held.get(subscriptionId) ?? [];
    this.held.delete(subscriptionId);
    if (items[0]) {
      this.dropped.push({
        kind: "change",
        url: bare(items[0].url),
        count: items.length,
        reason: "subscription-deleted",
      });
    }
  }

  /** @internal Records a POST made elsewhere (the validation handshake). */
  record(delivery: NotificationDelivery): void {
    this.deliveries.push(delivery);
  }

  /** @internal */
  close(): void {
    this.closed = true;
    this.unsubscribe();
    this.stop.abort();
    for (const batch of this.batches.values()) clearTimeout(batch.timer);
    this.batches.clear();
    this.wake();
  }

  private onChange(change: DirectoryChange): void {
    if (this.closed) return;
    const event = directoryEventOf(change);
    const options = { tenantId: this.deps.tenantId, includeMembersDelta: this.settings.includeMembersDelta };
    for (const subscription of this.deps.store.live()) {
      if (!targetCovers(subscription.target, event.object) || !subscription.changeTypes.includes(event.changeType)) {
        continue;
      }
      const notification = changeNotification(subscription, event, options);
      const url = subscription.notificationUrl;
      if (!this.awaitingReauthorization.has(subscription.id)) {
        this.enqueue(url, notification);
      } else if (this.settings.reauthorizationPause === "drop") {
        this.dropped.push({ kind: "change", url: bare(url), count: 1, reason: "awaiting-reauthorization" });
      } else {
        const items = this.held.get(subscription.id) ?? [];
        items.push({ url, notification });
        this.held.set(subscription.id, items);
      }
    }
  }

  private enqueue(url: string, notification: ChangeNotification): void {
    const open = this.batches.get(url);
    if (open) {
      open.items.push(notification);
      return;
    }
    const wait = this.settings.notificationBatchWindowMs + this.settings.notificationDelayMs;
    const timer = setTimeout(() => this.send(url), Math.max(0, wait));
    this.batches.set(url, { items: [notification], timer });
  }

  private send(url: string): void {
    const batch = this.batches.get(url);
    this.batches.delete(url);
    if (!batch || this.closed) return;
    const job: DeliveryJob = {
      kind: "change",
      url,
      body: JSON.stringify({ value: batch.items }),
      count: batch.items.length,
    };
    this.start(job);
    if (this.settings.duplicateNotifications) this.start({ ...job });
    this.wake();
  }

  private start(job: DeliveryJob): void {
    if (this.paused) this.parked.push(job);
    else this.run(job);
  }

  private run(job: DeliveryJob): void {
    this.active += job.count;
    this.attempt(job)
      .catch((error: unknown) => process.stderr.write(`graph-sim: notification delivery failed: ${String(error)}\n`))
      .finally(() => {
        this.active -= job.count;
        this.wake();
      });
  }

  private async attempt(job: DeliveryJob): Promise<void> {
    const schedule = [...this.settings.retryScheduleMs];
    for (let attempt = 1; !this.closed; attempt++) {
      const started = performance.now();
      const answer = await postWebhook(job.url, {
        body: job.body,
        contentType: "application/json; charset=utf-8",
        timeoutMs: this.settings.deliveryTimeoutMs,
        signal: this.stop.signal,
      });
      if (this.closed) return;
      const delivered = answer.outcome === "answered" && answer.status >= 200 && answer.status < 300;
      this.deliveries.push({
        kind: job.kind,
        url: bare(job.url),
        status: answer.status,
        outcome: delivered ? "delivered" : answer.outcome === "answered" ? "rejected" : answer.outcome,
        attempt,
        count: job.count,
        ms: Math.round(performance.now() - started),
      });
      if (delivered) return;
      const wait = schedule[attempt - 1];
      if (wait === undefined) {
        this.dropped.push({ kind: job.kind, url: bare(job.url), count: job.count, reason: "retries-exhausted" });
        return;
      }
      await sleep(wait, undefined, { signal: this.stop.signal }).catch(() => undefined);
    }
  }

  private deliverable(): number {
    let count = this.active;
    for (const batch of this.batches.values()) count += batch.items.length;
    return count;
  }

  private wake(): void {
    if (!this.closed && this.deliverable() > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** The URL without its query string: logs never hold a function key (contract §3.1 `?code=…`). */
function bare(url: string): string {
  return url.split("?")[0] ?? "";
}
