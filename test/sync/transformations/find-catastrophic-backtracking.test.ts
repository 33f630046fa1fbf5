import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../../../src/errors/sync-error.js";
import { findCatastrophicBacktracking } from "../../../src/sync/transformations/find-catastrophic-backtracking.js";
import { parseTransformationRules } from "../../../src/sync/transformations/parse-transformation-rules.js";

// Admin-supplied regexes are bounded (#11): a shape that backtracks exponentially is refused when the rules are read,
// before anything is synced. Each refused pattern below stalls V8 for minutes on ~40 characters such as "aaa…a!".

const refused: { pattern: string; culprit: string }[] = [
  { pattern: "(a+)+$", culprit: "(a+)+" },
  { pattern: "^(\\d+)*$", culprit: "(\\d+)*" },
  { pattern: "(\\w+\\s?)*$", culprit: "(\\w+\\s?)*" },
  { pattern: "(x+x+)+y", culprit: "(x+x+)+" },
  { pattern: "(a?a?)+$", culprit: "(a?a?)+" },
  { pattern: "(.*a){12}", culprit: "(.*a){12}" },
  { pattern: "^(a|aa)+$", culprit: "(a|aa)+" },
  { pattern: "(a|a)*$", culprit: "(a|a)*" },
  { pattern: "(\\w|\\d)+@", culprit: "(\\w|\\d)+" },
  { pattern: "(ab|ac)*", culprit: "(ab|ac)*" },
  { pattern: "(?<=(a+)+)b", culprit: "(a+)+" },
  { pattern: "(?<u>[a-z]+\\.?)+@", culprit: "(?<u>[a-z]+\\.?)+" },
];
for (const c of refused) {
  test(`findCatastrophicBacktracking: ${c.pattern} → refused, naming ${c.culprit}`, () => {
    const reason = findCatastrophicBacktracking(c.pattern);
    assert.ok(reason?.startsWith(`'${c.culprit}' repeats a part`), reason);
  });
}

const allowed = [
  "^([a-zA-Z0-9._%+-]+)@",
  "_",
  "^(.*)@(.*)$",
  "@contoso\\.com$",
  "^([^@]+)@(.+)$",
  "(?<user>[^@]+)@\\k<user>",
  "^\\s+|\\s+$",
  "\\.(?=com)",
  "(\\w)\\1",
  "(a|b)+",
  "(ab|cd)*",
  "(a{2})+",
  "\\@\\-",
  "a{",
];
for (const pattern of allowed) {
  test(`findCatastrophicBacktracking: ${pattern} → bounded`, () => {
    assert.equal(findCatastrophicBacktracking(pattern), undefined);
  });
}

test("--attributes-transformation: a catastrophic pattern is a usage error naming the rule, before any sync", () => {
  assert.throws(
    () =>
      parseTransformationRules(
        "[{'attr_name': 'username', 'action': '^([^@]+)@', 'method': 'match'}, {'attr_name': 'email', 'action': '(a+)+$,x', 'method': 'sub'}]",
      ),
    (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.match(
        error.message,
        /^--attributes-transformation rule 2: invalid regex '\(a\+\)\+\$' \('\(a\+\)\+' repeats/,
      );
      return true;
    },
  );
});
