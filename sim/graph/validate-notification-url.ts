import { postWebhook, type WebhookAnswer } from "./post-webhook.js";

/** The outcome of one validation handshake, with the error Graph answers `POST /subscriptions` with on failure. */
export type ValidationVerdict =
  | { ok: true; answer: WebhookAnswer; ms: number }
  | { ok: false; answer: WebhookAnswer; ms: number; code: "ValidationError" | "InvalidRequest"; message: string };

/** Graph's token text (docs#21160); the Request-Id is that of the `POST /subscriptions` being served. */
export function validationToken(requestId: string): string {
  return `Validation: Testing client application reachability for subscription Request-Id: ${requestId}`;
}

/** Appends `validationToken=<percent-encoded>` keeping any query string (`?code=…`) already on the URL (contract §3.2). */
export function validationUrl(url: string, token: string): string {
  const separator = url.includes("?") ? (/[?&]$/.test(url) ? "" : "&") : "?";
  return `${url}${separator}validationToken=${encodeURIComponent(token)}`;
}

/**
 * The handshake Graph runs while `POST /subscriptions` is in progress (contract §3.2): `POST {url}?validationToken=…`
 * with `Content-Type: text/plain; charset=utf-8` and an empty body. It passes only on `200` whose body is exactly the
 * decoded token (an encoded echo fails). No answer within `timeoutMs` (Graph: 10 s) or another status →
 * `ValidationError`; a 200 with the wrong body → `InvalidRequest`. The answer's Content-Type is not checked.
 */
export async function validateNotificationUrl(
  url: string,
  token: string,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<ValidationVerdict> {
  const started = performance.now();
  const answer = await postWebhook(validationUrl(url, token), {
    body: "",
    contentType: "text/plain; charset=utf-8",
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  });
  const ms = Math.round(performance.now() - started);
  if (answer.outcome !== "answered" || answer.status !== 200) {
    return {
      ok: false,
      answer,
      ms,
      code: "ValidationError",
      message:
        "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.",
    };
  }
  if (answer.body !== token) {
    return {
      ok: false,
      answer,
      ms,
      code: "InvalidRequest",
      message: "Subscription validation request failed. Response must exactly match validationToken query parameter.",
    };
  }
  return { ok: true, answer, ms };
}
