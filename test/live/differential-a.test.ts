import { test } from "node:test";
import { assertSeedsConverge, SEEDS_PER_FILE } from "./differential/seeds.js";

// The differential test, first half of the seeds (the other half in differential-b, so that both cores share them):
// each seed a random history of Entra changes, deliveries and faults through the live path; once quiet, MI must be
// what provision leaves (see differential/run-history.ts).

test(`differential: seeds 0..${SEEDS_PER_FILE - 1} converge to what provision leaves`, () =>
  assertSeedsConverge(0, SEEDS_PER_FILE));
