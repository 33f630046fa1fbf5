import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { HttpRequest, InvocationContext } from "@azure/functions";
import { startAzurite } from "../../sim/azurite/start-azurite.js";
import { createGraphLifecycleHandler } from "../../src/functions/graph-lifecycle.js";
import { createGraphNotificationsHandler } from "../../src/functions/graph-notifications.js";
import { syncQueueOutput } from "../../src/functions/queue-binding.js";
import { MAX_NOTIFICATION_BODY_BYTES, MAX_VALIDATION_TOKEN_BYTES } from "../../src/live/handle-notifications.js";
import { TableSyncStateStore } from "../../src/state/table-sync-state-store.js";

// The webhook functions as the Functions host calls them, with subscription records in a real (in-process) Azurite.

const TENANT = "8c3f1e2a-5b6d-4e7f-9a0b-1c2d3e4f5a6b";
const GROUP = "4d0ef681-e88f-42a3-a2db-e6bf1e249e10";
const SECRET = "s3cret-client-state-value";

let azurite: Awaited<ReturnType<typeof startAzurite>>;
let store: TableSyncStateStore;
let notifications: ReturnType<typeof createGraphNotificationsHandler>;
let lifecycle: ReturnType<typeof createGraphLifecycleHandler>;

before(async () => {
  azurite = await startAzurite();
  store = new TableSyncStateStore({ connectionString: azurite.connectionString, tablePrefix: "webhooktest" });
  await store.initialize();
  const base = {
    resource: `groups/${GROUP}`,
    kind: "group" as const,
    groupId: GROUP,
    expirationDateTime: "2030-01-01T00:00:00Z",
    notificationUrl: "https://func.example/api/graph/notifications?code=k",
    createdAt: "2026-11-28T00:00:00Z",
  };
  await store.saveSubscription({ ...base, id: "sub-1", clientState: SECRET });
  await store.saveSubscription({ ...base, id: "sub-2", clientState: "new-secret", previousClientState: SECRET });
  await store.saveSubscription({ ...base, id: "sub-users", resource: "users", kind: "users", clientState: SECRET });
  const deps = async () => ({
    getSubscription: (id: string) => store.getSubscription(id),
    tenantId: TENANT,
    now: () => new Date(),
  });
  notifications = createGraphNotificationsHandler(deps);
  lifecycle = createGraphLifecycleHandler(deps);
});
after(() => azurite.close());

function call(handler: typeof notifications, body: string, query = "", headers: Record<string, string> = {}) {
  const logs: string[] = [];
  const context = new InvocationContext({
    invocationId: "t",
    functionName: "graph-notifications",
    logHandler: (_level, ...args) => logs.push(args.map(String).join(" ")),
  });
  const request = new HttpRequest({
    method: "POST",
    url: `https://func.example/api/graph/notifications${query}`,
    headers: { "content-type": "application/json", ...headers },
    body: { string: body },
  });
  return handler(request, context).then((response) => ({
    response,
    messages: (context.extraOutputs.get(syncQueueOutput) ?? []) as Array<Record<string, unknown>>,
    logs,
  }));
}

const notification = (overrides: Record<string, unknown> = {}) => ({
  subscriptionId: "sub-1",
  clientState: SECRET,
  changeType: "updated",
  resource: `Groups/${GROUP}`,
  resourceData: {
    "@odata.type": "#Microsoft.Graph.Group",
    "@odata.id": `Groups/${GROUP}`,
    id: GROUP,
    organizationId: TENANT,
  },
  tenantId: TENANT,
  ...overrides,
});

test("graph-notifications: validation handshake → 200 text/plain with the decoded token", async () => {
  const token =
    "Validation: Testing client application reachability for subscription Request-Id: 522a8e7e-096a-494c-aaf1-ac0dcfca45b7";
  const { response, messages } = await call(notifications, "", `?code=k&validationToken=${encodeURIComponent(token)}`);
  assert.equal(response.status, 200);
  assert.deepEqual(response.headers, { "content-type": "text/plain", "x-content-type-options": "nosniff" });
  assert.equal(response.body, token);
  assert.deepEqual(messages, []);
});

for (const [name, handler] of [
  ["graph-notifications", () => notifications],
  ["graph-lifecycle", () => lifecycle],
] as const) {
  test(`${name}: a validation token of ${MAX_VALIDATION_TOKEN_BYTES} bytes is echoed; one byte more → 400, not reflected (#11)`, async () => {
    const fits = "v".repeat(MAX_VALIDATION_TOKEN_BYTES);
    const ok = await call(handler(), "", `?validationToken=${fits}`);
    assert.equal(ok.response.status, 200);
    assert.equal(ok.response.body, fits);
    const over = await call(handler(), "", `?validationToken=${fits}v`);
    assert.equal(over.response.status, 400);
    assert.ok(!String(over.response.body).includes(fits), "the token is not reflected");
    assert.equal((over.response.headers as Record<string, string>)["x-content-type-options"], "nosniff");
  });
}

test("graph-notifications: every answer says nosniff (202, 400)", async () => {
  for (const body of [JSON.stringify({ value: [notification()] }), "{nope"]) {
    const { response } = await call(notifications, body);
    assert.equal((response.headers as Record<string, string>)["x-content-type-options"], "nosniff");
  }
});

