import { z } from "zod";
import { GraphRequestError } from "./graph-response.js";
import type { SubscriptionChangeType } from "./sim-subscription.js";

/** Longest lifetime for user, group and other directory subscriptions: 41,760 minutes (contract §3.1). */
export const MAX_LIFETIME_MINUTES = 41_760;
/** The v1.0 limit; the newer docs allow 255, so the stricter one is enforced (contract §3.1 [Inference]). */
export const MAX_CLIENT_STATE_LENGTH = 128;

const createSchema = z.object({
  changeType: z.string(),
  notificationUrl: z.string(),
  resource: z.string(),
  expirationDateTime: z.string().optional(),
  clientState: z.string().nullable().optional(),
  lifecycleNotificationUrl: z.string().nullable().optional(),
  latestSupportedTlsVersion: z.enum(["v1_0", "v1_1", "v1_2", "v1_3"]).nullable().optional(),
  includeResourceData: z.boolean().nullable().optional(),
});

const renewSchema = z.object({ expirationDateTime: z.string().optional() }).loose();

/** A `POST /subscriptions` body that passed the checks that need no directory, clock-free fields resolved. */
export interface CreateSubscriptionRequest {
  resource: string;
  changeType: string;
  changeTypes: SubscriptionChangeType[];
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  clientState: string | null;
  expiresAt: number;
  latestSupportedTlsVersion: string;
}

/** What the checks depend on. */
export interface SubscriptionRequestRules {
  nowMs: number;
  /** The sandbox serves its webhook on `http://127.0.0.1`; real Graph accepts only https (contract §3.1). */
  allowHttpNotificationUrls: boolean;
}

/**
 * Parses and checks a `POST /subscriptions` body (contract §3.1): `changeType` ⊆ {updated, deleted}; https URLs;
 * `expirationDateTime` present, in the future and ≤ now + 41,760 min (else 400 `ExtensionError`); `clientState`
 * ≤ 128 characters; no `includeResourceData` (users and groups have no rich notifications, contract §3.3). Other
 * failures are 400 `InvalidRequest`, the code Graph uses for malformed subscription requests. Throws
 * `GraphRequestError`.
 */
export function parseCreateSubscription(body: string, rules: SubscriptionRequestRules): CreateSubscriptionRequest {
  const parsed = createSchema.safeParse(parseJson(body));
  if (!parsed.success) throw invalid(describeIssue(parsed.error));
  const input = parsed.data;
  if (input.includeResourceData) {
    throw invalid("Rich notifications (includeResourceData) are not supported for users and groups.");
  }
  const clientState = input.clientState ?? null;
  if (clientState !== null && clientState.length > MAX_CLIENT_STATE_LENGTH) {
    throw invalid(`clientState must not be longer than ${MAX_CLIENT_STATE_LENGTH} characters.`);
  }
  return {
    resource: input.resource,
    changeType: input.changeType,
    changeTypes: parseChangeTypes(input.changeType, input.resource),
    notificationUrl: checkUrl(input.notificationUrl, "notification", rules),
    lifecycleNotificationUrl:
      input.lifecycleNotificationUrl == null ? null : checkUrl(input.lifecycleNotificationUrl, "lifecycle", rules),
    clientState,
    expiresAt: parseExpiry(input.expirationDateTime, rules.nowMs),
    latestSupportedTlsVersion: input.latestSupportedTlsVersion ?? "v1_2",
  };
}

/**
 * Parses a `PATCH /subscriptions/{id}` body: only `expirationDateTime` may change (same limits as creation). A
 * `lifecycleNotificationUrl` cannot be added by PATCH (contract §3.1); other properties are refused too rather than
 * silently ignored. Returns the new expiry (sim-clock ms). Throws `GraphRequestError`.
 */
export function parseRenewal(body: string, nowMs: number): number {
  const parsed = renewSchema.safeParse(parseJson(body));
  if (!parsed.success) throw invalid(describeIssue(parsed.error));
  const extra = Object.keys(parsed.data).filter((key) => key !== "expirationDateTime" && !key.startsWith("@odata."));
  if (extra.includes("lifecycleNotificationUrl")) {
    throw invalid("lifecycleNotificationUrl cannot be added or changed on an existing subscription; recreate it.");
  }
  if (extra.length > 0) throw invalid(`Only expirationDateTime can be updated (got ${extra.join(", ")}).`);
  return parseExpiry(parsed.data.expirationDateTime, nowMs);
}

function parseExpiry(raw: string | undefined, nowMs: number): number {
  if (raw === undefined) throw invalid("expirationDateTime is a required property for subscription creation.");
  const at = Date.parse(raw);
  if (!Number.isFinite(at)) throw invalid(`Invalid expirationDateTime '${raw}'.`);
  // Graph's own over-the-limit envelope (docs#2988), with the directory limit (contract §3.1 [Inference]).
  if (at > nowMs + MAX_LIFETIME_MINUTES * 60_000) {
    throw new GraphRequestError(
      400,
      "ExtensionError",
      `Subscription expiration can only be ${MAX_LIFETIME_MINUTES} minutes in the future.`,
    );
  }
  if (at <= nowMs) throw new GraphRequestError(400, "ExtensionError", "Subscription expiration must be in the future.");
  return at;
}

function parseChangeTypes(changeType: string, resource: string): SubscriptionChangeType[] {
  const parts = changeType.split(",").map((part) => part.trim());
  const result: SubscriptionChangeType[] = [];
  for (const part of parts) {
    if (part !== "updated" && part !== "deleted") {
      throw invalid(`Change type '${part}' is not supported for resource '${resource}'; use updated and/or deleted.`);
    }
    if (!result.includes(part)) result.push(part);
  }
  return result;
}

function checkUrl(raw: string, which: "notification" | "lifecycle", rules: SubscriptionRequestRules): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(`Invalid ${which} url='${withoutQuery(raw)}'.`);
  }
  const allowed = url.protocol === "https:" || (rules.allowHttpNotificationUrls && url.protocol === "http:");
  if (!allowed || !url.hostname) {
    throw invalid(`Invalid ${which} url='${withoutQuery(raw)}'. The ${which} url must use https.`);
  }
  return raw;
}

/** Error messages never echo a query string: it may hold an Azure Function key. */
function withoutQuery(url: string): string {
  return url.split("?")[0] ?? "";
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new GraphRequestError(
      400,
      "BadRequest",
      "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
    );
  }
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue?.path.join(".") ?? "";
  return path ? `Invalid or missing property '${path}'.` : "Invalid subscription payload.";
}

function invalid(message: string): GraphRequestError {
  return new GraphRequestError(400, "InvalidRequest", message);
}
