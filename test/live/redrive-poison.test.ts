import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type RunningAzurite, startAzurite } from "../../sim/azurite/start-azurite.js";
import { MAX_FAILURES, retryDelayMs } from "../../src/live/process-sync-message.js";
import { MAX_REDRIVES, REDRIVE_AFTER_MS, redrivePoison } from "../../src/live/redrive-poison.js";
import { groupMessage } from "../../src/live/sync-message.js";
import { StorageSyncQueue } from "../../src/state/storage-sync-queue.js";

// Poison is a last resort (#9): failures back off past a 5-minute outage, and the poison queue is re-driven.

let azurite: RunningAzurite;
before(async () => {
  azurite = await startAzurite();
});
after(() => azurite.close());

test("a failing message is retried for longer than a 5-minute MI or Graph outage before the poison queue", () => {
  let waited = 0;
  for (let failure = 1; failure < MAX_FAILURES; failure++) waited += retryDelayMs(failure);
  assert.ok(waited > 5 * 60_000, `waits ${waited} ms in all`);
  assert.equal(retryDelayMs(MAX_FAILURES), 300_000, "each wait at most 5 minutes");
});

test("poison re-drive: back to work after its wait, with backoff; never a malformed one, never past MAX_REDRIVES", async () => {
  const queue = new StorageSyncQueue({ connectionString: azurite.connectionString, queueName: "redrive-test" });
  await queue.initialize();
  const message = groupMessage("0b8a4a0e-1111-4c4c-9d9d-000000000001", "notification", new Date());
  await queue.poison({ ...message, failures: MAX_FAILURES }, "MI unavailable");
  await queue.poison({ ...message, redriven: MAX_REDRIVES }, "MI unavailable");
  await queue.poison({ kind: "nonsense" }, "malformed");
  const logger = { debug() {}, info() {}, warn() {} };
  const soon = await redrivePoison({ queue, logger, now: () => new Date(Date.now() + 60_000) });
  assert.equal(soon.redriven, 0, "too soon: a poisoned message waits REDRIVE_AFTER_MS first");
  const later = await redrivePoison({ queue, logger, now: () => new Date(Date.now() + REDRIVE_AFTER_MS + 60_000) });
  assert.equal(later.redriven, 1);
  const [back] = await queue.receive({ max: 5 });
  assert.deepEqual(back?.body, { ...message, redriven: 1, failures: 0, deferrals: 0 });
  assert.equal((await queue.depth()).poison, 2, "the exhausted and the malformed one stay for the admin");
});
