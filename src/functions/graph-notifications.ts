import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { handleNotifications, type NotificationDeps, validationResponse } from "../live/handle-notifications.js";
import { readWebhookRequest, toHttpResponse } from "./http-adapter.js";
import { syncQueueOutput } from "./queue-binding.js";
import { contextLogger, getWebhookDeps } from "./runtime.js";

/** POST /api/graph/notifications: Graph's change notifications. Verifies, enqueues, answers 202; never calls Graph or MI. */
export function createGraphNotificationsHandler(
  getDeps: () => Promise<Omit<NotificationDeps, "logger">>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    const input = await readWebhookRequest(request);
    if ("status" in input) return toHttpResponse(input, context);
    // The handshake must work even before the app is fully configured (contract §3.2: 10 s, text/plain).
    if (input.validationToken !== null) return toHttpResponse(validationResponse(input.validationToken), context);
    const response = await handleNotifications(input, { ...(await getDeps()), logger: contextLogger(context) });
    return toHttpResponse(response, context);
  };
}

app.http("graph-notifications", {
  methods: ["POST"],
  authLevel: "function",
  route: "graph/notifications",
  extraOutputs: [syncQueueOutput],
  handler: createGraphNotificationsHandler(getWebhookDeps),
});
