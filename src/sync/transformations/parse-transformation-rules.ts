import { z } from "zod";
import { UsageError } from "../../errors/sync-error.js";
import { compilePattern } from "./compile-pattern.js";
import { parsePythonLiteral } from "./parse-python-literal.js";
import { toReplacementTemplate } from "./to-replacement-template.js";
import type { TransformationRule } from "./transformation-rule.js";

export type { TransformationRule } from "./transformation-rule.js";

const OPTION = "--attributes-transformation";
const CODE = "usage.attributes_transformation";
const KEYS = ["attr_name", "action", "method"] as const;

const ruleListSchema = z.array(
  z.strictObject({
    attr_name: z.string().trim().min(1),
    action: z.string(),
    method: z.enum(["match", "sub"]),
  }),
);

/**
 * Parses the value of `--attributes-transformation` into rules, in the order given.
 *
 * Accepts strict JSON (`[{"attr_name": ..., "action": ..., "method": ...}]`, JSON escapes apply: write `"\\d"`) and,
 * when the text is not valid JSON, the original script's Python-style list (`'...'` or `"..."` strings where only
 * `\\`, `\'` and `\"` are escapes, so `'\d'` is `\d`; trailing commas and any whitespace allowed). Each rule has
 * exactly the keys `attr_name` (non-empty, trimmed), `action` and `method` (`match` or `sub`). For `sub`, `action` is
 * `PATTERN,REPLACEMENT` split at the first comma. Every pattern is compiled here and every replacement's group
 * references are checked, so a rule that parses never fails later. An empty list is allowed and means no rules.
 *
 * @throws UsageError (code `usage.attributes_transformation`) with a one-line message naming the rule (1-based) and
 * what to fix, for example `--attributes-transformation rule 2: invalid regex '^(' (Unterminated group)`.
 */
export function parseTransformationRules(text: string): TransformationRule[] {
  if (text.trim() === "")
    throw usage("is empty; give a list of rules such as [{'attr_name': ..., 'action': ..., 'method': 'match'}]");
  const literal = readLiteral(text);
  const parsed = ruleListSchema.safeParse(literal);
  if (!parsed.success) throw usage(describeIssue(parsed.error.issues[0], literal));
  return parsed.data.map((raw, index) => toRule(raw, index + 1));
}

function readLiteral(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const literal = parsePythonLiteral(text);
    if (!literal.ok) throw usage(`is neither JSON nor a Python-style list: ${literal.error}`);
    return literal.value;
  }
}

function toRule(raw: z.infer<typeof ruleListSchema>[number], n: number): TransformationRule {
  const { attr_name: attribute, method } = raw;
  let source = raw.action;
  let replacement: string | undefined;
  if (method === "sub") {
    const comma = raw.action.indexOf(",");
    if (comma < 0) throw usage(`action '${raw.action}' needs the form PATTERN,REPLACEMENT for method 'sub'`, n);
    source = raw.action.slice(0, comma);
    replacement = raw.action.slice(comma + 1);
  }
  if (source === "") throw usage(`the pattern is empty; give a regex in 'action'`, n);
  const compiled = compilePattern(source, method);
  if (!compiled.ok) throw usage(`invalid regex '${source}' (${compiled.error})`, n);
  if (replacement === undefined) return { attribute, method, pattern: source };
  const template = toReplacementTemplate(replacement, compiled.pattern);
  if (!template.ok) throw usage(`${template.error} in action '${raw.action}'`, n);
  return { attribute, method, pattern: source, replacement: template.template };
}

function describeIssue(issue: z.core.$ZodIssue | undefined, literal: unknown): string {
  if (issue === undefined) return "is invalid";
  const [index, key] = issue.path;
  const where = typeof index === "number" ? `rule ${index + 1}` : undefined;
  const field = typeof key === "string" ? `'${key}'` : undefined;
  let what: string;
  switch (issue.code) {
    case "unrecognized_keys":
      what = `unknown key ${issue.keys.map((k) => `'${k}'`).join(", ")}; allowed keys are ${KEYS.join(", ")}`;
      break;
    case "invalid_value":
      what = `${field ?? "value"} must be ${issue.values.map((v) => `'${String(v)}'`).join(" or ")}`;
      break;
    case "too_small":
      what = `${field ?? "value"} must not be empty`;
      break;
    case "invalid_type":
      if (field !== undefined && valueAt(literal, issue.path) === undefined) what = `missing ${field}`;
      else if (where === undefined)
        what = "must be a list of rules, e.g. [{'attr_name': ..., 'action': ..., 'method': ...}]";
      else if (field === undefined) what = "must be a dict with keys attr_name, action, method";
      else what = `${field} must be a quoted string`;
      break;
    default:
      what = `${field ?? "value"}: ${issue.message}`;
  }
  return where === undefined ? what : `${where}: ${what}`;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function usage(message: string, rule?: number): UsageError {
  return new UsageError(CODE, `${OPTION}${rule === undefined ? "" : ` rule ${rule}:`} ${message}`);
}
