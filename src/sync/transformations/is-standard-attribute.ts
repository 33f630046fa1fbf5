import { STANDARD_ATTRIBUTES, type StandardAttribute } from "./transformation-rule.js";

const standard: ReadonlySet<string> = new Set(STANDARD_ATTRIBUTES);

/**
 * True when `name` is one of the five standard MI fields (`username`, `first_name`, `last_name`, `email`,
 * `trusted_server_username`), compared exactly (case-sensitive); any other rule attribute is a custom attribute.
 */
export function isStandardAttribute(name: string): name is StandardAttribute {
  return standard.has(name);
}
