import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { handleLifecycle } from "../live/handle-lifecycle.js";
import { type NotificationDeps, validationResponse } from "../live/handle-notifications.js";
import { readWebhookRequest, toHttpResponse } from "./http-adapter.js";
import { syncQueueOutput } from "./queue-binding.js";
import { contextLogger, getWebhookDeps } from "./runtime.js";

/** POST /api/graph/lifecycle: Graph's lifecycle events. Verifies, enqueues, answers 202. */
export function createGraphLifecycleHandler(
  getDeps: () => Promise<Omit<NotificationDeps, "logger">>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    const input = await readWebhookRequest(request);
    if ("status" in input) return toHttpResponse(input, context);
    // The handshake must work even before the app is fully configured (contract §3.2: 10 s, text/plain).
    if (input.validationToken !== null) return toHttpResponse(validationResponse(input.validationToken), context);
    const response = await handleLifecycle(input, { ...(await getDeps()), logger: contextLogger(context) });
    return toHttpResponse(response, context);
  };
}

app.http("graph-lifecycle", {
  methods: ["POST"],
  authLevel: "function",
  route: "graph/lifecycle",
  extraOutputs: [syncQueueOutput],
  handler: createGraphLifecycleHandler(getWebhookDeps),
});
