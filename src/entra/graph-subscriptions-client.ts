import { z } from "zod";
import { ServiceError, type SyncError } from "../errors/sync-error.js";
import type { Logger } from "../logging/logger.js";
import type { CreateSubscriptionInput, EntraSubscriptions, GraphSubscription } from "./entra-subscriptions.js";
import type { GraphHttp, GraphOutcome } from "./graph-http.js";
import { type EntraIdentity, type GraphFailure, mapGraphFailure } from "./map-graph-failure.js";
import { SubscriptionError } from "./subscription-error.js";

/** `clientState` limit: 128 in v1.0 subscription.md, 255 elsewhere; the lower one is safe (contract §3.1). */
export const MAX_CLIENT_STATE = 128;

const isoDate = z.string().refine((value) => !Number.isNaN(Date.parse(value)), "not a date-time");

/** Graph's subscription object, checked at the edge. Other properties (`clientState` included) are dropped. */
const subscriptionSchema = z.object({
  id: z.string().min(1),
  resource: z.string(),
  changeType: z.string(),
  notificationUrl: z.string(),
  lifecycleNotificationUrl: z.string().nullish(),
  expirationDateTime: isoDate,
});

const subscriptionListSchema = z.object({
  "@odata.nextLink": z.string().optional(),
  value: z.array(subscriptionSchema),
});

/**
 * 400 codes of a failed validation handshake (contract §3.2); compared lower-cased. `InvalidRequest` is also what
 * Graph answers a malformed subscription request with, so that code is ambiguous (the message says so); decisions
 * are never made on Graph's message text.
 */
const VALIDATION_CODES = new Set(["validationerror", "invalidrequest"]);

export interface GraphSubscriptionsDeps {
  http: GraphHttp;
  identity: EntraIdentity;
  logger: Logger;
}

/**
 * `EntraSubscriptions` over Graph v1.0 `/subscriptions` (contract §3.1):
 * - create: `POST /subscriptions` `{changeType, notificationUrl, lifecycleNotificationUrl?, resource,
 *   expirationDateTime (ISO UTC), clientState}` → 201. Graph validates the notification URL(s) synchronously
 *   before answering. 403 → `entra.subscription_quota`; 400 `ValidationError`/`InvalidRequest` →
 *   `entra.subscription_validation`. Retried on 429/503 only, not on 504: a gateway timeout may hide a subscription
 *   that was created, and a blind repeat would make a second one (list and delete to reconcile).
 * - renew: `PATCH /subscriptions/{id}` `{expirationDateTime}` → 200 (renewing also reauthorizes);
 * - reauthorize: `POST /subscriptions/{id}/reauthorize` → 204/200;
 *   for both, 404 → `entra.subscription_not_found` (recreate). Retried on 429/503/504 (idempotent).
 * - delete: `DELETE /subscriptions/{id}` → 204; 404 is success.
 * - list: `GET /subscriptions`, following `@odata.nextLink`.
 * Other failures map like reads (`mapGraphFailure`). Subscription objects are zod-checked; a malformed one is
 * ServiceError `entra.protocol`. `clientState` never appears in a message or a log line.
 */
export class GraphSubscriptionsClient implements EntraSubscriptions {
  constructor(private readonly deps: GraphSubscriptionsDeps) {}

  async createSubscription(input: CreateSubscriptionInput): Promise<GraphSubscription> {
    if (input.clientState.length === 0 || input.clientState.length > MAX_CLIENT_STATE) {
      throw new RangeError(`clientState must hold 1 to ${MAX_CLIENT_STATE} characters`);
    }
    const body = {
      changeType: input.changeType,
      notificationUrl: input.notificationUrl,
      ...(input.lifecycleNotificationUrl === undefined
        ? {}
        : { lifecycleNotificationUrl: input.lifecycleNotificationUrl }),
      resource: input.resource,
      expirationDateTime: isoUtc(input.expirationDateTime),
      clientState: input.clientState,
    };
    const what = `a subscription to ${input.resource} notifying ${withoutQuery(input.notificationUrl)}`;
    const outcome = await this.deps.http.write("POST", "/subscriptions", body, { noGatewayTimeoutRetry: true });
    if (!outcome.ok) throw this.createFailure(outcome.failure, what);
    const subscription = parseSubscription(outcome.body, what);
    this.deps.logger.debug(
      `Entra: created subscription ${subscription.id} to ${subscription.resource}, expiring ${subscription.expirationDateTime}`,
    );
    return subscription;
  }

  async renewSubscription(id: string, expirationDateTime: Date): Promise<GraphSubscription> {
    const what = `subscription ${id}`;
    const outcome = await this.deps.http.write("PATCH", subscriptionPath(id), {
      expirationDateTime: isoUtc(expirationDateTime),
    });
    if (!outcome.ok) throw this.existingFailure(outcome.failure, `renewing ${what}`);
    const subscription = parseSubscription(outcome.body, what);
    this.deps.logger.debug(`Entra: renewed subscription ${id} until ${subscription.expirationDateTime}`);
    return subscription;
  }

