import { test } from "node:test";
import { assertSeedsConverge, SEEDS_PER_FILE } from "./differential/seeds.js";

// The differential test, second half of the seeds, then every seed that ever failed, by name.

test(`differential: seeds ${SEEDS_PER_FILE}..${2 * SEEDS_PER_FILE - 1} converge to what provision leaves`, () =>
  assertSeedsConverge(SEEDS_PER_FILE, SEEDS_PER_FILE));

/** Seeds that failed once, and the defect each found. They run whatever SEEDS_PER_FILE says. */
const REGRESSIONS: [number, string][] = [
  [23, "a create waited for an email its failed owner never freed (poisoned)"],
  [26, "a notification coalesced into a round Graph's delta had not caught up with (a removal lost)"],
  [71, "the same, for a removal in another group"],
  [73, "the same, for a user added to a second group of one name"],
  [116, "the same, for an add"],
  [169, "a user blocked by an email the plan itself freed (provision needed two runs)"],
  [199, "an update waited for an email whose owner was not written after all (poisoned)"],
  [233, "two users swapping emails: MI refused both updates for ever (poisoned)"],
];
for (const [seed, defect] of REGRESSIONS) {
  test(`differential regression, seed ${seed}: ${defect}`, () => assertSeedsConverge(seed, 1));
}
