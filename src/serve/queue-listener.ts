import type { DequeuedMessageItem, QueueClient } from "@azure/storage-queue";
import type { RpcTypedData } from "./functions-core-types.js";
import { decodeMessageText } from "./queue-message-text.js";
import type { HostConfig } from "./read-host-config.js";

/** How long a message being processed stays invisible, renewed at half-time while it runs (the queue extension's). */
export const PROCESSING_VISIBILITY_MS = 10 * 60_000;
/** The first and shortest wait between polls of an empty queue; it doubles up to maxPollingInterval. */
export const MIN_POLLING_INTERVAL_MS = 100;

export interface QueueListenerOptions {
  queue: QueueClient;
  poison: QueueClient;
  config: HostConfig["queues"];
  /** Runs the function for one message (and writes its outputs); rejects when it failed. */
  invoke(text: string, triggerMetadata: Record<string, RpcTypedData>): Promise<void>;
  log(level: "information" | "warning" | "error", message: string): void;
  /** Waits between polls of an empty queue; resolves early when `signal` aborts. Real time unless a test gives one. */
  sleep?(ms: number, signal: AbortSignal): Promise<void>;
}

export interface QueueListener {
  /** Stops fetching; messages already fetched go on running. */
  stop(): void;
  /**
   * A message was just sent to this queue by one of the host's own output bindings: poll now, at the shortest
   * interval again (the WebJobs SDK's SharedQueueWatcher), rather than when the current wait ends.
   */
  notify(): void;
  /** Resolves once the running messages are done, or after `timeoutMs` (they are then left to reappear). */
  drain(timeoutMs: number): Promise<void>;
}

/**
 * The queue trigger, as the Functions queue extension runs it: fetch `batchSize` messages, hidden for ten minutes
 * (renewed while they run); fetch more once no more than `newBatchThreshold` are running; poll an empty queue at
 * growing intervals up to `maxPollingInterval`. A message whose function succeeds is deleted; one that fails is made
 * visible again after `visibilityTimeout`, or, at its `maxDequeueCount`-th delivery, copied to `<queue>-poison` and
 * deleted. A message sent through the same host's output binding cuts the wait short (`notify`), as in the host,
 * where a webhook's message is picked up at once however long the queue had been idle.
 */
export function startQueueListener(options: QueueListenerOptions): QueueListener {
  const { queue, poison, config } = options;
  const running = new Set<Promise<void>>();
  const stopping = new AbortController();
  const sleep = options.sleep ?? realSleep;
  /** Aborted by `notify` to end the current wait; a notification while fetching skips the next wait. */
  let nap = new AbortController();
  let notified = false;
  let poisonCreated = false;

  const toPoison = async (item: DequeuedMessageItem, popReceipt: string): Promise<void> => {
    if (!poisonCreated) {
      await poison.createIfNotExists();
      poisonCreated = true;
    }
    await poison.sendMessage(item.messageText);
    await queue.deleteMessage(item.messageId, popReceipt);
    options.log("warning", `message ${item.messageId} moved to ${poison.name}`);
  };

  const handle = async (item: DequeuedMessageItem): Promise<void> => {
    let popReceipt = item.popReceipt;
    if (item.dequeueCount > config.maxDequeueCount) return toPoison(item, popReceipt);
    const renewal = setInterval(() => {
      queue.updateMessage(item.messageId, popReceipt, undefined, PROCESSING_VISIBILITY_MS / 1000).then(
        (updated) => {
          popReceipt = updated.popReceipt ?? popReceipt;
        },
        (error: unknown) => options.log("warning", `could not keep ${item.messageId} hidden: ${error}`),
      );
    }, PROCESSING_VISIBILITY_MS / 2);
    let failure: unknown;
    try {
      const text = decodeMessageText(item.messageText, config.messageEncoding);
      if (text === undefined) throw new Error(`message ${item.messageId} is not base64 (host.json messageEncoding)`);
      await options.invoke(text, triggerMetadata(item, text));
    } catch (error) {
      failure = error;
    } finally {
      clearInterval(renewal);
    }
    if (failure === undefined) {
      await queue.deleteMessage(item.messageId, popReceipt);
      return;
    }
    options.log(
      "error",
      `message ${item.messageId} failed (delivery ${item.dequeueCount} of ${config.maxDequeueCount}): ${describe(failure)}`,
    );
    if (item.dequeueCount >= config.maxDequeueCount) return toPoison(item, popReceipt);
    await queue.updateMessage(item.messageId, popReceipt, undefined, Math.ceil(config.visibilityTimeoutMs / 1000));
  };

  const track = (item: DequeuedMessageItem): void => {
    const task = handle(item)
      .catch((error: unknown) => options.log("warning", `message ${item.messageId}: ${describe(error)}`))
      .finally(() => running.delete(task));
    running.add(task);
  };

  const loop = async (): Promise<void> => {
    let waitMs = MIN_POLLING_INTERVAL_MS;
    while (!stopping.signal.aborted) {
      if (running.size > config.newBatchThreshold) {
        await Promise.race(running);
        continue;
      }
      let items: DequeuedMessageItem[] = [];
      notified = false;
      try {
        const received = await queue.receiveMessages({
          numberOfMessages: config.batchSize,
          visibilityTimeout: PROCESSING_VISIBILITY_MS / 1000,
        });
        items = received.receivedMessageItems;
      } catch (error) {
        options.log("warning", `cannot read queue ${queue.name}: ${describe(error)}`);
      }
      if (stopping.signal.aborted) {
        // Fetched as we stopped: give them back at once rather than hide them for ten minutes.
        await Promise.allSettled(items.map((i) => queue.updateMessage(i.messageId, i.popReceipt, undefined, 0)));
        break;
      }
      for (const item of items) track(item);
      if (items.length > 0 || notified) {
        waitMs = MIN_POLLING_INTERVAL_MS;
        continue;
      }
      nap = new AbortController();
      await sleep(waitMs, AbortSignal.any([stopping.signal, nap.signal]));
      waitMs = notified
        ? MIN_POLLING_INTERVAL_MS
        : Math.min(waitMs * 2, Math.max(MIN_POLLING_INTERVAL_MS, config.maxPollingIntervalMs));
    }
  };
  const looping = loop();

  return {
    stop: () => stopping.abort(),
    notify: () => {
      notified = true;
      nap.abort();
    },
    drain: async (timeoutMs) => {
      await looping;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        if (Number.isFinite(timeoutMs)) timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([Promise.allSettled([...running]), timeout]);
      clearTimeout(timer);
    },
  };
}

/** The queue trigger's metadata, in the host's names (the package camel-cases them). */
function triggerMetadata(item: DequeuedMessageItem, text: string): Record<string, RpcTypedData> {
  const time = (date: Date | undefined): RpcTypedData => ({ json: JSON.stringify(date?.toISOString() ?? null) });
  return {
    QueueTrigger: { string: text },
    Id: { string: item.messageId },
    PopReceipt: { string: item.popReceipt },
    DequeueCount: { json: String(item.dequeueCount) },
    InsertionTime: time(item.insertedOn),
    ExpirationTime: time(item.expiresOn),
    NextVisibleTime: time(item.nextVisibleOn),
  };
}

function realSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));
