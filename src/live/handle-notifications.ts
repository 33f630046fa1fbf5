import { z } from "zod";
import type { Logger } from "../logging/logger.js";
import type { SubscriptionRecord } from "../state/sync-state-store.js";
import { quoteUntrusted } from "./quote-untrusted.js";
import { groupMessage, type SyncMessage, usersMessage, usersMessages } from "./sync-message.js";
import { verifyClientState } from "./verify-client-state.js";

/** Graph's bodies are small (a few KB per notification); anything this big is not from Graph. */
export const MAX_NOTIFICATION_BODY_BYTES = 256 * 1024;

/**
 * Graph's validation tokens are about 120 characters (contract §3.2); the handshake echoes the token, so a longer one
 * is refused rather than reflected.
 */
export const MAX_VALIDATION_TOKEN_BYTES = 1024;

/** An HTTP request as the webhook sees it; the Functions and sandbox adapters build it. */
export interface WebhookRequest {
  /** The decoded `validationToken` query parameter, when Graph is validating the endpoint. */
  validationToken: string | null;
  body: string;
}

/** What the webhook answers, and what it hands to the queue. */
export interface WebhookResponse {
  status: number;
  contentType: "text/plain" | "application/json";
  body: string;
  messages: SyncMessage[];
}

export interface NotificationDeps {
  getSubscription(id: string): Promise<SubscriptionRecord | undefined>;
  /**
   * The configured tenant's id (a GUID; a tenant configured by domain is resolved first, `resolveTenantId`).
   * Notifications without it, or for another tenant, are ignored. Anything but a GUID here is a wiring error.
   */
  tenantId: string;
  now: () => Date;
  logger: Logger;
}

const notificationSchema = z.looseObject({
  subscriptionId: z.string().min(1).max(64),
  clientState: z.string().max(255).optional(),
  changeType: z.string().max(64).optional(),
  resource: z.string().max(1024).optional(),
  tenantId: z.string().max(64).optional(),
  lifecycleEvent: z.string().max(64).optional(),
  resourceData: z
    .looseObject({ id: z.string().max(64).optional(), "@odata.type": z.string().max(128).optional() })
    .optional(),
});
export const notificationBodySchema = z.object({ value: z.array(notificationSchema).min(1).max(1000) });
export type GraphNotification = z.output<typeof notificationSchema>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Answers Graph's validation handshake: 200, text/plain, the decoded token (contract §3.2); the adapter adds
 * `X-Content-Type-Options: nosniff`, so a browser never renders the echoed text as anything else. A token over
 * `MAX_VALIDATION_TOKEN_BYTES` → 400.
 */
export function validationResponse(token: string): WebhookResponse {
  if (Buffer.byteLength(token, "utf8") > MAX_VALIDATION_TOKEN_BYTES) return badRequest("validationToken too long");
  return { status: 200, contentType: "text/plain", body: token, messages: [] };
}

export function badRequest(reason: string): WebhookResponse {
  return { status: 400, contentType: "application/json", body: JSON.stringify({ error: reason }), messages: [] };
}

/** Parses and size-checks a notification body; undefined with a reason when it is not one. */
export function parseNotificationBody(body: string): { value: GraphNotification[] } | { error: string } {
  if (Buffer.byteLength(body, "utf8") > MAX_NOTIFICATION_BODY_BYTES) return { error: "body too large" };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { error: "body is not JSON" };
  }
  const parsed = notificationBodySchema.safeParse(json);
  return parsed.success ? parsed.data : { error: "body is not a change notification collection" };
}

/**
 * Checks a notification against our subscription records: known subscription, matching tenant, clientState equal (in
 * constant time) to the current or previous secret. Returns the subscription, or why it is rejected.
 */
