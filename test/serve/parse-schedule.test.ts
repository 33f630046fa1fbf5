import assert from "node:assert/strict";
import { test } from "node:test";
import { parseSchedule } from "../../src/serve/parse-schedule.js";
import { ServeError } from "../../src/serve/serve-error.js";

const next = (expression: string, after: string, settings: Record<string, string> = {}) =>
  parseSchedule("f", expression, settings).next(new Date(after))?.toISOString();

test("parseSchedule: six-field NCRONTAB in UTC, seconds first", () => {
  const cases: [string, string, string][] = [
    ["0 0 */4 * * *", "2026-01-01T05:00:00Z", "2026-01-01T08:00:00.000Z"],
    ["0 15 * * * *", "2026-01-01T05:15:00Z", "2026-01-01T06:15:00.000Z"],
    ["*/30 * * * * *", "2026-01-01T05:00:10Z", "2026-01-01T05:00:30.000Z"],
    ["0 30 9 * * Mon-Fri", "2026-01-03T00:00:00Z", "2026-01-05T09:30:00.000Z"],
    // Both day fields restricted: NCrontab needs both to match (Friday the 13th), not either.
    ["0 0 0 13 * 5", "2026-01-01T00:00:00Z", "2026-02-13T00:00:00.000Z"],
  ];
  for (const [expression, after, expected] of cases) assert.equal(next(expression, after), expected, expression);
});

test("parseSchedule: %NAME% takes the expression from an app setting", () => {
  assert.equal(next("%EVERY%", "2026-01-01T00:00:00Z", { EVERY: "0 0 12 * * *" }), "2026-01-01T12:00:00.000Z");
  assert.throws(
    () => next("%MISSING%", "2026-01-01T00:00:00Z"),
    (e: unknown) => {
      return e instanceof ServeError && e.exitStatus === 2 && /app setting MISSING/.test(e.message);
    },
  );
});

test("parseSchedule: five fields, or nonsense, is a configuration error naming the function", () => {
  for (const bad of ["0 */4 * * *", "every hour", "61 * * * * *"]) {
    assert.throws(
      () => parseSchedule("reconcile", bad, {}),
      (e: unknown) => e instanceof ServeError && e.exitStatus === 2 && /function reconcile/.test(e.message),
      bad,
    );
  }
});
