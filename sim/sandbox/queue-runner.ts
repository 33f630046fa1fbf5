import { InvocationContext } from "@azure/functions";
import type { SyncQueue } from "../../src/state/sync-queue.js";

type QueueHandler = (message: unknown, context: InvocationContext) => Promise<void>;

/**
 * A stand-in for the Functions host's queue trigger: polls the queue, runs the worker function with the trigger
 * metadata the host passes (dequeueCount, id), keeps a running message hidden, deletes it once processed, gives a
 * failed one back to reappear after the retry delay, and moves it to the poison queue after `maxDequeueCount`
 * attempts, as the host does.
 */
/** host.json `maxDequeueCount`. */
const MAX_DEQUEUE_COUNT = 5;

export interface QueueRunner {
  processed: number;
  failed: number;
  poisoned: number;
  /** Resolves once the queue holds no message (delayed ones included) and nothing is in flight. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export function startQueueRunner(
  queue: SyncQueue,
  handler: QueueHandler,
  options: {
    concurrency?: number;
    pollMs?: number;
    /** After a failure, how long the message stays invisible before its retry (host.json `queues.visibilityTimeout`). */
    visibilityTimeoutMs?: number;
    log?: (line: string) => void;
  } = {},
): QueueRunner {
  // host.json's queues.maxPollingInterval: how long an idle queue may wait for the host's next look.
  const pollMs = options.pollMs ?? 100;
  const log = options.log ?? (() => {});
  let running = true;
  let inFlight = 0;
  /** Polls made, and the last one that found messages: idle means two empty polls since both it and the caller. */
  let polls = 0;
  let lastBusyPoll = 0;
  const runner: QueueRunner = {
    processed: 0,
    failed: 0,
    poisoned: 0,
    idle: async () => {
      const from = polls;
      const quiet = (): boolean => inFlight === 0 && polls - Math.max(from, lastBusyPoll) >= 2;
      // The queue's count includes messages sent with a visibility delay (deferred by a busy scope), which no
      // receive sees yet: idle waits for those too.
      while (running && !(quiet() && (await queue.depth().catch(() => ({ queued: 0 }))).queued === 0)) {
        await sleep(pollMs);
      }
    },
    stop: async () => {
      running = false;
      while (inFlight > 0) await sleep(pollMs);
    },
  };
  const batchSize = options.concurrency ?? BATCH_SIZE;
  const threshold = Math.floor(batchSize / 2);
  const runOne = async (message: Awaited<ReturnType<SyncQueue["receive"]>>[number]): Promise<void> => {
    const context = new InvocationContext({
      invocationId: message.messageId,
      functionName: "sync-worker",
      triggerMetadata: { dequeueCount: message.dequeueCount, id: message.messageId },
      logHandler: () => {},
    });
    try {
      await handler(message.body, context);
      await queue.complete(message);
      runner.processed++;
    } catch (error) {
      runner.failed++;
      const reason = error instanceof Error ? error.message : String(error);
      if (message.dequeueCount >= MAX_DEQUEUE_COUNT) {
        await queue.moveToPoison(message, reason);
        runner.poisoned++;
        log(`worker: message ${message.messageId} moved to the poison queue: ${reason}`);
      } else {
        await queue.release(message, options.visibilityTimeoutMs ?? 2_000).catch(() => undefined);
      }
    } finally {
      inFlight--;
    }
  };
  // As the host does (host.json: batchSize 16, newBatchThreshold 8): fetch a batch, run its messages concurrently,
  // and fetch the next one as soon as no more than half a batch is still running.
  const loop = async (): Promise<void> => {
    while (running) {
      if (inFlight > threshold) {
        await sleep(2);
        continue;
      }
      const messages = await queue
        .receive({ max: batchSize - inFlight, visibilityTimeoutMs: PROCESSING_VISIBILITY_MS })
        .catch(() => []);
      polls++;
      if (messages.length === 0) {
        await sleep(pollMs);
        continue;
      }
      lastBusyPoll = polls;
      inFlight += messages.length;
      for (const message of messages) void runOne(message);
    }
  };
  void loop();
  return runner;
}

/**
 * A message being processed stays invisible this long (host.json's functionTimeout): the host keeps a running
 * message hidden, however long it runs, and gives it back at once with the retry delay when it fails.
 */
const PROCESSING_VISIBILITY_MS = 10 * 60_000;

/** host.json's `queues.batchSize`. */
const BATCH_SIZE = 16;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