test("graph-notifications: attacker-supplied strings reach the log escaped and truncated, one line each (#11)", async () => {
  const forged = "\u001b[2J\nINFO graph-notifications: all good";
  const { logs } = await call(
    notifications,
    JSON.stringify({
      value: [
        notification({ tenantId: forged }),
        notification({ subscriptionId: `sub\u202e-${"x".repeat(50)}` }),
        notification({ resource: `Things/${"\n".repeat(3)}${"y".repeat(900)}`, resourceData: {} }),
      ],
    }),
  );
  const text = logs.join("\n");
  assert.equal(logs.length, 4, text);
  for (const line of logs) {
    const raw = [...line].filter((c) => (c < " " || c > "~") && c !== "…");
    assert.deepEqual(raw, [], `only printable ASCII in: ${line}`);
  }
  assert.match(text, /another tenant \("\\u001b\[2J\\u000aINFO/);
  assert.match(text, /unknown subscription "sub\\u202e-x{50}"/);
  assert.ok(!text.includes("y".repeat(100)), "a long resource is truncated");
});

test("graph-notifications: a notification without tenantId → 202, nothing enqueued (the tenant check is always on)", async () => {
  const { response, messages, logs } = await call(
    notifications,
    JSON.stringify({ value: [notification({ tenantId: undefined })] }),
  );
  assert.equal(response.status, 202);
  assert.deepEqual(messages, []);
  assert.match(logs.join("\n"), /without tenantId/);
});

test("graph-notifications: an authenticated group change → 202 and one group message; duplicates in a body coalesce", async () => {
  const body = JSON.stringify({ value: [notification(), notification({ changeType: "updated" })] });
  const { response, messages } = await call(notifications, body);
  assert.equal(response.status, 202);
  assert.equal(messages.length, 1);
  assert.equal(messages[0]?.kind, "group");
  assert.equal(messages[0]?.groupId, GROUP);
  assert.equal(messages[0]?.reason, "notification");
});

test("graph-notifications: a user change → one users message", async () => {
  const body = JSON.stringify({
    value: [
      notification({
        subscriptionId: "sub-users",
        resource: "Users/693acd06-2877-4339-8ade-b704261fe7a0",
        resourceData: { "@odata.type": "#Microsoft.Graph.User", id: "693acd06-2877-4339-8ade-b704261fe7a0" },
      }),
    ],
  });
  const { messages } = await call(notifications, body);
  assert.deepEqual(
    messages.map((m) => m.kind),
    ["users"],
  );
});

test("graph-notifications: the previous clientState is still accepted after a rotation", async () => {
  const { messages } = await call(
    notifications,
    JSON.stringify({ value: [notification({ subscriptionId: "sub-2" })] }),
  );
  assert.equal(messages.length, 1);
});

const rejected = [
  { name: "wrong clientState", n: notification({ clientState: "guess" }), log: /clientState mismatch/ },
  { name: "missing clientState", n: notification({ clientState: undefined }), log: /clientState mismatch/ },
  { name: "unknown subscription", n: notification({ subscriptionId: "sub-nope" }), log: /unknown subscription/ },
  {
    name: "another tenant",
    n: notification({ tenantId: "11111111-1111-1111-1111-111111111111" }),
    log: /another tenant/,
  },
];
for (const c of rejected) {
  test(`graph-notifications: ${c.name} → 202, nothing enqueued, logged without the secret`, async () => {
    const { response, messages, logs } = await call(notifications, JSON.stringify({ value: [c.n] }));
    assert.equal(response.status, 202);
    assert.deepEqual(messages, []);
    assert.ok(
      logs.some((l) => c.log.test(l)),
      logs.join("\n"),
    );
    assert.ok(!logs.join("\n").includes(SECRET));
  });
}

const malformed = [
  { name: "not JSON", body: "{nope" },
  { name: "not a notification collection", body: JSON.stringify({ hello: "world" }) },
  { name: "an empty collection", body: JSON.stringify({ value: [] }) },
  { name: "a notification without subscriptionId", body: JSON.stringify({ value: [{ clientState: SECRET }] }) },
  {
    name: "an oversized body",
    body: JSON.stringify({ value: [notification({ pad: "x".repeat(MAX_NOTIFICATION_BODY_BYTES) })] }),
  },
];
for (const c of malformed) {
  test(`graph-notifications: ${c.name} → 400, nothing enqueued`, async () => {
    const { response, messages } = await call(notifications, c.body);
    assert.equal(response.status, 400);
    assert.deepEqual(messages, []);
  });
}

test("graph-notifications: a declared Content-Length over the limit → 400 before reading", async () => {
  const { response } = await call(notifications, "{}", "", {
    "content-length": String(MAX_NOTIFICATION_BODY_BYTES + 1),
  });
  assert.equal(response.status, 400);
});

test("graph-lifecycle: handshake, then reauthorizationRequired → one lifecycle message", async () => {
  const hs = await call(lifecycle, "", "?validationToken=abc%20def");
  assert.equal(hs.response.status, 200);
  assert.equal(hs.response.body, "abc def");
  const event = {
    subscriptionId: "sub-1",
    clientState: SECRET,
    tenantId: TENANT,
    lifecycleEvent: "reauthorizationRequired",
    subscriptionExpirationDateTime: "2030-01-01T00:00:00Z",
  };
  const { response, messages } = await call(lifecycle, JSON.stringify({ value: [event, event] }));
  assert.equal(response.status, 202);
  assert.equal(messages.length, 1);
  assert.equal(messages[0]?.kind, "lifecycle");
  assert.equal(messages[0]?.event, "reauthorizationRequired");
  const forged = await call(lifecycle, JSON.stringify({ value: [{ ...event, clientState: "guess" }] }));
  assert.deepEqual(forged.messages, []);
});
