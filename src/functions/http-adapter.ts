import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import {
  MAX_NOTIFICATION_BODY_BYTES,
  type WebhookRequest,
  type WebhookResponse,
} from "../live/handle-notifications.js";
import { syncQueueOutput } from "./queue-binding.js";

/**
 * Reads a webhook request. A declared or actual body over the limit is answered 400 without reading further than
 * needed; the validation handshake needs no body.
 */
export async function readWebhookRequest(request: HttpRequest): Promise<WebhookRequest | WebhookResponse> {
  const validationToken = request.query.get("validationToken");
  if (validationToken !== null) return { validationToken, body: "" };
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_NOTIFICATION_BODY_BYTES) {
    return {
      status: 400,
      contentType: "application/json",
      body: JSON.stringify({ error: "body too large" }),
      messages: [],
    };
  }
  return { validationToken: null, body: await request.text() };
}

/**
 * Hands the messages to the queue output binding and turns the use case's answer into the HTTP response. Every
 * answer says `nosniff`: the handshake echoes caller-supplied text, which must only ever be read as text/plain.
 */
export function toHttpResponse(response: WebhookResponse, context: InvocationContext): HttpResponseInit {
  if (response.messages.length > 0) context.extraOutputs.set(syncQueueOutput, response.messages);
  return {
    status: response.status,
    headers: { "content-type": response.contentType, "x-content-type-options": "nosniff" },
    body: response.body,
  };
}
