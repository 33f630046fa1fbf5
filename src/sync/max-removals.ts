/**
 * The resolved `--max-removals` guard. It bounds membership removals plus user disables in one plan.
 * - `default`: the flag was absent; allows `max(25, floor(10% × base))`.
 * - `count`: a fixed number (a non-negative safe integer), whatever the base.
 * - `percent`: `0`..`100`, up to 6 decimals; allows `floor(percent% × base)`.
 * - `none`: no limit.
 */
export type MaxRemovals =
  | { kind: "default" }
  | { kind: "count"; count: number }
  | { kind: "percent"; percent: number }
  | { kind: "none" };

/**
 * The number of removals (membership removals plus user disables) a plan may hold, or undefined for no limit.
 * `base` is the number of memberships that every group synced in the run holds before it (contract rule 9).
 * Percentages round down, computed exactly (`29%` of 100 is 29, not 28): `floor(percent × base / 100)`.
 */
export function removalLimit(limit: MaxRemovals, base: number): number | undefined {
  switch (limit.kind) {
    case "none":
      return undefined;
    case "count":
      return limit.count;
    case "percent":
      return percentOf(limit.percent, base);
    case "default":
      return Math.max(25, percentOf(10, base));
  }
}

/** floor(percent% × base) in integer arithmetic, so binary fractions (0.29 × 100 = 28.999...) cannot round down. */
function percentOf(percent: number, base: number): number {
  const decimals = /\.(\d+)$/.exec(String(percent))?.[1]?.length ?? 0;
  const scale = 10n ** BigInt(decimals);
  const numerator = BigInt(Math.round(percent * Number(scale)));
  return Number((numerator * BigInt(Math.max(0, Math.floor(base)))) / (100n * scale));
}
