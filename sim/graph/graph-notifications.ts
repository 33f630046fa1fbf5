import type { LifecycleEvent } from "./change-notification.js";

/**
 * Delivery knobs, settable at start (`GraphSimOptions.notifications`) and at runtime (`sim.notifications.settings`).
 * Graph's real timings are compressed so tests and the sandbox run in seconds (contract §3.2, §3.3).
 */
export interface NotificationSettings {
  /** Changes for the same notificationUrl within this window go in one POST (Graph mixes subscriptions); default 20. */
  notificationBatchWindowMs: number;
  /** Extra delay before a change notification batch is sent, ms; default 0. */
  notificationDelayMs: number;
  /** Deliver every change-notification POST twice (Graph is at-least-once, contract §3.3); default false. */
  duplicateNotifications: boolean;
  /** Stop waiting for a webhook answer after this, ms; default 3000 (Graph's 3 s, contract §3.3). */
  deliveryTimeoutMs: number;
  /**
   * Waits before each retry of a POST that got no 2xx in time; its length + 1 is the number of attempts, after which
   * the POST is dropped (stands in for Graph's "retries for up to 4 hours"). Default `[500, 1000, 2000, 4000]`.
   */
  retryScheduleMs: number[];
  /** Wait for the validation answer, ms; default 10000 (Graph's 10 s, contract §3.2). */
  validationTimeoutMs: number;
  /** Add `members@delta` to membership notifications (Graph does sometimes, contract §3.3); default false. */
  includeMembersDelta: boolean;
  /**
   * What happens to a subscription's change notifications after `reauthorizationRequired` until it is reauthorized
   * (contract §3.4): `"queue"` (default) holds them and delivers on reauthorization; `"drop"` loses them, as Graph
   * does once delivery has paused.
   */
  reauthorizationPause: "queue" | "drop";
}

export const DEFAULT_NOTIFICATION_SETTINGS: NotificationSettings = {
  notificationBatchWindowMs: 20,
  notificationDelayMs: 0,
  duplicateNotifications: false,
  deliveryTimeoutMs: 3000,
  retryScheduleMs: [500, 1000, 2000, 4000],
  validationTimeoutMs: 10_000,
  includeMembersDelta: false,
  reauthorizationPause: "queue",
};

/** The defaults overlaid with what was given (undefined entries ignored); the schedule array is copied. */
export function resolveNotificationSettings(given: Partial<NotificationSettings> = {}): NotificationSettings {
  const defined = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
  const settings: NotificationSettings = { ...DEFAULT_NOTIFICATION_SETTINGS, ...defined };
  return { ...settings, retryScheduleMs: [...settings.retryScheduleMs] };
}

/** What a webhook POST was: a change-notification batch, a lifecycle notification, or a validation handshake. */
export type WebhookPostKind = "change" | "lifecycle" | "validation";

/** One POST attempt to a webhook. Holds no query string or body, so no function key or clientState lands here. */
export interface NotificationDelivery {
  kind: WebhookPostKind;
  /** The URL without its query string. */
  url: string;
  /** HTTP status, or `null` when there was no answer. */
  status: number | null;
  /** `delivered` = 2xx in time (for validation: passed); `rejected` = answered otherwise. */
  outcome: "delivered" | "rejected" | "timeout" | "connection-error";
  /** 1 for the first try. */
  attempt: number;
  /** Notifications in the POST (0 for validation). */
  count: number;
  /** Time to answer or give up, ms. */
  ms: number;
}

/** Notifications given up on, and why. */
export interface DroppedNotifications {
  kind: "change" | "lifecycle";
  url: string;
  count: number;
  reason: "retries-exhausted" | "awaiting-reauthorization" | "subscription-deleted";
}

/** `GraphSim.notifications`: the change-notification emitter, observed and steered by tests. */
export interface GraphNotifications {
  /** Every webhook POST attempt, in order (validation handshakes included, `kind: "validation"`). */
  readonly deliveries: readonly NotificationDelivery[];
  readonly dropped: readonly DroppedNotifications[];
  /** Live knobs; assign to change behaviour for notifications emitted from then on. */
  readonly settings: NotificationSettings;
  /**
   * Notifications not yet delivered or dropped: batching, in flight, waiting to retry, parked by `pause()`, or held
   * for a subscription awaiting reauthorization.
   */
  pending(): number;
  /**
   * Resolves once every deliverable notification is delivered or dropped. Notifications parked by `pause()` or held
   * for reauthorization do not count (they would never resolve); `pending()` still shows them.
   */
  flush(): Promise<void>;
  /**
   * POSTs a lifecycle notification to the subscription's `lifecycleNotificationUrl` (contract §3.4).
   * `reauthorizationRequired` also holds the subscription's change notifications until `POST /reauthorize` or a
   * renewing PATCH. `subscriptionRemoved` also deletes the subscription. Graph sends only `reauthorizationRequired`
   * for users and groups; the other two exist for negative tests. Throws for an unknown or expired subscription or
   * one without a lifecycle URL.
   */
  emitLifecycle(subscriptionId: string, lifecycleEvent: LifecycleEvent): void;
  /** Stops sending (change and lifecycle POSTs park); validation handshakes still run. */
  pause(): void;
  /** Sends everything parked by `pause()`. */
  resume(): void;
}
