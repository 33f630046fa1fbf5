/** The pure helpers under the stores: table keys, run keys, error-list fitting, queue body coding. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fitRunErrors } from "../../src/state/fit-run-errors.js";
import { decodeQueueMessageBody, encodeQueueMessageBody } from "../../src/state/queue-message-body.js";
import { runPartitionKey, runRowKey } from "../../src/state/run-keys.js";
import { toTableKey } from "../../src/state/to-table-key.js";

describe("toTableKey", () => {
  test("a GUID or a plain scope → itself", () => {
    assert.equal(toTableKey("0b8a4a0e-1111-4c4c-9d9d-000000000001"), "0b8a4a0e-1111-4c4c-9d9d-000000000001");
    assert.equal(toTableKey("group:abc"), "group:abc");
  });

  test("a value with / \\ # ? or ~ → ~base64url, with none of the forbidden characters, and distinct values stay distinct", () => {
    const values = ["a/b", "a\\b", "a#b", "a?b", "~YS9i", "a%b", "it's"];
    const keys = values.map(toTableKey);
    for (const key of keys) assert.match(key, /^~[A-Za-z0-9_-]*$/);
    assert.equal(new Set(keys).size, values.length);
  });

  test("a key over 512 characters → StateRejectedError state.too_large", () => {
    assert.throws(() => toTableKey("a".repeat(600)), { code: "state.too_large" });
  });
});

describe("run keys", () => {
  test("later months and later instants sort first as strings", () => {
    const a = new Date("2026-01-31T23:59:59.999Z");
    const b = new Date("2026-02-01T00:00:00.000Z");
    assert.ok(runPartitionKey(b) < runPartitionKey(a));
    assert.ok(runRowKey(b, "x") < runRowKey(a, "x"));
    assert.equal(runPartitionKey(b), "797397-2026-02");
  });
});

describe("fitRunErrors", () => {
  test("a short list → unchanged", () => {
    assert.deepEqual(fitRunErrors(["a", "b"]), ["a", "b"]);
  });

  test("150 lines → 99 kept plus a note naming the 51 dropped", () => {
    const fitted = fitRunErrors(Array.from({ length: 150 }, (_, i) => `e${i}`));
    assert.equal(fitted.length, 100);
    assert.equal(fitted[98], "e98");
    assert.match(fitted[99] ?? "", /^… 51 more/);
  });

  test("long lines → cut to 1000 characters and the JSON stays under 30 000 characters", () => {
    const fitted = fitRunErrors(Array.from({ length: 80 }, () => "y".repeat(5000)));
    assert.ok(fitted.every((line) => line.length <= 1000));
    assert.ok(JSON.stringify(fitted).length <= 30_000);
    assert.match(fitted.at(-1) ?? "", /more error line/);
  });
});

describe("queue message body", () => {
  test("a JSON value → base64 of its JSON, and back", () => {
    const body = { kind: "users", n: 1, nested: ["ä"] };
    const text = encodeQueueMessageBody(body);
    assert.equal(Buffer.from(text, "base64").toString("utf8"), JSON.stringify(body));
    assert.deepEqual(decodeQueueMessageBody(text), body);
  });

  test("plain text, base64 of non-JSON, base64 of invalid UTF-8, empty → the raw string", () => {
    for (const raw of [
      "hello world",
      Buffer.from("{oops").toString("base64"),
      Buffer.from([0xff, 0xfe]).toString("base64"),
      "",
    ]) {
      assert.equal(decodeQueueMessageBody(raw), raw);
    }
  });

  test("undefined → TypeError (not a JSON value)", () => {
    assert.throws(() => encodeQueueMessageBody(undefined), TypeError);
  });
});