export async function authenticateNotification(
  notification: GraphNotification,
  deps: Pick<NotificationDeps, "getSubscription" | "tenantId">,
  cache: Map<string, Promise<SubscriptionRecord | undefined>>,
): Promise<{ subscription: SubscriptionRecord } | { rejected: string }> {
  if (!GUID.test(deps.tenantId)) throw new TypeError("the webhook's tenant must be resolved to its id (a GUID)");
  if (notification.tenantId === undefined) return { rejected: "notification without tenantId" };
  if (notification.tenantId.toLowerCase() !== deps.tenantId.toLowerCase()) {
    return { rejected: `notification for another tenant (${quoteUntrusted(notification.tenantId)})` };
  }
  let lookup = cache.get(notification.subscriptionId);
  if (!lookup) {
    lookup = deps.getSubscription(notification.subscriptionId);
    cache.set(notification.subscriptionId, lookup);
  }
  const subscription = await lookup;
  if (!subscription) return { rejected: `unknown subscription ${quoteUntrusted(notification.subscriptionId)}` };
  const secrets = { current: subscription.clientState, previous: subscription.previousClientState };
  if (!verifyClientState(notification.clientState, secrets)) {
    return { rejected: `clientState mismatch for subscription ${quoteUntrusted(notification.subscriptionId)}` };
  }
  return { subscription };
}

/**
 * The scope a notification names: a group id, or a user (`user`: its id when the notification names one). Graph
 * capitalises `Groups/…` in practice.
 */
export function notificationScope(
  notification: GraphNotification,
): { group: string } | { user: string | undefined } | undefined {
  const type = notification.resourceData?.["@odata.type"]?.toLowerCase();
  const match = /^\/?(groups|users)(?:\/([^/]+))?/i.exec(notification.resource ?? "");
  const collection =
    match?.[1]?.toLowerCase() ?? (type?.endsWith(".group") ? "groups" : type?.endsWith(".user") ? "users" : undefined);
  const id = notification.resourceData?.id ?? match?.[2];
  const guid = id !== undefined && GUID.test(id) ? id.toLowerCase() : undefined;
  if (collection === "users") return { user: guid };
  if (collection === "groups" && guid) return { group: guid };
  return undefined;
}

/**
 * The `graph-notifications` use case: answers the validation handshake, rejects malformed or oversized bodies with
 * 400, and turns each authenticated notification into one queue message per changed resource (deduplicated within
 * the body). Notifications that fail authentication are dropped and logged, never enqueued; the answer is still 202,
 * as Graph's guidance asks, so a forger learns nothing. Never calls Graph or MI.
 */
export async function handleNotifications(request: WebhookRequest, deps: NotificationDeps): Promise<WebhookResponse> {
  if (request.validationToken !== null) return validationResponse(request.validationToken);
  const parsed = parseNotificationBody(request.body);
  if ("error" in parsed) {
    deps.logger.warn(`graph-notifications: rejected a request: ${parsed.error}`);
    return badRequest(parsed.error);
  }
  const cache = new Map<string, Promise<SubscriptionRecord | undefined>>();
  const groups = new Set<string>();
  const userIds = new Set<string>();
  let users = false;
  let ignored = 0;
  for (const notification of parsed.value) {
    const verdict = await authenticateNotification(notification, deps, cache);
    if ("rejected" in verdict) {
      ignored++;
      deps.logger.warn(`graph-notifications: ignored: ${verdict.rejected}`);
      continue;
    }
    const scope = notificationScope(notification);
    if (scope && "user" in scope) {
      users = true;
      if (scope.user) userIds.add(scope.user);
    } else if (scope) groups.add(scope.group);
    else {
      ignored++;
      deps.logger.warn(
        `graph-notifications: ignored a notification for resource ${quoteUntrusted(notification.resource ?? "")}`,
      );
    }
  }
  const now = deps.now();
  const messages = [
    ...[...groups].map((id) => groupMessage(id, "notification", now)),
    // The users it names travel along: the worker syncs them even where the users delta has no link yet.
    ...(users
      ? userIds.size > 0
        ? usersMessages("notification", now, [...userIds])
        : [usersMessage("notification", now)]
      : []),
  ];
  deps.logger.info(
    `graph-notifications: ${parsed.value.length} received, ${messages.length} enqueued, ${ignored} ignored`,
  );
  return {
    status: 202,
    contentType: "application/json",
    body: JSON.stringify({ accepted: messages.length }),
    messages,
  };
}
