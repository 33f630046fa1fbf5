import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readRepoFile, root } from "./snapshots.js";

// docs/security.md names, for each infrastructure claim, the test that fails when the claim breaks. A renamed or
// deleted test would leave the claim pointing at nothing; this keeps every such pointer true.

const oneLine = (text: string): string => text.replace(/\s+/g, " ");

test("every test docs/security.md cites under test/infra exists under that name", () => {
  const doc = oneLine(readRepoFile("docs/security.md"));
  const citations = [...doc.matchAll(/`(test\/infra\/[\w-]+\.test\.ts)`((?: ?"[^"]+",?)+)/g)];
  assert.ok(citations.length >= 5, "the infrastructure claims cite their tests");
  for (const [, file, names] of citations) {
    assert.ok(existsSync(join(root, file!)), `${file} does not exist`);
    const source = oneLine(readRepoFile(file!));
    for (const [, name] of names!.matchAll(/"([^"]+)"/g)) {
      assert.ok(source.includes(name!), `${file} has no test named "${name}"`);
    }
  }
});
