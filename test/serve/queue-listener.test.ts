import assert from "node:assert/strict";
import { test } from "node:test";
import type { DequeuedMessageItem, QueueClient } from "@azure/storage-queue";
import { MIN_POLLING_INTERVAL_MS, startQueueListener } from "../../src/serve/queue-listener.js";

// The queue listener's polling, with the wait between polls in the test's hands (an injected sleep that ends only
// when the test ends it, or when the listener cuts it short): no real time passes, so nothing here depends on timing.

/** An in-memory stand-in for Azure's queue service: what the listener asks of a QueueClient, nothing more. */
function memoryQueue(name: string) {
  const items: DequeuedMessageItem[] = [];
  let next = 0;
  const client = {
    name,
    url: `memory://${name}`,
    async receiveMessages({ numberOfMessages = 1 }: { numberOfMessages?: number } = {}) {
      return { receivedMessageItems: items.splice(0, numberOfMessages) };
    },
    async deleteMessage() {
      return {};
    },
    async updateMessage() {
      return { popReceipt: "receipt" };
    },
    async sendMessage() {
      return {};
    },
    async createIfNotExists() {
      return {};
    },
  };
  const send = (text: string): void => {
    const now = new Date();
    items.push({
      messageId: `m${++next}`,
      popReceipt: "receipt",
      messageText: Buffer.from(text).toString("base64"),
      dequeueCount: 1,
      insertedOn: now,
      expiresOn: now,
      nextVisibleOn: now,
    });
  };
  return { client: client as unknown as QueueClient, send };
}

/** The listener's waits, each ended by the test (`pass`) or by the listener's own signal. */
function controlledSleep() {
  const naps: Array<{ ms: number; pass(): void; cut: Promise<void> }> = [];
  const waiting: Array<() => void> = [];
  const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      let cutShort: () => void = () => undefined;
      const cut = new Promise<void>((r) => {
        cutShort = r;
      });
      signal.addEventListener("abort", () => {
        cutShort();
        resolve();
      });
      naps.push({ ms, pass: resolve, cut });
      for (const wake of waiting.splice(0)) wake();
    });
  /** The `n`-th wait (0-based), once the listener has begun it. */
  const nap = async (n: number) => {
    while (naps.length <= n) await new Promise<void>((resolve) => waiting.push(resolve));
    return naps[n]!;
  };
  return { sleep, nap };
}

const CONFIG = {
  batchSize: 16,
  newBatchThreshold: 8,
  maxPollingIntervalMs: 60_000,
  visibilityTimeoutMs: 0,
  maxDequeueCount: 5,
  messageEncoding: "base64" as const,
};

test("an idle queue is polled at doubling intervals; notify ends the wait, runs the message and resets the interval", {
  timeout: 10_000,
}, async () => {
  const queue = memoryQueue("work");
  const poison = memoryQueue("work-poison");
  const clock = controlledSleep();
  const invoked: string[] = [];
  let ran: () => void = () => undefined;
  const running = new Promise<void>((resolve) => {
    ran = resolve;
  });
  const listener = startQueueListener({
    queue: queue.client,
    poison: poison.client,
    config: CONFIG,
    log: () => undefined,
    sleep: clock.sleep,
    invoke: async (text) => {
      invoked.push(text);
      ran();
    },
  });
  try {
    assert.equal((await clock.nap(0)).ms, MIN_POLLING_INTERVAL_MS);
    (await clock.nap(0)).pass();
    assert.equal((await clock.nap(1)).ms, 2 * MIN_POLLING_INTERVAL_MS);
    (await clock.nap(1)).pass();
    const long = await clock.nap(2);
    assert.equal(long.ms, 4 * MIN_POLLING_INTERVAL_MS);

    // A message sent by the host's own output binding: the listener is told, and does not sleep its wait out.
    queue.send('{"kind":"group"}');
    listener.notify();
    await long.cut;
    await running;
    assert.deepEqual(invoked, ['{"kind":"group"}']);
    assert.equal((await clock.nap(3)).ms, MIN_POLLING_INTERVAL_MS, "back to the shortest interval");
  } finally {
    listener.stop();
    await listener.drain(0);
  }
});

test("without a notification a message sent to an idle queue waits for the current interval to end", async () => {
  const queue = memoryQueue("work");
  const clock = controlledSleep();
  const invoked: string[] = [];
  const listener = startQueueListener({
    queue: queue.client,
    poison: memoryQueue("work-poison").client,
    config: CONFIG,
    log: () => undefined,
    sleep: clock.sleep,
    invoke: async (text) => {
      invoked.push(text);
    },
  });
  try {
    const first = await clock.nap(0);
    queue.send("later");
    // The listener is asleep: nothing ran. Once the wait ends, the next poll takes the message.
    assert.deepEqual(invoked, []);
    first.pass();
    assert.equal((await clock.nap(1)).ms, MIN_POLLING_INTERVAL_MS, "a poll that found a message polls again at once");
    assert.deepEqual(invoked, ["later"]);
  } finally {
    listener.stop();
    await listener.drain(0);
  }
});
