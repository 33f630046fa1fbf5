import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../../../src/errors/sync-error.js";
import { parseTransformationRules } from "../../../src/sync/transformations/parse-transformation-rules.js";
import type { TransformationRule } from "../../../src/sync/transformations/transformation-rule.js";

const accepted: { name: string; text: string; rules: TransformationRule[] }[] = [
  {
    name: "seed example 1 (python-style match) → one match rule",
    text: "[{'attr_name': 'trusted_server_username', 'action': '^([a-zA-Z0-9._%+-]+)@', 'method':'match'}]",
    rules: [{ attribute: "trusted_server_username", method: "match", pattern: "^([a-zA-Z0-9._%+-]+)@" }],
  },
  {
    name: "seed example 2 (python-style sub) → pattern and replacement split at the comma",
    text: "[{'attr_name': 'trusted_server_username', 'action': '_,@', 'method':'sub'}]",
    rules: [{ attribute: "trusted_server_username", method: "sub", pattern: "_", replacement: "@" }],
  },
  {
    name: "strict JSON → same rules as python-style",
    text: '[{"attr_name": "username", "action": "^([^@]+)@", "method": "match"}]',
    rules: [{ attribute: "username", method: "match", pattern: "^([^@]+)@" }],
  },
  {
    name: 'strict JSON escapes apply: "\\\\d" is \\d',
    text: '[{"attr_name": "username", "action": "\\\\d+", "method": "match"}]',
    rules: [{ attribute: "username", method: "match", pattern: "\\d+" }],
  },
  {
    name: "strict JSON \\u0027 (as PowerShell writes ') decodes",
    text: '[{"attr_name": "last_name", "action": "\\u0027,", "method": "sub"}]',
    rules: [{ attribute: "last_name", method: "sub", pattern: "'", replacement: "" }],
  },
  {
    name: "python-style '\\d' keeps the backslash",
    text: "[{'attr_name': 'username', 'action': '\\d+', 'method': 'match'}]",
    rules: [{ attribute: "username", method: "match", pattern: "\\d+" }],
  },
  {
    name: 'python-style double-quoted "\\d" (not JSON) keeps the backslash',
    text: '[{"attr_name": "username", "action": "\\d+", "method": "match"}]',
    rules: [{ attribute: "username", method: "match", pattern: "\\d+" }],
  },
  {
    name: "python-style \\\\ \\' \\\" are the only escapes",
    text: "[{'attr_name': 'email', 'action': 'a\\\\.b\\'c\\\"d\\.e', 'method': 'match'}]",
    rules: [{ attribute: "email", method: "match", pattern: "a\\.b'c\"d\\.e" }],
  },
  {
    name: "mixed quotes, newlines and trailing commas → rules in order",
    text: `[
      {"attr_name": 'username', 'action': "^([^@]+)@" , 'method': "match",},
      { 'attr_name':'first_name','action':'\\s+, ','method':'sub' } ,
    ]`,
    rules: [
      { attribute: "username", method: "match", pattern: "^([^@]+)@" },
      { attribute: "first_name", method: "sub", pattern: "\\s+", replacement: " " },
    ],
  },
  {
    name: "a regex holding quotes, commas, brackets and braces stays whole",
    text: `[{'attr_name': 'last_name', 'action': "^([^',\\]{}]{1,3})\\"x", 'method': 'match'}]`,
    rules: [{ attribute: "last_name", method: "match", pattern: `^([^',\\]{}]{1,3})"x` }],
  },
  {
    name: "sub splits at the FIRST comma: the replacement may hold commas",
    text: "[{'attr_name': 'last_name', 'action': ' ,, ', 'method': 'sub'}]",
    rules: [{ attribute: "last_name", method: "sub", pattern: " ", replacement: ", " }],
  },
  {
    name: "sub replacement \\1 (python) becomes $1",
    text: "[{'attr_name': 'username', 'action': '^(\\w+)\\.(\\w+)@.*$,\\2.\\1', 'method': 'sub'}]",
    rules: [{ attribute: "username", method: "sub", pattern: "^(\\w+)\\.(\\w+)@.*$", replacement: "$2.$1" }],
  },
  {
    name: "sub replacement $1 stays $1",
    text: "[{'attr_name': 'username', 'action': '^(\\w+)@.*$,$1', 'method': 'sub'}]",
    rules: [{ attribute: "username", method: "sub", pattern: "^(\\w+)@.*$", replacement: "$1" }],
  },
  {
    name: "sub replacement: a literal $ and $$ and $& stay literal (escaped in the template)",
    text: "[{'attr_name': 'email', 'action': 'x,US$ $$ $&', 'method': 'sub'}]",
    rules: [{ attribute: "email", method: "sub", pattern: "x", replacement: "US$$ $$$$ $$&" }],
  },
  {
    name: "sub replacement: $\\1 is a literal $ then group 1, not $$1",
    text: "[{'attr_name': 'email', 'action': '(x),$\\1', 'method': 'sub'}]",
    rules: [{ attribute: "email", method: "sub", pattern: "(x)", replacement: "$$$1" }],
  },
  {
    name: "sub replacement: \\10 with one group is group 1 then 0 (written $010)",
    text: "[{'attr_name': 'email', 'action': '(x),\\10', 'method': 'sub'}]",
    rules: [{ attribute: "email", method: "sub", pattern: "(x)", replacement: "$010" }],
  },
  {
    name: "sub replacement: \\g<0>, \\g<name> and $<name> are group references",
    text: "[{'attr_name': 'email', 'action': '(?<u>x),\\g<0>\\g<u>$<u>', 'method': 'sub'}]",
    rules: [{ attribute: "email", method: "sub", pattern: "(?<u>x)", replacement: "$&$<u>$<u>" }],
  },
  {
    name: "sub replacement: \\\\ is one backslash, other backslashes stay",
    text: "[{'attr_name': 'email', 'action': 'x,a\\\\\\\\1\\n', 'method': 'sub'}]",
    rules: [{ attribute: "email", method: "sub", pattern: "x", replacement: "a\\1\\n" }],
  },
  {
    name: "sub with an empty replacement deletes matches",
    text: "[{'attr_name': 'email', 'action': '\\s,', 'method': 'sub'}]",
    rules: [{ attribute: "email", method: "sub", pattern: "\\s", replacement: "" }],
  },
  {
    name: "custom attribute names are accepted; attr_name is trimmed",
    text: "[{'attr_name': ' costCenter ', 'action': '^0+', 'method': 'match'}]",
    rules: [{ attribute: "costCenter", method: "match", pattern: "^0+" }],
  },
  { name: "empty python-style list → no rules", text: " [ ] ", rules: [] },
  { name: "empty JSON list → no rules", text: "[]", rules: [] },
];

