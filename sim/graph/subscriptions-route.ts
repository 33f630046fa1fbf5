import { randomUUID } from "node:crypto";
import { GraphRequestError, type GraphResponse, jsonOk } from "./graph-response.js";
import type { GraphRequest, SimContext } from "./sim-context.js";
import { type SimSubscription, subscriptionJson } from "./sim-subscription.js";
import { parseCreateSubscription, parseRenewal } from "./subscription-request.js";
import { parseSubscriptionResource } from "./subscription-resource.js";
import { validateNotificationUrl, validationToken } from "./validate-notification-url.js";

/**
 * `POST /subscriptions` (contract §3.1, §3.2): checks the body, the resource and the quota (403 past
 * `subscriptionQuota` live subscriptions, Graph's per app+tenant limit), then, before answering, runs the validation
 * handshake against `notificationUrl` and then, separately, `lifecycleNotificationUrl` (two requests even when
 * they are the same URL). Any failure → 400 and no subscription; success → 201 with the full object.
 */
export async function createSubscription(ctx: SimContext, req: GraphRequest): Promise<GraphResponse> {
  const nowMs = ctx.settings.now().getTime();
  const input = parseCreateSubscription(req.body, {
    nowMs,
    allowHttpNotificationUrls: ctx.settings.allowHttpNotificationUrls,
  });
  const target = parseSubscriptionResource(input.resource, ctx.directory);
  if (target instanceof GraphRequestError) throw target;
  const quota = ctx.settings.subscriptionQuota;
  if (ctx.subscriptions.live().length >= quota) {
    // Checked before the handshake, so a refused request sends no validation POST.
    throw new GraphRequestError(
      403,
      "ExtensionError",
      `Operation: Create; Exception: [Status Code: Forbidden; Reason: The maximum number of subscriptions (${quota}) for this application in this tenant has been reached for users and groups. Delete unused subscriptions and retry.]`,
    );
  }
  const token = validationToken(req.ids.requestId);
  for (const url of [input.notificationUrl, input.lifecycleNotificationUrl]) {
    if (url === null) continue;
    const verdict = await validateNotificationUrl(url, token, {
      timeoutMs: ctx.notifications.settings.validationTimeoutMs,
      signal: ctx.notifications.signal,
    });
    ctx.notifications.record({
      kind: "validation",
      url: url.split("?")[0] ?? "",
      status: verdict.answer.status,
      outcome: verdict.ok ? "delivered" : verdict.answer.outcome === "answered" ? "rejected" : verdict.answer.outcome,
      attempt: 1,
      count: 0,
      ms: verdict.ms,
    });
    if (!verdict.ok) throw new GraphRequestError(400, verdict.code, verdict.message);
  }
  const subscription: SimSubscription = {
    id: randomUUID(),
    resource: input.resource,
    target,
    changeType: input.changeType,
    changeTypes: input.changeTypes,
    clientState: input.clientState,
    notificationUrl: input.notificationUrl,
    lifecycleNotificationUrl: input.lifecycleNotificationUrl,
    expiresAt: input.expiresAt,
    latestSupportedTlsVersion: input.latestSupportedTlsVersion,
    creatorId: ctx.settings.creatorId,
    applicationId: ctx.clientId,
  };
  ctx.subscriptions.add(subscription);
  return jsonOk(entity(ctx, subscription), 201);
}

/**
 * `GET /subscriptions`: the app's live subscriptions (expired ones are gone), each with `clientState: null`: Graph
 * leaves it out of lists by design and returns it only from `GET /subscriptions/{id}` (microsoft-graph-docs#4807).
 */
export function listSubscriptions(ctx: SimContext): GraphResponse {
  return jsonOk({
    "@odata.context": `${ctx.baseUrl}/v1.0/$metadata#subscriptions`,
    value: ctx.subscriptions.live().map((s) => ({ ...subscriptionJson(s), clientState: null })),
  });
}

/** `GET /subscriptions/{id}`; unknown or expired → 404 `ResourceNotFound` (contract §3.1 [Inference]). */
export function getSubscription(ctx: SimContext, id: string): GraphResponse {
  return jsonOk(entity(ctx, requireSubscription(ctx, id)));
}

/** `PATCH /subscriptions/{id}` `{expirationDateTime}` → 200 with the renewed object; renewing also reauthorizes. */
export function renewSubscription(ctx: SimContext, req: GraphRequest, id: string): GraphResponse {
  requireSubscription(ctx, id);
  const expiresAt = parseRenewal(req.body, ctx.settings.now().getTime());
  const renewed = ctx.subscriptions.renew(id, expiresAt) ?? requireSubscription(ctx, id);
  ctx.notifications.reauthorized(renewed.id);
  return jsonOk(entity(ctx, renewed));
}

/** `POST /subscriptions/{id}/reauthorize` → 204 without extending (contract §3.1, §8 [Inference]). */
export function reauthorizeSubscription(ctx: SimContext, id: string): GraphResponse {
  const subscription = requireSubscription(ctx, id);
  ctx.notifications.reauthorized(subscription.id);
  return noContent();
}

/** `DELETE /subscriptions/{id}` → 204; unknown or expired → 404. */
export function deleteSubscription(ctx: SimContext, id: string): GraphResponse {
  const subscription = requireSubscription(ctx, id);
  ctx.subscriptions.remove(subscription.id);
  ctx.notifications.forget(subscription.id);
  return noContent();
}

function requireSubscription(ctx: SimContext, id: string): SimSubscription {
  const subscription = ctx.subscriptions.get(id);
  if (!subscription) throw new GraphRequestError(404, "ResourceNotFound", `The object was not found: '${id}'.`);
  return subscription;
}

function entity(ctx: SimContext, subscription: SimSubscription): Record<string, unknown> {
  return {
    "@odata.context": `${ctx.baseUrl}/v1.0/$metadata#subscriptions/$entity`,
    ...subscriptionJson(subscription),
  };
}

function noContent(): GraphResponse {
  return { status: 204, headers: {}, body: "" };
}
