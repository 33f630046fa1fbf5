import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMaxRemovals } from "../../src/config/max-removals.js";
import { UsageError } from "../../src/errors/sync-error.js";
import { type MaxRemovals, removalLimit } from "../../src/sync/max-removals.js";

const parsed: [string | undefined, MaxRemovals][] = [
  [undefined, { kind: "default" }],
  ["none", { kind: "none" }],
  ["NONE", { kind: "none" }],
  ["0", { kind: "count", count: 0 }],
  ["25", { kind: "count", count: 25 }],
  [" 7 ", { kind: "count", count: 7 }],
  ["007", { kind: "count", count: 7 }],
  ["10%", { kind: "percent", percent: 10 }],
  ["0%", { kind: "percent", percent: 0 }],
  ["100%", { kind: "percent", percent: 100 }],
  ["2.5%", { kind: "percent", percent: 2.5 }],
  ["100.0%", { kind: "percent", percent: 100 }],
];
for (const [value, expected] of parsed) {
  test(`parseMaxRemovals: ${JSON.stringify(value)} → ${JSON.stringify(expected)}`, () => {
    assert.deepEqual(parseMaxRemovals(value), expected);
  });
}

const invalid = [
  "",
  "abc",
  "-1",
  "+5",
  "2.5",
  "1e3",
  "101%",
  "100.5%",
  "-5%",
  "%",
  "5 %",
  "5%%",
  "0x10",
  "10% ,",
  "99999999999999999999",
];
for (const value of invalid) {
  test(`parseMaxRemovals: ${JSON.stringify(value)} → UsageError`, () => {
    assert.throws(
      () => parseMaxRemovals(value),
      (error: unknown) =>
        error instanceof UsageError &&
        error.code === "usage.max_removals" &&
        error.message ===
          `--max-removals: '${value}' is not a limit; give a count (25), a percentage from 0% to 100% (10%) or none`,
    );
  });
}

const limits: [string, MaxRemovals, number, number | undefined][] = [
  ["none → no limit", { kind: "none" }, 1000, undefined],
  ["count ignores the base", { kind: "count", count: 5 }, 1000, 5],
  ["count 0 allows nothing", { kind: "count", count: 0 }, 1000, 0],
  ["10% of 249 rounds down to 24", { kind: "percent", percent: 10 }, 249, 24],
  ["10% of 250 is 25", { kind: "percent", percent: 10 }, 250, 25],
  ["10% of 9 is 0", { kind: "percent", percent: 10 }, 9, 0],
  ["29% of 100 is exactly 29 (no binary rounding)", { kind: "percent", percent: 29 }, 100, 29],
  ["57% of 100 is exactly 57", { kind: "percent", percent: 57 }, 100, 57],
  ["2.5% of 1000 is 25", { kind: "percent", percent: 2.5 }, 1000, 25],
  ["0.1% of 999 is 0", { kind: "percent", percent: 0.1 }, 999, 0],
  ["0% allows nothing", { kind: "percent", percent: 0 }, 1000, 0],
  ["100% allows the whole base", { kind: "percent", percent: 100 }, 37, 37],
  ["default with base 0 is 25", { kind: "default" }, 0, 25],
  ["default with base 249 is 25 (floor 24 < 25)", { kind: "default" }, 249, 25],
  ["default with base 259 is 25", { kind: "default" }, 259, 25],
  ["default with base 260 is 26", { kind: "default" }, 260, 26],
  ["default with base 1000 is 100", { kind: "default" }, 1000, 100],
  ["default with base 1009 is 100", { kind: "default" }, 1009, 100],
];
for (const [name, limit, base, expected] of limits) {
  test(`removalLimit: ${name}`, () => {
    assert.equal(removalLimit(limit, base), expected);
  });
}
