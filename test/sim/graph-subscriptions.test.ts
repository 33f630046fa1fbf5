/**
 * The Graph simulator's subscriptions API answers as contract §3.1-3.2 says Graph does: body checks, quota, the
 * synchronous validation handshake, the full 201 object, renew / reauthorize / delete, 404 for unknown or expired.
 * Run with NODE_EXTRA_CA_CERTS pointing at the sandbox certificate (see sim/tls/main.ts).
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { type GraphSim, type GraphSimOptions, startGraphSim, WebhookRecorder } from "../../sim/graph/index.js";

const START = new Date("2026-03-01T12:00:00Z");
const MINUTE = 60_000;
const GROUP_ID = "11111111-2222-4333-8444-555555555555";
const USER_ID = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";

interface Answer {
  status: number;
  body: unknown;
}

async function tokenFor(sim: GraphSim): Promise<string> {
  const response = await fetch(`${sim.url}/${sim.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: sim.clientId,
      client_secret: sim.clientSecret,
      grant_type: "client_credentials",
      scope: "https://graph.microsoft.com/.default",
    }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

async function call(sim: GraphSim, token: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${sim.url}/v1.0${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : "" };
}

function errorCode(answer: Answer): string {
  return (answer.body as { error: { code: string } }).error.code;
}

function errorMessage(answer: Answer): string {
  return (answer.body as { error: { message: string } }).error.message;
}

const inMinutes = (minutes: number): string => new Date(START.getTime() + minutes * MINUTE).toISOString();

async function startSim(options: GraphSimOptions = {}): Promise<GraphSim> {
  return startGraphSim({
    now: () => START,
    allowHttpNotificationUrls: true,
    seed: {
      users: [{ id: USER_ID, userPrincipalName: "ada@contoso.example" }],
      groups: [{ id: GROUP_ID, displayName: "Finance", members: [USER_ID] }],
    },
    ...options,
  });
}

describe("POST /subscriptions", () => {
  let sim: GraphSim;
  let hook: WebhookRecorder;
  let token: string;
  const body = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    changeType: "updated,deleted",
    notificationUrl: `${hook.origin}/api/graph-notify?code=abc`,
    resource: "groups",
    expirationDateTime: inMinutes(60),
    clientState: "SecretClientState",
    ...overrides,
  });

  before(async () => {
    hook = await WebhookRecorder.start();
    sim = await startSim({ notifications: { validationTimeoutMs: 300 } });
    token = await tokenFor(sim);
  });
  after(async () => {
    await sim.close();
    await hook.close();
  });
  beforeEach(async () => {
    for (const subscription of sim.subscriptions()) {
      await call(sim, token, "DELETE", `/subscriptions/${String(subscription.id)}`);
    }
    hook.reset();
  });

  test("handshake OK → 201 with every property of Graph's real body, query string kept on the validation POST", async () => {
    const created = await call(sim, token, "POST", "/subscriptions", body({ expirationDateTime: inMinutes(120) }));
    assert.equal(created.status, 201);
    const subscription = created.body as Record<string, unknown>;
    assert.deepEqual(subscription, {
      "@odata.context": `${sim.url}/v1.0/$metadata#subscriptions/$entity`,
      id: subscription.id,
      resource: "groups",
      applicationId: sim.clientId,
      changeType: "updated,deleted",
      clientState: "SecretClientState",
      notificationUrl: `${hook.origin}/api/graph-notify?code=abc`,
      notificationQueryOptions: null,
      lifecycleNotificationUrl: null,
      expirationDateTime: "2026-03-01T14:00:00Z",
      creatorId: subscription.creatorId,
      includeResourceData: null,
      latestSupportedTlsVersion: "v1_2",
      encryptionCertificate: null,
      encryptionCertificateId: null,
      notificationUrlAppId: null,
    });
    assert.match(String(subscription.id), /^[0-9a-f-]{36}$/);
    assert.match(String(subscription.creatorId), /^[0-9a-f-]{36}$/);

    const [validation, ...more] = hook.validations();
    assert.equal(more.length, 0);
    assert.ok(validation);
    assert.equal(validation.path, "/api/graph-notify");
    assert.equal(validation.query.get("code"), "abc");
    assert.match(
      validation.query.get("validationToken") ?? "",
      /^Validation: Testing client application reachability for subscription Request-Id: [0-9a-f-]{36}$/,
    );
    assert.equal(validation.contentType, "text/plain; charset=utf-8");
    assert.equal(validation.body, "");
    assert.equal(sim.subscriptions().length, 1);
  });

  test("the token is percent-encoded on the wire, after the URL's own query string", async () => {
    assert.equal((await call(sim, token, "POST", "/subscriptions", body())).status, 201);
    assert.match(
      hook.validations()[0]?.rawUrl ?? "",
      /^\/api\/graph-notify\?code=abc&validationToken=Validation%3A%20Testing%20client%20application%20reachability%20for%20subscription%20Request-Id%3A%20[0-9a-f-]{36}$/,
    );
  });

  test("lifecycle URL is validated separately: the same URL twice gets two validation requests", async () => {
    const url = `${hook.origin}/api/graph-notify?code=abc`;
    const created = await call(sim, token, "POST", "/subscriptions", body({ lifecycleNotificationUrl: url }));
    assert.equal(created.status, 201);
    assert.equal((created.body as Record<string, unknown>).lifecycleNotificationUrl, url);
    assert.equal(hook.validations().length, 2);

    hook.reset();
    const other = `${hook.origin}/api/graph-lifecycle?code=xyz`;
    assert.equal(
      (await call(sim, token, "POST", "/subscriptions", body({ lifecycleNotificationUrl: other }))).status,
      201,
    );
    assert.deepEqual(
      hook.validations().map((post) => `${post.path}?code=${post.query.get("code")}`),
      ["/api/graph-notify?code=abc", "/api/graph-lifecycle?code=xyz"],
    );
    assert.deepEqual(
      sim.notifications.deliveries
        .filter((delivery) => delivery.kind === "validation")
        .slice(-4)
        .map((delivery) => delivery.url),
      [
        `${hook.origin}/api/graph-notify`,
        `${hook.origin}/api/graph-notify`,
        `${hook.origin}/api/graph-notify`,
        `${hook.origin}/api/graph-lifecycle`,
      ],
      "the delivery log never holds the query string",
    );
  });

  const failures: Array<{ name: string; behaviour: WebhookRecorder["validation"]; code: string; message: RegExp }> = [
    { name: "token echoed still encoded", behaviour: "echo-encoded", code: "InvalidRequest", message: /exactly match/ },
    { name: "500 answer", behaviour: 500, code: "ValidationError", message: /must respond with 200 OK/ },
    { name: "202 answer", behaviour: 202, code: "ValidationError", message: /must respond with 200 OK/ },
    { name: "no answer before the timeout", behaviour: "hang", code: "ValidationError", message: /200 OK/ },
  ];
  for (const failure of failures) {
    test(`handshake failure, ${failure.name} → 400 ${failure.code}, no subscription`, async () => {
      hook.validation = failure.behaviour;
      const answer = await call(sim, token, "POST", "/subscriptions", body());
      assert.equal(answer.status, 400);
      assert.equal(errorCode(answer), failure.code);
      assert.match(errorMessage(answer), /^Subscription validation request failed\. /);
      assert.match(errorMessage(answer), failure.message);
      assert.deepEqual(sim.subscriptions(), []);
      assert.deepEqual((await call(sim, token, "GET", "/subscriptions")).body, {
        "@odata.context": `${sim.url}/v1.0/$metadata#subscriptions`,
        value: [],
      });
    });
  }

  test("a failing lifecycle URL fails the whole creation", async () => {
    const answer = await call(
      sim,
      token,
      "POST",
      "/subscriptions",
      body({ lifecycleNotificationUrl: "http://127.0.0.1:9/closed-port" }),
    );
    assert.equal(answer.status, 400);
    assert.equal(errorCode(answer), "ValidationError");
    assert.deepEqual(sim.subscriptions(), []);
  });

  test("expiry: 41,760 minutes is accepted, one more → 400 ExtensionError; past → 400; missing → 400", async () => {
    assert.equal(
      (await call(sim, token, "POST", "/subscriptions", body({ expirationDateTime: inMinutes(41_760) }))).status,
      201,
    );
    const over = await call(sim, token, "POST", "/subscriptions", body({ expirationDateTime: inMinutes(41_761) }));
    assert.equal(over.status, 400);
    assert.equal(errorCode(over), "ExtensionError");
    assert.equal(errorMessage(over), "Subscription expiration can only be 41760 minutes in the future.");
    const past = await call(sim, token, "POST", "/subscriptions", body({ expirationDateTime: inMinutes(-1) }));
    assert.equal(past.status, 400);
    const missing = await call(sim, token, "POST", "/subscriptions", body({ expirationDateTime: undefined }));
    assert.equal(missing.status, 400);
    assert.equal(errorCode(missing), "InvalidRequest");
    assert.equal(sim.subscriptions().length, 1);
  });

  test("clientState: 128 characters accepted, 129 → 400 InvalidRequest without a validation request", async () => {
    assert.equal(
      (await call(sim, token, "POST", "/subscriptions", body({ clientState: "x".repeat(128) }))).status,
      201,
    );
    hook.reset();
    const answer = await call(sim, token, "POST", "/subscriptions", body({ clientState: "x".repeat(129) }));
    assert.equal(answer.status, 400);
    assert.equal(errorCode(answer), "InvalidRequest");
    assert.equal(hook.validations().length, 0);
  });

  test("body checks: changeType outside {updated, deleted}, unsupported resource, unknown group → 400/404", async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ changeType: "created,updated" }, 400, "InvalidRequest"],
      [{ changeType: "" }, 400, "InvalidRequest"],
      [{ resource: "me/messages" }, 400, "InvalidRequest"],
      [{ resource: `groups/${GROUP_ID}/owners` }, 400, "InvalidRequest"],
      [{ resource: "groups/00000000-0000-4000-8000-000000000000" }, 404, "Request_ResourceNotFound"],
      [{ resource: "users/nobody@contoso.example" }, 404, "Request_ResourceNotFound"],
      [{ notificationUrl: "not a url" }, 400, "InvalidRequest"],
      [{ includeResourceData: true }, 400, "InvalidRequest"],
    ];
    for (const [overrides, status, code] of cases) {
      const answer = await call(sim, token, "POST", "/subscriptions", body(overrides));
      assert.equal(answer.status, status, JSON.stringify(overrides));
      assert.equal(errorCode(answer), code, JSON.stringify(overrides));
    }
    assert.equal(hook.validations().length, 0);
    for (const resource of [
      `Groups/${GROUP_ID}`,
      `/groups/${GROUP_ID}/members`,
      "USERS",
      "users/ada@contoso.example",
    ]) {
      assert.equal((await call(sim, token, "POST", "/subscriptions", body({ resource }))).status, 201, resource);
    }
  });

  test("an injected 429 hits POST /subscriptions before any validation request", async () => {
    sim.faults.inject({ match: "/subscriptions", status: 429, retryAfter: "1" });
    const before = sim.requests.count("POST /subscriptions");
    const answer = await call(sim, token, "POST", "/subscriptions", body());
    assert.equal(answer.status, 429);
    assert.equal(errorCode(answer), "TooManyRequests");
    assert.equal(hook.validations().length, 0);
    assert.equal(sim.requests.count("POST /subscriptions"), before + 1);
    assert.equal((await call(sim, token, "POST", "/subscriptions", body())).status, 201);
  });
});

describe("subscription URL scheme and quota", () => {
  test("http:// URLs are refused unless allowHttpNotificationUrls", async () => {
    const hook = await WebhookRecorder.start();
    const sim = await startSim({ allowHttpNotificationUrls: false });
    try {
      const token = await tokenFor(sim);
      const answer = await call(sim, token, "POST", "/subscriptions", {
        changeType: "updated",
        notificationUrl: `${hook.origin}/notify?code=secret`,
        resource: "users",
        expirationDateTime: inMinutes(60),
        clientState: "s",
      });
      assert.equal(answer.status, 400);
      assert.equal(errorCode(answer), "InvalidRequest");
      assert.match(errorMessage(answer), /https/);
      assert.doesNotMatch(errorMessage(answer), /secret/);
      assert.equal(hook.posts.length, 0);
    } finally {
      await sim.close();
      await hook.close();
    }
  });

  test("quota: the third subscription with subscriptionQuota 2 → 403; after a DELETE there is room again", async () => {
    const hook = await WebhookRecorder.start();
    const sim = await startSim({ subscriptionQuota: 2 });
    try {
      const token = await tokenFor(sim);
      const create = () =>
        call(sim, token, "POST", "/subscriptions", {
          changeType: "updated",
          notificationUrl: `${hook.origin}/notify`,
          resource: "groups",
          expirationDateTime: inMinutes(60),
          clientState: "s",
        });
      const first = await create();
      assert.equal((await create()).status, 201);
      const refused = await create();
      assert.equal(refused.status, 403);
      assert.match(errorMessage(refused), /maximum number of subscriptions \(2\)/);
      assert.equal(hook.validations().length, 2, "a refused creation sends no validation request");
      const id = String((first.body as { id: string }).id);
      assert.equal((await call(sim, token, "DELETE", `/subscriptions/${id}`)).status, 204);
      assert.equal((await create()).status, 201);
    } finally {
      await sim.close();
      await hook.close();
    }
  });
});

describe("GET, PATCH, reauthorize, DELETE /subscriptions/{id}", () => {
  let clock = START;
  let sim: GraphSim;
  let hook: WebhookRecorder;
  let token: string;
  let id: string;

  before(async () => {
    hook = await WebhookRecorder.start();
    sim = await startSim({ now: () => clock });
    token = await tokenFor(sim);
    const created = await call(sim, token, "POST", "/subscriptions", {
      changeType: "updated",
      notificationUrl: `${hook.origin}/notify`,
      resource: `groups/${GROUP_ID}/members`,
      expirationDateTime: inMinutes(60),
      clientState: "s",
    });
    id = (created.body as { id: string }).id;
  });
  after(async () => {
    await sim.close();
    await hook.close();
  });

  test("GET lists and reads it; PATCH renews (200, new expiry); an over-limit renewal → 400 ExtensionError", async () => {
    const list = (await call(sim, token, "GET", "/subscriptions")).body as {
      value: Array<{ id: string; clientState: unknown }>;
    };
    assert.deepEqual(
      list.value.map((item) => item.id),
      [id],
    );
    assert.equal(list.value[0]?.clientState, null, "lists never carry clientState (docs#4807)");
    const one = await call(sim, token, "GET", `/subscriptions/${id}`);
    assert.equal(one.status, 200);
    assert.notEqual((one.body as { clientState: unknown }).clientState, null, "a single GET does");
    assert.equal((one.body as { expirationDateTime: string }).expirationDateTime, "2026-03-01T13:00:00Z");

    const renewed = await call(sim, token, "PATCH", `/subscriptions/${id}`, { expirationDateTime: inMinutes(41_000) });
    assert.equal(renewed.status, 200);
    assert.equal(
      (renewed.body as { expirationDateTime: string }).expirationDateTime,
      inMinutes(41_000).replace(".000Z", "Z"),
    );
    assert.equal(
      (renewed.body as { "@odata.context": string })["@odata.context"],
      `${sim.url}/v1.0/$metadata#subscriptions/$entity`,
    );

    const over = await call(sim, token, "PATCH", `/subscriptions/${id}`, { expirationDateTime: inMinutes(50_000) });
    assert.equal(over.status, 400);
    assert.equal(errorCode(over), "ExtensionError");
    const lifecycle = await call(sim, token, "PATCH", `/subscriptions/${id}`, {
      expirationDateTime: inMinutes(100),
      lifecycleNotificationUrl: `${hook.origin}/lifecycle`,
    });
    assert.equal(lifecycle.status, 400, "a lifecycle URL cannot be added by PATCH");
  });

  test("POST /reauthorize → 204; unknown ids → 404 ResourceNotFound everywhere", async () => {
    const reauthorized = await call(sim, token, "POST", `/subscriptions/${id}/reauthorize`);
    assert.equal(reauthorized.status, 204);
    assert.equal(reauthorized.body, "");
    const unknown = "99999999-9999-4999-8999-999999999999";
    for (const [method, path, payload] of [
      ["GET", `/subscriptions/${unknown}`, undefined],
      ["PATCH", `/subscriptions/${unknown}`, { expirationDateTime: inMinutes(30) }],
      ["POST", `/subscriptions/${unknown}/reauthorize`, undefined],
      ["DELETE", `/subscriptions/${unknown}`, undefined],
    ] as const) {
      const answer = await call(sim, token, method, path, payload);
      assert.equal(answer.status, 404, `${method} ${path}`);
      assert.equal(errorCode(answer), "ResourceNotFound");
    }
    assert.equal((await call(sim, token, "PUT", `/subscriptions/${id}`)).status, 405);
  });

  test("subscriptions work inside $batch too", async () => {
    const batch = await call(sim, token, "POST", "/$batch", {
      requests: [{ id: "1", method: "GET", url: `/subscriptions/${id}` }],
    });
    const [inner] = (batch.body as { responses: Array<{ status: number; body: { id: string } }> }).responses;
    assert.equal(inner?.status, 200);
    assert.equal(inner?.body.id, id);
  });

  test("an expired subscription answers 404 and leaves the list; DELETE of a live one → 204", async () => {
    const second = await call(sim, token, "POST", "/subscriptions", {
      changeType: "updated",
      notificationUrl: `${hook.origin}/notify`,
      resource: "users",
      expirationDateTime: new Date(clock.getTime() + 10 * MINUTE).toISOString(),
      clientState: "s",
    });
    const secondId = (second.body as { id: string }).id;
    clock = new Date(clock.getTime() + 11 * MINUTE);
    assert.equal((await call(sim, token, "GET", `/subscriptions/${secondId}`)).status, 404);
    assert.equal(
      (await call(sim, token, "PATCH", `/subscriptions/${secondId}`, { expirationDateTime: inMinutes(600) })).status,
      404,
    );
    assert.deepEqual(
      sim.subscriptions().map((subscription) => subscription.id),
      [id],
    );
    assert.equal((await call(sim, token, "DELETE", `/subscriptions/${id}`)).status, 204);
    assert.equal((await call(sim, token, "GET", `/subscriptions/${id}`)).status, 404);
    assert.deepEqual(sim.subscriptions(), []);
  });
});
