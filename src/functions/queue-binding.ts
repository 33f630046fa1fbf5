import { output } from "@azure/functions";

/**
 * The work queue between the webhook functions and the worker. Its name is fixed, because the Functions host resolves
 * trigger bindings before any of our code runs; the poison queue is the host's `mi-sync-poison`.
 */
export const SYNC_QUEUE_NAME = "mi-sync";

/** The storage connection the queue binding uses: the app setting that names the Functions host's storage. */
export const SYNC_QUEUE_CONNECTION = "AzureWebJobsStorage";

/** Output binding the webhook functions hand their messages to; the host enqueues them after the response. */
export const syncQueueOutput = output.storageQueue({ queueName: SYNC_QUEUE_NAME, connection: SYNC_QUEUE_CONNECTION });
