import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { QueueClient } from "@azure/storage-queue";
import { eventually } from "../helpers/eventually.js";
import { type FixtureServe, fixtureEvents, sendFixtureMessage, startFixtureServe } from "./fixture-app.js";

// serve's queue trigger against the fixture app (host.json: maxDequeueCount 3, visibilityTimeout 0): base64
// messages, trigger metadata, retries, and the poison queue.

let fixture: FixtureServe;
let azurite: { connectionString: string };

before(async () => {
  fixture = await startFixtureServe({ functionKey: "queue-test-function-key", masterKey: "queue-test-master-key" });
  azurite = fixture;
});
after(() => fixture.close());

const deliveries = async (tag: string) =>
  (await fixtureEvents(azurite.connectionString)).filter(
    (e) => e.event === "delivery" && (e.message as { tag?: string }).tag === tag,
  );
/** Messages in a queue, hidden ones included; 0 for a queue not made yet. */
const depth = async (name: string) => {
  const queue = new QueueClient(azurite.connectionString, name);
  return (await queue.exists()) ? ((await queue.getProperties()).approximateMessagesCount ?? 0) : 0;
};

test("a base64 JSON message reaches the function decoded and parsed, with the host's trigger metadata; then deleted", async () => {
  await sendFixtureMessage(azurite.connectionString, "fixture-in", { tag: "plain" });
  await eventually(async () => (await deliveries("plain")).length === 1, "the delivery");
  const [delivery] = await deliveries("plain");
  assert.equal(delivery!.dequeueCount, 1);
  assert.equal(typeof delivery!.id, "string");
  for (const key of ["id", "dequeueCount", "insertionTime", "expirationTime", "nextVisibleTime", "popReceipt"]) {
    assert.ok((delivery!.meta as string[]).includes(key), `triggerMetadata.${key}`);
  }
  await eventually(async () => (await depth("fixture-in")) === 0, "the message deleted");
});

test("a failing message is delivered again (dequeueCount + 1) and deleted once it succeeds", async () => {
  await sendFixtureMessage(azurite.connectionString, "fixture-in", { tag: "flaky", failUntil: 1 });
  await eventually(async () => (await deliveries("flaky")).length === 2, "the second delivery");
  assert.deepEqual(
    (await deliveries("flaky")).map((d) => d.dequeueCount),
    [1, 2],
  );
  await eventually(async () => (await depth("fixture-in")) === 0, "the message deleted");
  assert.equal(await depth("fixture-in-poison"), 0);
});

test("after maxDequeueCount failed deliveries the message moves, unchanged, to <queue>-poison", async () => {
  const body = JSON.stringify({ tag: "poison", failUntil: "always" });
  await sendFixtureMessage(azurite.connectionString, "fixture-in", body);
  await eventually(async () => (await depth("fixture-in-poison")) === 1, "the poison queue");
  assert.deepEqual(
    (await deliveries("poison")).map((d) => d.dequeueCount),
    [1, 2, 3],
  );
  const [poisoned] = (await new QueueClient(azurite.connectionString, "fixture-in-poison").peekMessages())
    .peekedMessageItems;
  assert.equal(poisoned?.messageText, Buffer.from(body).toString("base64"), "the stored text, as it was");
  await eventually(async () => (await depth("fixture-in")) === 0, "gone from the queue");
});

test("a message that is not base64 never reaches the function and ends in the poison queue", async () => {
  const before = await depth("fixture-in-poison");
  await new QueueClient(azurite.connectionString, "fixture-in").sendMessage("not base64 at all!");
  await eventually(async () => (await depth("fixture-in-poison")) === before + 1, "the poison queue");
});