  async reauthorizeSubscription(id: string): Promise<void> {
    const outcome = await this.deps.http.write("POST", `${subscriptionPath(id)}/reauthorize`, {});
    if (!outcome.ok) throw this.existingFailure(outcome.failure, `reauthorizing subscription ${id}`);
    this.deps.logger.debug(`Entra: reauthorized subscription ${id}`);
  }

  async deleteSubscription(id: string): Promise<void> {
    const outcome = await this.deps.http.write("DELETE", subscriptionPath(id), undefined);
    if (!outcome.ok && outcome.failure.status !== 404) {
      throw mapGraphFailure(outcome.failure, `subscription ${id} (deleting it)`, this.deps.identity);
    }
    this.deps.logger.debug(`Entra: deleted subscription ${id}${outcome.ok ? "" : " (it was already gone)"}`);
  }

  async listSubscriptions(): Promise<GraphSubscription[]> {
    const subscriptions: GraphSubscription[] = [];
    let url = "/subscriptions";
    for (;;) {
      const outcome: GraphOutcome = await this.deps.http.get(url);
      if (!outcome.ok) throw mapGraphFailure(outcome.failure, "the app's subscriptions", this.deps.identity);
      const page = subscriptionListSchema.safeParse(outcome.body);
      if (!page.success) throw malformed("the app's subscriptions", page.error);
      subscriptions.push(...page.data.value.map(toGraphSubscription));
      const next = page.data["@odata.nextLink"];
      if (next === undefined) return subscriptions;
      url = next;
    }
  }

  private createFailure(failure: GraphFailure, what: string): SyncError {
    const detail = describeFailure(failure);
    if (failure.status === 403) {
      return new SubscriptionError(
        "entra.subscription_quota",
        `Microsoft Graph refused ${what} (${detail}): a subscription quota is used up (100 per app and tenant, 1,000 per tenant for users and groups), or client ${this.deps.identity.clientId} lacks the permission for that resource. Delete unused subscriptions, or check the app's application permissions.`,
        failure.status,
        { hint: "Delete unused Graph subscriptions, or check the app's application permissions." },
      );
    }
    if (failure.status === 400 && failure.code !== undefined && VALIDATION_CODES.has(failure.code.toLowerCase())) {
      return new SubscriptionError(
        "entra.subscription_validation",
        `Microsoft Graph refused ${what} (${detail}): the notification URL failed Graph's validation handshake${failure.code?.toLowerCase() === "invalidrequest" ? ", or Graph found the request invalid" : ""}. The endpoint must answer Graph's validation request within 10 s with 200, text/plain and the decoded validationToken.`,
        failure.status,
        {
          retryable: true,
          hint: "Check that the notification endpoint is reachable from Microsoft Graph and answers the validation request.",
        },
      );
    }
    return mapGraphFailure(failure, what, this.deps.identity);
  }

  private existingFailure(failure: GraphFailure, what: string): SyncError {
    if (failure.status === 404) {
      return new SubscriptionError(
        "entra.subscription_not_found",
        `Microsoft Graph does not know the subscription while ${what} (${describeFailure(failure)}): it expired or was deleted. Create a new one.`,
        failure.status,
      );
    }
    return mapGraphFailure(failure, what, this.deps.identity);
  }
}

function subscriptionPath(id: string): string {
  return `/subscriptions/${encodeURIComponent(id)}`;
}

/** ISO 8601 in UTC (`…Z`); throws RangeError for an invalid Date. */
function isoUtc(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError("expirationDateTime is not a valid date");
  return date.toISOString();
}

/** A URL for messages: without query (an Azure Function key rides in `?code=`) or fragment. */
function withoutQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}

function describeFailure(failure: GraphFailure): string {
  return `${failure.status}${failure.code ? ` ${failure.code}` : ""}${failure.requestId ? `, request-id ${failure.requestId}` : ""}`;
}

function parseSubscription(body: unknown, what: string): GraphSubscription {
  const parsed = subscriptionSchema.safeParse(body);
  if (!parsed.success) throw malformed(what, parsed.error);
  return toGraphSubscription(parsed.data);
}

/** Only the issue paths go into the error: the body holds `clientState`. */
function malformed(what: string, error: z.ZodError): ServiceError {
  const paths = [...new Set(error.issues.map((issue) => issue.path.join(".") || "(body)"))].join(", ");
  return new ServiceError(
    "entra",
    "entra.protocol",
    `Microsoft Graph answered ${what} with a malformed subscription (${paths}).`,
    200,
  );
}

function toGraphSubscription(data: z.infer<typeof subscriptionSchema>): GraphSubscription {
  return {
    id: data.id,
    resource: data.resource,
    changeType: data.changeType,
    notificationUrl: data.notificationUrl,
    ...(data.lifecycleNotificationUrl ? { lifecycleNotificationUrl: data.lifecycleNotificationUrl } : {}),
    expirationDateTime: data.expirationDateTime,
  };
}
