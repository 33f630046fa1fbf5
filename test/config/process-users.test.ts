import assert from "node:assert/strict";
import { test } from "node:test";
import { normaliseUserKey, parseProcessUsers } from "../../src/config/process-users.js";
import { UsageError } from "../../src/errors/sync-error.js";

const files: Record<string, string> = {
  "users.txt":
    "alice@contoso.com\r\n\r\n# leavers below\r\n  bob@contoso.com  \r\n   # indented comment\r\ncarol@contoso.com # the CFO\r\n",
  "bom.txt": "\uFEFFalice@contoso.com\nbob@contoso.com",
  "hash.txt": "a#b@contoso.com\n",
  "dups.txt": "Alice@contoso.com\nalice@CONTOSO.com\n",
  "comments-only.txt": "# nobody\n\n   \r\n",
  "my users.txt": "dave@contoso.com",
};
const readFile = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  return text;
};

const accepted: { name: string; value: string; users: string[] }[] = [
  { name: "a comma list → trimmed entries", value: " alice@contoso.com , bob ", users: ["alice@contoso.com", "bob"] },
  { name: "a single user", value: "alice", users: ["alice"] },
  { name: "empty entries and a trailing comma are skipped", value: "a,,b,", users: ["a", "b"] },
  { name: "case-insensitive duplicates keep the first spelling", value: "Bob,bob,BOB,al", users: ["Bob", "al"] },
  {
    name: "@file with CRLF, blank lines, # comments and a trailing ' # comment'",
    value: "@users.txt",
    users: ["alice@contoso.com", "bob@contoso.com", "carol@contoso.com"],
  },
  { name: "@file with a UTF-8 BOM", value: "@bom.txt", users: ["alice@contoso.com", "bob@contoso.com"] },
  { name: "@file: a # inside an entry is kept", value: "@hash.txt", users: ["a#b@contoso.com"] },
  { name: "@file: duplicates differing in case are dropped", value: "@dups.txt", users: ["Alice@contoso.com"] },
  { name: "@file: a path with a space", value: "@my users.txt", users: ["dave@contoso.com"] },
];
for (const { name, value, users } of accepted) {
  test(`parseProcessUsers: ${name}`, () => {
    assert.deepEqual(parseProcessUsers(value, readFile), users);
  });
}

const rejected: { name: string; value: string; message: string }[] = [
  {
    name: "missing file → names the path",
    value: "@missing.txt",
    message: "--process-users: cannot read 'missing.txt' (ENOENT: no such file or directory, open 'missing.txt')",
  },
  { name: "@ without a path", value: "@", message: "--process-users: '@' needs a file name, e.g. @users.txt" },
  { name: "an empty value", value: "", message: "--process-users: no users given; use u1,u2 or @file" },
  { name: "only commas", value: " , ,", message: "--process-users: no users given; use u1,u2 or @file" },
  {
    name: "a file with only comments and blank lines",
    value: "@comments-only.txt",
    message: "--process-users: 'comments-only.txt' lists no users (one per line)",
  },
];
for (const { name, value, message } of rejected) {
  test(`parseProcessUsers: ${name} → UsageError`, () => {
    assert.throws(
      () => parseProcessUsers(value, readFile),
      (error: unknown) =>
        error instanceof UsageError && error.code === "usage.process_users" && error.message === message,
    );
  });
}

test("normaliseUserKey: lower case, so Alice@Contoso.COM and alice@contoso.com compare equal", () => {
  assert.equal(normaliseUserKey("Alice@Contoso.COM"), "alice@contoso.com");
  assert.equal(normaliseUserKey("ÉLODIE@contoso.com"), "élodie@contoso.com");
});
