import type { SubscriptionTarget } from "./subscription-resource.js";

/** The change types Graph supports for users and groups (contract §3.1). */
export type SubscriptionChangeType = "updated" | "deleted";

/** A subscription as the simulator stores it. `resource`, `changeType` and URLs are kept exactly as the client sent them. */
export interface SimSubscription {
  id: string;
  resource: string;
  target: SubscriptionTarget;
  /** As sent, e.g. `"updated,deleted"`. */
  changeType: string;
  changeTypes: SubscriptionChangeType[];
  /** Secret echoed in every notification; never logged. `null` when the client sent none. */
  clientState: string | null;
  /** With its query string (e.g. `?code=…`), which Graph preserves on every POST (contract §3.1). */
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  /** Sim-clock ms; at or past it the subscription is gone (404, no notifications). */
  expiresAt: number;
  latestSupportedTlsVersion: string;
  /** The service principal that created it (the simulator's single app). */
  creatorId: string;
  applicationId: string;
}

/** Graph's `expirationDateTime` rendering: UTC, `Z`, milliseconds only when non-zero (`2022-11-07T14:00:00Z`). */
export function formatExpiry(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}

/**
 * The subscription resource exactly as Graph serialises it, every property present, unset ones `null` (contract
 * §3.1 "Real 201 body"). The caller adds `@odata.context` for single-entity answers.
 */
export function subscriptionJson(subscription: SimSubscription): Record<string, unknown> {
  return {
    id: subscription.id,
    resource: subscription.resource,
    applicationId: subscription.applicationId,
    changeType: subscription.changeType,
    clientState: subscription.clientState,
    notificationUrl: subscription.notificationUrl,
    notificationQueryOptions: null,
    lifecycleNotificationUrl: subscription.lifecycleNotificationUrl,
    expirationDateTime: formatExpiry(subscription.expiresAt),
    creatorId: subscription.creatorId,
    includeResourceData: null,
    latestSupportedTlsVersion: subscription.latestSupportedTlsVersion,
    encryptionCertificate: null,
    encryptionCertificateId: null,
    notificationUrlAppId: null,
  };
}
