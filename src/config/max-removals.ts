import { UsageError } from "../errors/sync-error.js";
import type { MaxRemovals } from "../sync/max-removals.js";

export type { MaxRemovals };

const CODE = "usage.max_removals";

/**
 * Parses `--max-removals`: absent → `default`; `N` (digits only) → `count`; `N%` or `N.D%` (0 to 100) → `percent`;
 * `none` (any letter case) → `none`. Surrounding whitespace is ignored; signs, exponents and inner spaces are not
 * accepted.
 *
 * @throws UsageError (code `usage.max_removals`) for anything else.
 */
export function parseMaxRemovals(value: string | undefined): MaxRemovals {
  if (value === undefined) return { kind: "default" };
  const text = value.trim();
  if (text.toLowerCase() === "none") return { kind: "none" };
  if (/^\d+$/.test(text)) {
    const count = Number(text);
    if (Number.isSafeInteger(count)) return { kind: "count", count };
  }
  const percent = /^(\d+(?:\.\d{1,6})?)%$/.exec(text)?.[1];
  if (percent !== undefined && Number(percent) <= 100) return { kind: "percent", percent: Number(percent) };
  throw new UsageError(
    CODE,
    `--max-removals: '${value}' is not a limit; give a count (25), a percentage from 0% to 100% (10%) or none`,
  );
}
