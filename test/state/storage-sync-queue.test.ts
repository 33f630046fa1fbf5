/**
 * StorageSyncQueue against a real Azurite Queue service (in-process): wire format, visibility, poison, depth.
 * Each test uses its own queue name, so tests never see each other's messages.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { QueueClient } from "@azure/storage-queue";
import { type RunningAzurite, startAzurite } from "../../sim/azurite/start-azurite.js";
import { StateRejectedError } from "../../src/state/state-errors.js";
import { StorageSyncQueue } from "../../src/state/storage-sync-queue.js";
import type { ReceivedMessage } from "../../src/state/sync-queue.js";
import { eventually } from "../helpers/eventually.js";

let azurite: RunningAzurite;
let queues = 0;

before(async () => {
  azurite = await startAzurite();
});
after(async () => {
  await azurite.close();
});

async function freshQueue(): Promise<{ queue: StorageSyncQueue; name: string }> {
  const name = `work-${++queues}-${Date.now().toString(36)}`;
  const queue = new StorageSyncQueue({ connectionString: azurite.connectionString, queueName: name });
  await queue.initialize();
  return { queue, name };
}

const message = { kind: "group", entraGroupId: "0b8a4a0e-1111-4c4c-9d9d-000000000001" };

/** The next message once the queue shows one (visibility is the service's clock: wait for the state, not a time). */
async function receiveWhenVisible(queue: StorageSyncQueue): Promise<ReceivedMessage> {
  let got: ReceivedMessage | undefined;
  await eventually(async () => {
    [got] = await queue.receive({ visibilityTimeoutMs: 30_000 });
    return got !== undefined;
  }, "the message visible again");
  return got as ReceivedMessage;
}

describe("StorageSyncQueue", () => {
  test("initialize twice → no error; both queues exist and are empty", async () => {
    const { queue } = await freshQueue();
    await queue.initialize();
    assert.deepEqual(await queue.depth(), { queued: 0, poison: 0 });
  });

  test("send, receive, complete → the JSON body comes back; the queue is then empty", async () => {
    const { queue } = await freshQueue();
    await queue.send(message);
    assert.deepEqual(await queue.depth(), { queued: 1, poison: 0 });
    const [received, ...rest] = await queue.receive({ max: 5 });
    assert.equal(rest.length, 0);
    assert.ok(received);
    assert.deepEqual(received.body, message);
    assert.equal(received.dequeueCount, 1);
    assert.ok(!Number.isNaN(Date.parse(received.insertedOn)));
    await queue.complete(received);
    await queue.complete(received); // idempotent
    assert.deepEqual(await queue.receive(), []);
    assert.deepEqual(await queue.depth(), { queued: 0, poison: 0 });
  });

  test("on the wire the body is base64 of the JSON (the Functions trigger's default encoding)", async () => {
    const { queue, name } = await freshQueue();
    await queue.send({ ...message, note: "ünïcödé" });
    const [peeked] = (await new QueueClient(azurite.connectionString, name).peekMessages()).peekedMessageItems;
    assert.ok(peeked);
    assert.deepEqual(JSON.parse(Buffer.from(peeked.messageText, "base64").toString("utf8")), {
      ...message,
      note: "ünïcödé",
    });
  });

  test("a received message stays hidden until its visibility timeout; then it returns with dequeueCount 2", async () => {
    const { queue } = await freshQueue();
    await queue.send(message);
    const [first] = await queue.receive({ visibilityTimeoutMs: 1 }); // rounded up to 1 s
    assert.equal(first?.dequeueCount, 1);
    assert.deepEqual(await queue.receive(), []);
    const second = await receiveWhenVisible(queue);
    assert.equal(second.messageId, first?.messageId);
    assert.equal(second.dequeueCount, 2);
    await queue.complete(second);
  });

  test("release gives a message held for minutes back after the retry delay, with its body; released twice is fine", async () => {
    const { queue } = await freshQueue();
    await queue.send(message);
    const [first] = await queue.receive({ visibilityTimeoutMs: 600_000 });
    await queue.release(first!, 1_000);
    assert.deepEqual(await queue.receive(), [], "hidden for the retry delay");
    const second = await receiveWhenVisible(queue);
    assert.equal(second.messageId, first?.messageId);
    assert.equal(second.dequeueCount, 2);
    assert.deepEqual(second.body, message);
    await queue.release(first!, 1_000); // a stale pop receipt: the message is with another receiver; left alone
    await queue.complete(second);
  });

  test("send with a visibility delay → not receivable until the delay passes", async () => {
    const { queue } = await freshQueue();
    await queue.send(message, { visibilityDelayMs: 800 }); // rounded up to 1 s
    assert.deepEqual(await queue.receive(), []);
    assert.ok(await receiveWhenVisible(queue));
  });

  test("moveToPoison → the poison queue holds {original, reason, dequeueCount, messageId}; the original is gone", async () => {
    const { queue, name } = await freshQueue();
    await queue.send(message);
    const [received] = await queue.receive();
    assert.ok(received);
    await queue.moveToPoison(received, "group not found in Entra");
    assert.deepEqual(await queue.depth(), { queued: 0, poison: 1 });
    assert.deepEqual(await queue.receive(), []);

    // The poison queue is itself a queue of the same encoding: read it through a second StorageSyncQueue.
    const poison = new StorageSyncQueue({ connectionString: azurite.connectionString, queueName: `${name}-poison` });
    const [dead] = await poison.receive();
    assert.deepEqual(dead?.body, {
      original: message,
      reason: "group not found in Entra",
      dequeueCount: 1,
      messageId: received.messageId,
    });
  });

  test("a body that is not base64 JSON → comes back as the raw string, and can be moved to poison", async () => {
    const { queue, name } = await freshQueue();
    const raw = new QueueClient(azurite.connectionString, name);
    await raw.sendMessage("plain text, not base64");
    await raw.sendMessage(Buffer.from("{not json", "utf8").toString("base64"));
    const received = await queue.receive({ max: 10 });
    const bodies = received.map((m) => m.body).sort();
    assert.deepEqual(bodies, [Buffer.from("{not json", "utf8").toString("base64"), "plain text, not base64"].sort());
    for (const m of received) await queue.moveToPoison(m, "body is not a sync message");
    assert.deepEqual(await queue.depth(), { queued: 0, poison: 2 });
  });

  test("depth counts several messages in each queue", async () => {
    const { queue } = await freshQueue();
    for (let i = 0; i < 5; i++) await queue.send({ ...message, i });
    const [one] = await queue.receive();
    await queue.moveToPoison(one!, "test");
    assert.deepEqual(await queue.depth(), { queued: 4, poison: 1 });
  });

  test("a body over 64 KiB once encoded → StateRejectedError before sending", async () => {
    const { queue } = await freshQueue();
    await assert.rejects(queue.send({ blob: "x".repeat(50_000) }), StateRejectedError);
  });

  test("an invalid queue name → UsageError", () => {
    assert.throws(() => new StorageSyncQueue({ connectionString: azurite.connectionString, queueName: "Work_Queue" }), {
      code: "state.invalid_name",
    });
  });
});
