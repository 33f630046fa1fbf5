import assert from "node:assert/strict";
import { test } from "node:test";
import { MIN_ROUND_INTERVAL_MS } from "../../src/live/delta-chains.js";
import { busyRoundDelayMs, QUICK_DEFERRALS } from "../../src/live/sync-groups.js";

// A notification that finds its chain busy waits about one round interval, a few times, before it backs off.

test("busyRoundDelayMs: the first deferrals wait one round interval (±20 %), then 1 s doubling up to 30 s", () => {
  const mid = () => 0.5;
  for (let n = 1; n <= QUICK_DEFERRALS; n++) assert.equal(busyRoundDelayMs(n, mid), MIN_ROUND_INTERVAL_MS);
  assert.equal(
    busyRoundDelayMs(1, () => 0),
    0.8 * MIN_ROUND_INTERVAL_MS,
  );
  assert.equal(
    busyRoundDelayMs(QUICK_DEFERRALS, () => 1),
    1.2 * MIN_ROUND_INTERVAL_MS,
  );
  assert.deepEqual(
    [1, 2, 3, 4, 10].map((k) => busyRoundDelayMs(QUICK_DEFERRALS + k, mid)),
    [1_000, 2_000, 4_000, 8_000, 30_000],
  );
});
