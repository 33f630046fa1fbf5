import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readHostConfig } from "../../src/serve/read-host-config.js";
import { ServeError } from "../../src/serve/serve-error.js";

const withHostJson = (json: unknown): string => {
  const root = mkdtempSync(join(tmpdir(), "host-json-"));
  writeFileSync(join(root, "host.json"), JSON.stringify(json));
  return root;
};

test("readHostConfig: the repository's host.json, as serve obeys it", () => {
  const config = readHostConfig(join(__dirname, "..", "..", ".."));
  assert.deepEqual(config, {
    functionTimeoutMs: 600_000,
    routePrefix: "api",
    queues: {
      batchSize: 16,
      newBatchThreshold: 8,
      maxPollingIntervalMs: 100,
      visibilityTimeoutMs: 5_000,
      maxDequeueCount: 5,
      messageEncoding: "base64",
    },
  });
});

test("readHostConfig: the Functions host's defaults; a patch laid over the file", () => {
  const root = withHostJson({ version: "2.0", extensions: { http: { routePrefix: "/hooks/" } } });
  const config = readHostConfig(root, { extensions: { queues: { visibilityTimeout: "00:00:01.500" } } });
  assert.equal(config.routePrefix, "hooks");
  assert.equal(config.functionTimeoutMs, 30 * 60_000);
  assert.deepEqual(config.queues, {
    batchSize: 16,
    newBatchThreshold: 8,
    maxPollingIntervalMs: 60_000,
    visibilityTimeoutMs: 1_500,
    maxDequeueCount: 5,
    messageEncoding: "base64",
  });
  assert.equal(readHostConfig(withHostJson({ version: "2.0", functionTimeout: "-1" })).functionTimeoutMs, Infinity);
});

test("readHostConfig: an invalid value is a configuration error naming its path", () => {
  const cases: [unknown, RegExp][] = [
    [{ version: "1.0" }, /version/],
    [{ version: "2.0", functionTimeout: "ten minutes" }, /functionTimeout/],
    [{ version: "2.0", extensions: { queues: { batchSize: 64 } } }, /extensions\.queues\.batchSize/],
    [{ version: "2.0", extensions: { queues: { messageEncoding: "utf8" } } }, /messageEncoding/],
    [{ version: "2.0", extensions: { queues: { batchsize: 4 } } }, /extensions\.queues/],
  ];
  for (const [json, message] of cases) {
    assert.throws(
      () => readHostConfig(withHostJson(json)),
      (e: unknown) => e instanceof ServeError && e.exitStatus === 2 && message.test(e.message),
      JSON.stringify(json),
    );
  }
});
