import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type RunningAzurite, startAzurite } from "../../sim/azurite/start-azurite.js";
import { runSeed } from "./differential/run-history.js";

// The differential test, first half of the seeds (the second half runs in differential-b, so both cores share it):
// each seed a random history of Entra changes, deliveries and faults through the live path; once quiet, MI must be
// what provision leaves. A seed that ever failed is kept as a named case in differential-b.

const FIRST = Number(process.env.DIFFERENTIAL_FIRST ?? 0);
const COUNT = Number(process.env.DIFFERENTIAL_SEEDS ?? 150);

let azurite: RunningAzurite;
before(async () => {
  azurite = await startAzurite();
});
after(() => azurite.close());

test(`differential: seeds ${FIRST}..${FIRST + COUNT - 1} converge to what provision leaves`, async () => {
  const failures: string[] = [];
  for (let seed = FIRST; seed < FIRST + COUNT; seed++) {
    const report = await runSeed(seed, azurite);
    if (report.problems.length > 0) failures.push(`seed ${seed}: ${report.problems.join("; ")}`);
  }
  assert.deepEqual(failures, []);
});
