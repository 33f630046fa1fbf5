import type { SubscriptionRecord } from "../state/sync-state-store.js";
import {
  authenticateNotification,
  badRequest,
  type NotificationDeps,
  parseNotificationBody,
  validationResponse,
  type WebhookRequest,
  type WebhookResponse,
} from "./handle-notifications.js";
import { quoteUntrusted } from "./quote-untrusted.js";
import type { SyncMessage } from "./sync-message.js";

const EVENTS = new Set(["reauthorizationRequired", "subscriptionRemoved", "missed"]);

/**
 * The `graph-lifecycle` use case (contract §3.4): answers the validation handshake, authenticates each lifecycle
 * event like a change notification, and enqueues one `lifecycle` message per (subscription, event). The worker then
 * renews, reauthorizes or recreates the subscription and resyncs what may have been missed; nothing here calls Graph.
 */
export async function handleLifecycle(request: WebhookRequest, deps: NotificationDeps): Promise<WebhookResponse> {
  if (request.validationToken !== null) return validationResponse(request.validationToken);
  const parsed = parseNotificationBody(request.body);
  if ("error" in parsed) {
    deps.logger.warn(`graph-lifecycle: rejected a request: ${parsed.error}`);
    return badRequest(parsed.error);
  }
  const cache = new Map<string, Promise<SubscriptionRecord | undefined>>();
  const seen = new Set<string>();
  const messages: SyncMessage[] = [];
  const at = deps.now().toISOString();
  for (const event of parsed.value) {
    const verdict = await authenticateNotification(event, deps, cache);
    if ("rejected" in verdict) {
      deps.logger.warn(`graph-lifecycle: ignored: ${verdict.rejected}`);
      continue;
    }
    const name = event.lifecycleEvent ?? "";
    if (!EVENTS.has(name)) {
      deps.logger.warn(`graph-lifecycle: ignored unknown lifecycle event ${quoteUntrusted(name)}`);
      continue;
    }
    const key = `${event.subscriptionId}/${name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    messages.push({
      v: 1,
      kind: "lifecycle",
      subscriptionId: event.subscriptionId,
      event: name as "reauthorizationRequired" | "subscriptionRemoved" | "missed",
      at,
    });
  }
  deps.logger.info(`graph-lifecycle: ${parsed.value.length} received, ${messages.length} enqueued`);
  return {
    status: 202,
    contentType: "application/json",
    body: JSON.stringify({ accepted: messages.length }),
    messages,
  };
}
