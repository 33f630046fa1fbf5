/** A Graph change-notification subscription as Graph returns it. */
export interface GraphSubscription {
  id: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl?: string;
  expirationDateTime: string;
}

export interface CreateSubscriptionInput {
  /** `groups/<id>`, `groups` or `users` (no base URL). */
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl?: string;
  expirationDateTime: Date;
  /** At most 128 characters; Graph echoes it in every notification. */
  clientState: string;
}

/**
 * Graph subscriptions. One production implementation: `GraphEntraDirectory`. Errors are typed: a quota refusal
 * (403) has code `entra.subscription_quota`; an unknown or expired subscription (404) `entra.subscription_not_found`;
 * a failed validation handshake (400) `entra.subscription_validation`.
 */
export interface EntraSubscriptions {
  createSubscription(input: CreateSubscriptionInput): Promise<GraphSubscription>;
  renewSubscription(id: string, expirationDateTime: Date): Promise<GraphSubscription>;
  reauthorizeSubscription(id: string): Promise<void>;
  /** An unknown id is success. */
  deleteSubscription(id: string): Promise<void>;
  listSubscriptions(): Promise<GraphSubscription[]>;
}
