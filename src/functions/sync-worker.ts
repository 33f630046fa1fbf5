import { app, type InvocationContext } from "@azure/functions";
import type { LiveDeps } from "../live/live-deps.js";
import { processSyncMessage } from "../live/process-sync-message.js";
import { SYNC_QUEUE_CONNECTION, SYNC_QUEUE_NAME } from "./queue-binding.js";
import { getLiveDeps, withContextLogger } from "./runtime.js";

/**
 * Queue trigger: one sync message. A failure throws, so the host retries after the visibility timeout and
 * dead-letters to `mi-sync-poison` after `maxDequeueCount` (host.json); every failed attempt leaves a run record. A
 * message whose scope another instance holds is re-queued with a short delay instead, so waiting never counts
 * towards dead-lettering.
 */
export function createSyncWorkerHandler(
  getDeps: () => Promise<LiveDeps>,
): (message: unknown, context: InvocationContext) => Promise<void> {
  return async (message, context) => {
    const deps = withContextLogger(await getDeps(), context);
    const meta = context.triggerMetadata ?? {};
    const dequeueCount = Number(meta.dequeueCount ?? 1);
    const messageId = typeof meta.id === "string" ? meta.id : context.invocationId;
    await processSyncMessage(message, deps, { trigger: "queue", dequeueCount, messageId });
  };
}

app.storageQueue("sync-worker", {
  queueName: SYNC_QUEUE_NAME,
  connection: SYNC_QUEUE_CONNECTION,
  handler: createSyncWorkerHandler(getLiveDeps),
});
