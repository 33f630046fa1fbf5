import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../../../src/errors/sync-error.js";
import { applyTransformations } from "../../../src/sync/transformations/apply-transformations.js";
import { isStandardAttribute } from "../../../src/sync/transformations/is-standard-attribute.js";
import { parseTransformationRules } from "../../../src/sync/transformations/parse-transformation-rules.js";

const cases: { name: string; rules: string; attribute: string; value: string; result: string; notes?: string[] }[] = [
  {
    name: "seed match example: the value becomes group 1",
    rules: "[{'attr_name': 'trusted_server_username', 'action': '^([a-zA-Z0-9._%+-]+)@', 'method':'match'}]",
    attribute: "trusted_server_username",
    value: "jane.doe@contoso.com",
    result: "jane.doe",
  },
  {
    name: "seed sub example: every _ becomes @",
    rules: "[{'attr_name': 'trusted_server_username', 'action': '_,@', 'method':'sub'}]",
    attribute: "trusted_server_username",
    value: "jane_doe_contoso.com",
    result: "jane@doe@contoso.com",
  },
  {
    name: "match without a group: the value becomes the whole match",
    rules: "[{'attr_name': 'username', 'action': '\\d+', 'method': 'match'}]",
    attribute: "username",
    value: "emp-00123-x",
    result: "00123",
  },
  {
    name: "match is unanchored: it searches",
    rules: "[{'attr_name': 'username', 'action': '([a-z]+)@', 'method': 'match'}]",
    attribute: "username",
    value: "ID 42: jane@contoso.com",
    result: "jane",
  },
  {
    name: "match that does not match: unchanged, with a note",
    rules: "[{'attr_name': 'username', 'action': '^([a-z]+)@', 'method': 'match'}]",
    attribute: "username",
    value: "x",
    result: "x",
    notes: ["username 'x' does not match ^([a-z]+)@; left unchanged"],
  },
  {
    name: "match whose group 1 did not take part: treated as no match",
    rules: "[{'attr_name': 'email', 'action': '(a)?b', 'method': 'match'}]",
    attribute: "email",
    value: "xb",
    result: "xb",
    notes: ["email 'xb' does not match (a)?b; left unchanged"],
  },
  {
    name: "sub with \\1 swaps groups",
    rules: "[{'attr_name': 'username', 'action': '^(\\w+)\\.(\\w+)@.*$,\\2.\\1', 'method': 'sub'}]",
    attribute: "username",
    value: "jane.doe@contoso.com",
    result: "doe.jane",
  },
  {
    name: "sub with $1 keeps group 1",
    rules: "[{'attr_name': 'username', 'action': '^(\\w+)@.*$,$1', 'method': 'sub'}]",
    attribute: "username",
    value: "jane@contoso.com",
    result: "jane",
  },
  {
    name: "sub replaces every match, and literal $ $$ $& stay literal",
    rules: "[{'attr_name': 'email', 'action': 'x,$ $$ $&', 'method': 'sub'}]",
    attribute: "email",
    value: "axbx",
    result: "a$ $$ $&b$ $$ $&",
  },
  {
    name: "sub $\\1 gives a dollar then group 1",
    rules: "[{'attr_name': 'email', 'action': '(\\d+),$\\1', 'method': 'sub'}]",
    attribute: "email",
    value: "cost 5",
    result: "cost $5",
  },
  {
    name: "sub \\10 with one group gives group 1 then 0",
    rules: "[{'attr_name': 'email', 'action': '(\\d),\\10', 'method': 'sub'}]",
    attribute: "email",
    value: "a1b2",
    result: "a10b20",
  },
  {
    name: "sub with named groups and \\g<0>",
    rules: "[{'attr_name': 'email', 'action': '(?<d>\\d),[\\g<0>|$<d>]', 'method': 'sub'}]",
    attribute: "email",
    value: "a1",
    result: "a[1|1]",
  },
  {
    name: "several rules on one attribute run in order",
    rules: `[
      {'attr_name': 'username', 'action': '^([^@]+)@', 'method': 'match'},
      {'attr_name': 'username', 'action': '\\.,_', 'method': 'sub'},
      {'attr_name': 'username', 'action': '^(.{1,6})', 'method': 'match'},
    ]`,
    attribute: "username",
    value: "jane.q.doe@contoso.com",
    result: "jane_q",
  },
  {
    name: "rules for other attributes are ignored",
    rules:
      "[{'attr_name': 'email', 'action': '.,x', 'method': 'sub'}, {'attr_name': 'Username', 'action': '.,x', 'method': 'sub'}]",
    attribute: "username",
    value: "jane",
    result: "jane",
  },
  {
    name: "unicode values and patterns",
    rules:
      "[{'attr_name': 'last_name', 'action': 'é,e', 'method': 'sub'}, {'attr_name': 'last_name', 'action': '^(\\S+)', 'method': 'match'}]",
    attribute: "last_name",
    value: "Müller-Lévêque 日本 😀",
    result: "Müller-Levêque",
  },
  {
    name: "custom attribute",
    rules: "[{'attr_name': 'costCenter', 'action': '^0+(\\d+)$,\\1', 'method': 'sub'}]",
    attribute: "costCenter",
    value: "000420",
    result: "420",
  },
];

for (const { name, rules, attribute, value, result, notes = [] } of cases) {
  test(`applyTransformations: ${name}`, () => {
    assert.deepEqual(applyTransformations(attribute, value, parseTransformationRules(rules)), { value: result, notes });
  });
}

test("applyTransformations: the same rules give the same result on every call (no regex state leaks)", () => {
  const rules = parseTransformationRules(
    "[{'attr_name': 'email', 'action': 'a,b', 'method': 'sub'}, {'attr_name': 'email', 'action': '(b)', 'method': 'match'}]",
  );
  for (let i = 0; i < 3; i++) assert.deepEqual(applyTransformations("email", "xa", rules), { value: "b", notes: [] });
});

test("applyTransformations: rules that went through JSON still apply", () => {
  const rules = JSON.parse(
    JSON.stringify(parseTransformationRules("[{'attr_name': 'email', 'action': '(x),[\\1]', 'method': 'sub'}]")),
  );
  assert.deepEqual(applyTransformations("email", "axb", rules), { value: "a[x]b", notes: [] });
});

test("applyTransformations: a hand-made rule with an invalid pattern → UsageError", () => {
  assert.throws(
    () => applyTransformations("email", "x", [{ attribute: "email", method: "match", pattern: "(" }]),
    UsageError,
  );
});

const standard: [string, boolean][] = [
  ["username", true],
  ["first_name", true],
  ["last_name", true],
  ["email", true],
  ["trusted_server_username", true],
  ["Username", false],
  ["costCenter", false],
  ["", false],
];
for (const [name, expected] of standard) {
  test(`isStandardAttribute: '${name}' → ${expected}`, () => {
    assert.equal(isStandardAttribute(name), expected);
  });
}