for (const { name, text, rules } of accepted) {
  test(`parseTransformationRules: ${name}`, () => {
    assert.deepEqual(parseTransformationRules(text), rules);
  });
}

test("parseTransformationRules: rules are plain JSON-serialisable data", () => {
  const rules = parseTransformationRules("[{'attr_name': 'email', 'action': '(x),\\1', 'method': 'sub'}]");
  assert.deepEqual(JSON.parse(JSON.stringify(rules)), rules);
});

const rejected: { name: string; text: string; message: string }[] = [
  {
    name: "invalid regex → rule number, regex and reason",
    text: "[{'attr_name': 'username', 'action': 'x', 'method': 'match'}, {'attr_name': 'email', 'action': '^(', 'method': 'match'}]",
    message: "--attributes-transformation rule 2: invalid regex '^(' (Unterminated group)",
  },
  {
    name: "invalid regex in a sub pattern",
    text: "[{'attr_name': 'email', 'action': '[a-,x', 'method': 'sub'}]",
    message: "--attributes-transformation rule 1: invalid regex '[a-' (Unterminated character class)",
  },
  {
    name: "python named group → hint to write (?<name>...)",
    text: "[{'attr_name': 'email', 'action': '(?P<u>x)', 'method': 'match'}]",
    message:
      "--attributes-transformation rule 1: invalid regex '(?P<u>x)' (Invalid group; Python's (?P<name>...) is written (?<name>...) in JavaScript)",
  },
  {
    name: "unknown method",
    text: "[{'attr_name': 'email', 'action': 'x', 'method': 'replace'}]",
    message: "--attributes-transformation rule 1: 'method' must be 'match' or 'sub'",
  },
  {
    name: "missing comma in sub",
    text: "[{'attr_name': 'email', 'action': '_@', 'method': 'sub'}]",
    message: "--attributes-transformation rule 1: action '_@' needs the form PATTERN,REPLACEMENT for method 'sub'",
  },
  {
    name: "sub replacement naming a group the pattern lacks",
    text: "[{'attr_name': 'email', 'action': '(a)b,\\2', 'method': 'sub'}]",
    message:
      "--attributes-transformation rule 1: replacement refers to group '\\2', but the pattern has 1 group in action '(a)b,\\2'",
  },
  {
    name: "sub replacement $1 with no group in the pattern",
    text: "[{'attr_name': 'email', 'action': 'ab,$1', 'method': 'sub'}]",
    message:
      "--attributes-transformation rule 1: replacement refers to group '$1', but the pattern has 0 groups in action 'ab,$1'",
  },
  {
    name: "unknown key",
    text: "[{'attr_name': 'email', 'action': 'x', 'method': 'match', 'flags': 'i'}]",
    message: "--attributes-transformation rule 1: unknown key 'flags'; allowed keys are attr_name, action, method",
  },
  {
    name: "missing key",
    text: "[{'attr_name': 'email', 'method': 'match'}]",
    message: "--attributes-transformation rule 1: missing 'action'",
  },
  {
    name: "empty attr_name",
    text: "[{'attr_name': '  ', 'action': 'x', 'method': 'match'}]",
    message: "--attributes-transformation rule 1: 'attr_name' must not be empty",
  },
  {
    name: "empty pattern",
    text: "[{'attr_name': 'email', 'action': ',x', 'method': 'sub'}]",
    message: "--attributes-transformation rule 1: the pattern is empty; give a regex in 'action'",
  },
  {
    name: "a non-string value (JSON number)",
    text: '[{"attr_name": "email", "action": 5, "method": "match"}]',
    message: "--attributes-transformation rule 1: 'action' must be a quoted string",
  },
  {
    name: "a rule that is not a dict",
    text: "['email']",
    message: "--attributes-transformation rule 1: must be a dict with keys attr_name, action, method",
  },
  {
    name: "not a list (a single dict)",
    text: "{'attr_name': 'email', 'action': 'x', 'method': 'match'}",
    message:
      "--attributes-transformation must be a list of rules, e.g. [{'attr_name': ..., 'action': ..., 'method': ...}]",
  },
  {
    name: "empty text",
    text: "  ",
    message:
      "--attributes-transformation is empty; give a list of rules such as [{'attr_name': ..., 'action': ..., 'method': 'match'}]",
  },
  {
    name: "unterminated string → line and column of its start",
    text: "[{'attr_name': 'email',\n 'action': 'x}]",
    message:
      "--attributes-transformation is neither JSON nor a Python-style list: unterminated string at line 2, column 12",
  },
  {
    name: "missing comma between rules",
    text: "[{'attr_name': 'a', 'action': 'x', 'method': 'match'} {}]",
    message:
      "--attributes-transformation is neither JSON nor a Python-style list: unexpected '{'; expected ',' or ']' at line 1, column 55",
  },
  {
    name: "Python True/None are not accepted",
    text: "[{'attr_name': None}]",
    message:
      "--attributes-transformation is neither JSON nor a Python-style list: unexpected 'N'; expected a quoted string, list or dict at line 1, column 16",
  },
  {
    name: "duplicate key",
    text: "[{'method': 'match', 'method': 'sub'}]",
    message:
      "--attributes-transformation is neither JSON nor a Python-style list: duplicate key 'method' at line 1, column 22",
  },
  {
    name: "text after the list",
    text: "[] x",
    message:
      "--attributes-transformation is neither JSON nor a Python-style list: unexpected text after the end of the list at line 1, column 4",
  },
];

for (const { name, text, message } of rejected) {
  test(`parseTransformationRules: ${name} → UsageError`, () => {
    assert.throws(
      () => parseTransformationRules(text),
      (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.code, "usage.attributes_transformation");
        assert.equal(error.kind, "usage");
        assert.equal(error.message, message);
        return true;
      },
    );
  });
}
