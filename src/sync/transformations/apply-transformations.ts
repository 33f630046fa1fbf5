import { UsageError } from "../../errors/sync-error.js";
import { type CompiledPattern, compilePattern } from "./compile-pattern.js";
import type { TransformationRule } from "./transformation-rule.js";

/** The result of `applyTransformations`. */
export interface TransformationResult {
  /** The value after every rule for the attribute ran. */
  value: string;
  /** One line per `match` rule that did not match (value left unchanged), for verbose output. Display only. */
  notes: string[];
}

// Rules are plain data; their compiled regexes live here, keyed by rule object, so a rule is compiled once.
const compiled = new WeakMap<TransformationRule, CompiledPattern>();

/**
 * Runs, in order, every rule whose `attribute` equals `attribute` (exactly) on `value`; other rules are ignored.
 * - `match`: the value becomes capture group 1, or the whole match when the pattern has no group. No match, or a
 *   group 1 that did not take part in the match, leaves the value unchanged and adds a note such as
 *   `username 'x' does not match ^([a-z]+)@; left unchanged`.
 * - `sub`: every match of the pattern is replaced using the rule's `replacement` template.
 * Pure: the same rules and value always give the same result.
 *
 * @throws UsageError only for a rule that did not come from `parseTransformationRules` and holds an invalid pattern.
 */
export function applyTransformations(
  attribute: string,
  value: string,
  rules: readonly TransformationRule[],
): TransformationResult {
  const notes: string[] = [];
  let current = value;
  for (const rule of rules) {
    if (rule.attribute !== attribute) continue;
    const { regex } = compiledPattern(rule);
    if (rule.method === "sub") {
      current = current.replace(regex, rule.replacement ?? "");
      continue;
    }
    const found = regex.exec(current);
    const result = found === null ? undefined : found.length > 1 ? found[1] : found[0];
    if (result === undefined) {
      notes.push(`${attribute} '${current}' does not match ${rule.pattern}; left unchanged`);
    } else {
      current = result;
    }
  }
  return { value: current, notes };
}

function compiledPattern(rule: TransformationRule): CompiledPattern {
  let pattern = compiled.get(rule);
  if (pattern === undefined) {
    const result = compilePattern(rule.pattern, rule.method);
    if (!result.ok) {
      throw new UsageError(
        "usage.attributes_transformation",
        `--attributes-transformation: invalid regex '${rule.pattern}' (${result.error})`,
      );
    }
    pattern = result.pattern;
    compiled.set(rule, pattern);
  }
  return pattern;
}
