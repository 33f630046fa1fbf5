import { findCatastrophicBacktracking } from "./find-catastrophic-backtracking.js";

/** What a compiled pattern offers the rule parser and `applyTransformations`. */
export interface CompiledPattern {
  /** Flags: `g` for `sub` (replace every match), none for `match` (first match, unanchored unless `^`). */
  regex: RegExp;
  /** Number of capture groups, named ones included. */
  groupCount: number;
  /** Names of the named capture groups. */
  groupNames: ReadonlySet<string>;
}

export type CompilePatternResult = { ok: true; pattern: CompiledPattern } | { ok: false; error: string };

/**
 * Compiles a rule's pattern as a JavaScript regular expression (no `u` flag, so Python-style identity escapes such
 * as `\@` or `\-` still compile). Never throws: an invalid pattern comes back as `{ ok: false, error }` holding the
 * engine's reason ("Unterminated group"), plus a hint for Python-only syntax (`(?P<name>...)`). A valid pattern that
 * could backtrack exponentially (`findCatastrophicBacktracking`) is refused the same way: rules come from settings,
 * and one such rule could stall every sync on a crafted attribute value.
 */
export function compilePattern(pattern: string, method: "match" | "sub"): CompilePatternResult {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, method === "sub" ? "g" : "");
  } catch (error) {
    const reason = error instanceof Error ? (/\/[a-z]*: (.*)$/.exec(error.message)?.[1] ?? error.message) : "invalid";
    const hint = pattern.includes("(?P") ? "; Python's (?P<name>...) is written (?<name>...) in JavaScript" : "";
    return { ok: false, error: `${reason}${hint}` };
  }
  const catastrophic = findCatastrophicBacktracking(pattern);
  if (catastrophic !== undefined) return { ok: false, error: catastrophic };
  // The pattern is valid, so `(?:pattern)|` is too, and it matches the empty string: its result lists every group.
  const probe = new RegExp(`(?:${pattern})|`).exec("")!;
  return {
    ok: true,
    pattern: { regex, groupCount: probe.length - 1, groupNames: new Set(Object.keys(probe.groups ?? {})) },
  };
}
