/** startAzurite: both services answer on the ports in the connection string, and close frees them. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { TableClient } from "@azure/data-tables";
import { QueueClient } from "@azure/storage-queue";
import { startAzurite } from "../../sim/azurite/start-azurite.js";

test("startAzurite() → a connection string that tables and queues accept; close() twice is fine", async () => {
  const azurite = await startAzurite();
  try {
    assert.match(azurite.connectionString, /TableEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1;/);
    const table = TableClient.fromConnectionString(azurite.connectionString, "probe", {
      allowInsecureConnection: true,
    });
    await table.createTable();
    await table.createEntity({ partitionKey: "p", rowKey: "r", value: "v" });
    assert.equal((await table.getEntity<{ value: string }>("p", "r")).value, "v");
    const queue = new QueueClient(azurite.connectionString, "probe");
    await queue.createIfNotExists();
    await queue.sendMessage("x");
    assert.equal((await queue.getProperties()).approximateMessagesCount, 1);
  } finally {
    await azurite.close();
    await azurite.close();
  }
});

test("two instances side by side → distinct ephemeral ports", async () => {
  const [a, b] = await Promise.all([startAzurite(), startAzurite()]);
  try {
    assert.notEqual(a.connectionString, b.connectionString);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});
