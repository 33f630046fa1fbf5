import { SyncError, type SyncErrorOptions } from "../errors/sync-error.js";

/** The subscription failures a caller acts on (entra-subscriptions.ts). */
export type SubscriptionErrorCode =
  /** 403 on create: a subscription quota is used up (or the app lacks the permission for the resource). */
  | "entra.subscription_quota"
  /** 404 on renew or reauthorize: the subscription is unknown or expired; recreate it. */
  | "entra.subscription_not_found"
  /** 400 `ValidationError`/`InvalidRequest` on create: the notification URL failed Graph's validation handshake. */
  | "entra.subscription_validation";

/**
 * A Graph subscription request refused in a way the caller handles (kind `operation`: the run goes on). Messages
 * name the subscription, resource and the notification URL without its query string (it may hold a function key),
 * never `clientState`.
 */
export class SubscriptionError extends SyncError {
  override readonly name = "SubscriptionError";
  constructor(
    override readonly code: SubscriptionErrorCode,
    message: string,
    readonly status: number,
    options: SyncErrorOptions = {},
  ) {
    super("operation", code, message, options);
  }
}
