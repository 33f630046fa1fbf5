/**
 * mapStorageError on the SDK's own RestError shapes (table errors put the service code in details.errorCode, queue
 * errors in code, network failures have a Node code and no status). The table store's tests also hit a real refused
 * connection; the queue SDK retries for about 16 s before giving up, so its shape is checked here instead.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RestError } from "@azure/storage-queue";
import { mapStorageError } from "../../src/state/map-storage-error.js";
import {
  StateAuthError,
  StateConflictError,
  StateRejectedError,
  StateUnavailableError,
} from "../../src/state/state-errors.js";

const queueTarget = { service: "queue", name: "sync-work", operation: "send a message" } as const;
const tableTarget = {
  service: "table",
  name: "misyncLeases",
  operation: "read the lease",
  key: "leases/group:1",
} as const;

describe("mapStorageError", () => {
  const cases: Array<{
    name: string;
    error: unknown;
    target: typeof queueTarget | typeof tableTarget;
    type: abstract new (...args: never[]) => Error;
    code: string;
  }> = [
    {
      name: "connection refused (no status, code ECONNREFUSED)",
      error: new RestError("connect ECONNREFUSED 127.0.0.1:1", { code: "ECONNREFUSED" }),
      target: queueTarget,
      type: StateUnavailableError,
      code: "state.unavailable",
    },
    {
      name: "503 ServerBusy",
      error: new RestError("busy", { statusCode: 503, code: "ServerBusy" }),
      target: queueTarget,
      type: StateUnavailableError,
      code: "state.unavailable",
    },
    {
      name: "429 throttled",
      error: Object.assign(new RestError("slow down", { statusCode: 429 }), {
        details: { errorCode: "TooManyRequests" },
      }),
      target: tableTarget,
      type: StateUnavailableError,
      code: "state.unavailable",
    },
    {
      name: "403 AuthenticationFailed",
      error: Object.assign(new RestError("Server failed to authenticate the request", { statusCode: 403 }), {
        details: { errorCode: "AuthenticationFailed" },
      }),
      target: tableTarget,
      type: StateAuthError,
      code: "state.auth",
    },
    {
      name: "400 InvalidInput",
      error: new RestError("bad", { statusCode: 400, code: "InvalidInput" }),
      target: queueTarget,
      type: StateRejectedError,
      code: "state.rejected",
    },
    {
      name: "a thrown string",
      error: "boom",
      target: queueTarget,
      type: StateUnavailableError,
      code: "state.unavailable",
    },
  ];

  for (const c of cases) {
    test(`${c.name} → ${c.code}, naming the ${c.target.service} and not quoting the SDK message`, () => {
      const mapped = mapStorageError(c.error, c.target);
      assert.ok(mapped instanceof c.type, mapped.name);
      assert.equal(mapped.code, c.code);
      assert.ok(mapped.message.includes(`"${c.target.name}"`), mapped.message);
      if (c.error instanceof RestError) assert.ok(!mapped.message.includes(c.error.message), mapped.message);
    });
  }

  test("a SyncError → passed through unchanged", () => {
    const conflict = new StateConflictError("lost");
    assert.equal(mapStorageError(conflict, queueTarget), conflict);
  });
});
