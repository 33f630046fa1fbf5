/**
 * The Graph simulator's change-notification emitter delivers as contract §3.3-3.4 says Graph does: one notification
 * per covering subscription and change, Graph's exact shape, batched per URL, retried, optionally duplicated, held
 * while reauthorization is pending, never after expiry, query string preserved.
 * Run with NODE_EXTRA_CA_CERTS pointing at the sandbox certificate (see sim/tls/main.ts).
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { type GraphSim, type NotificationSettings, startGraphSim, WebhookRecorder } from "../../sim/graph/index.js";
import * as webhookPoster from "../../sim/graph/post-webhook.js";

const START = new Date("2026-03-01T12:00:00Z");
const MINUTE = 60_000;
const FINANCE = "11111111-2222-4333-8444-555555555555";
const SALES = "11111111-2222-4333-8444-666666666666";
const ADA = "aaaaaaaa-bbbb-4ccc-8ddd-000000000001";
const BOB = "aaaaaaaa-bbbb-4ccc-8ddd-000000000002";

const FAST: Partial<NotificationSettings> = {
  notificationBatchWindowMs: 20,
  notificationDelayMs: 0,
  duplicateNotifications: false,
  deliveryTimeoutMs: 1000,
  retryScheduleMs: [30, 30],
  includeMembersDelta: false,
  reauthorizationPause: "queue",
};

describe("change notifications", () => {
  let clock = START;
  let sim: GraphSim;
  let hook: WebhookRecorder;
  let token: string;

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${sim.url}/v1.0${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : "" };
  }

  async function subscribe(resource: string, overrides: Record<string, unknown> = {}): Promise<string> {
    const answer = await call("POST", "/subscriptions", {
      changeType: "updated,deleted",
      notificationUrl: `${hook.origin}/api/graph-notify?code=abc`,
      resource,
      expirationDateTime: new Date(clock.getTime() + 60 * MINUTE).toISOString(),
      clientState: "SecretClientState",
      ...overrides,
    });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    return (answer.body as { id: string }).id;
  }

  /** Change notifications received so far, flattened, with the subscription and resource of each. */
  function received(): Array<{ subscriptionId: string; resource: string; changeType: string }> {
    return hook.notifications().flatMap((post) =>
      post.value.map((item) => ({
        subscriptionId: String(item.subscriptionId),
        resource: String(item.resource),
        changeType: String(item.changeType),
      })),
    );
  }

  before(async () => {
    hook = await WebhookRecorder.start();
    sim = await startGraphSim({
      now: () => clock,
      allowHttpNotificationUrls: true,
      notifications: FAST,
      seed: {
        users: [
          { id: ADA, userPrincipalName: "ada@contoso.example" },
          { id: BOB, userPrincipalName: "bob@contoso.example" },
        ],
        groups: [
          { id: FINANCE, displayName: "Finance", members: [ADA] },
          { id: SALES, displayName: "Sales" },
        ],
      },
    });
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
    token = ((await response.json()) as { access_token: string }).access_token;
  });
  after(async () => {
    await sim.close();
    await hook.close();
  });
  beforeEach(async () => {
    sim.notifications.resume();
    for (const subscription of sim.subscriptions()) await call("DELETE", `/subscriptions/${String(subscription.id)}`);
    await sim.notifications.flush();
    Object.assign(sim.notifications.settings, FAST);
    hook.reset();
  });

  test("membership add and remove → Graph's exact notification shape, ?code=abc kept, JSON POST", async () => {
    const id = await subscribe(`groups/${FINANCE}/members`);
    sim.directory.addMember(FINANCE, BOB);
    sim.directory.removeMember(FINANCE, BOB);
    await sim.notifications.flush();

    const [post, ...more] = hook.notifications();
    assert.equal(more.length, 0, "both changes arrive in one batched POST");
    assert.ok(post);
    assert.equal(post.path, "/api/graph-notify");
    assert.equal(post.query.get("code"), "abc");
    assert.equal(post.contentType, "application/json; charset=utf-8");
    assert.deepEqual(Object.keys(JSON.parse(post.body) as object), ["value"]);
    assert.equal(post.value.length, 2);
    const [added, removed] = post.value as Array<Record<string, unknown> & { resourceData: Record<string, unknown> }>;
    assert.ok(added && removed);
    assert.deepEqual(added, {
      id: added.id,
      subscriptionId: id,
      subscriptionExpirationDateTime: "2026-03-01T13:00:00Z",
      clientState: "SecretClientState",
      changeType: "updated",
      resource: `Groups/${FINANCE}`,
      resourceData: {
        "@odata.type": "#Microsoft.Graph.Group",
        "@odata.id": `Groups/${FINANCE}`,
        id: FINANCE,
        organizationId: sim.tenantId,
        eventTime: "2026-03-01T12:00:00.000Z",
        sequenceNumber: added.resourceData.sequenceNumber,
      },
      tenantId: sim.tenantId,
    });
    assert.match(String(added.id), /^[0-9a-f-]{36}$/);
    assert.notEqual(added.id, removed.id);
    assert.equal(removed.changeType, "updated");
    assert.ok(Number(removed.resourceData.sequenceNumber) > Number(added.resourceData.sequenceNumber));
    assert.equal("members@delta" in added.resourceData, false);
    assert.deepEqual(
      sim.notifications.deliveries.filter((delivery) => delivery.kind === "change"),
      [
        {
          kind: "change",
          url: `${hook.origin}/api/graph-notify`,
          status: 202,
          outcome: "delivered",
          attempt: 1,
          count: 2,
          ms: sim.notifications.deliveries.at(-1)?.ms,
        },
      ],
    );
  });

  test("group, group-members and groups subscriptions all hear a group's change, in one POST; other groups' do not", async () => {
    const collection = await subscribe("groups");
    const single = await subscribe(`groups/${FINANCE}`);
    const members = await subscribe(`groups/${FINANCE}/members`);
    await subscribe(`groups/${SALES}`);
    await subscribe("users");
    sim.directory.updateGroup(FINANCE, { description: "Money" });
    await sim.notifications.flush();
    assert.equal(hook.notifications().length, 1);
    assert.deepEqual(
      received().map((item) => item.subscriptionId),
      [collection, single, members],
    );
  });

  test("user disable → users and users/{id} subscriptions notified with Users/<id> and #Microsoft.Graph.User", async () => {
    const users = await subscribe("users");
    const ada = await subscribe(`users/${ADA}`);
    await subscribe(`users/${BOB}`);
    await subscribe(`groups/${FINANCE}`);
    sim.directory.disableUser(ADA);
    await sim.notifications.flush();
    const items = hook.notifications().flatMap((post) => post.value);
    assert.deepEqual(
      items.map((item) => item.subscriptionId),
      [users, ada],
    );
    for (const item of items) {
      assert.equal(item.resource, `Users/${ADA}`);
      assert.equal(item.changeType, "updated");
      assert.deepEqual(
        { ...(item.resourceData as object), eventTime: undefined, sequenceNumber: undefined },
        {
          "@odata.type": "#Microsoft.Graph.User",
          "@odata.id": `Users/${ADA}`,
          id: ADA,
          organizationId: sim.tenantId,
          eventTime: undefined,
          sequenceNumber: undefined,
        },
      );
    }
  });

  test("changeType: soft delete is `updated`, permanent delete `deleted`; each only to subscriptions asking for it", async () => {
    const updatedOnly = await subscribe("users", { changeType: "updated" });
    const deletedOnly = await subscribe("users", { changeType: "deleted" });
    const carol = sim.directory.addUser({ userPrincipalName: "carol@contoso.example" });
    sim.directory.deleteUser(carol.id);
    const dave = sim.directory.addUser({ userPrincipalName: "dave@contoso.example" });
    sim.directory.deleteUser(dave.id, { reason: "deleted" });
    await sim.notifications.flush();
    assert.deepEqual(received(), [
      { subscriptionId: updatedOnly, resource: `Users/${carol.id}`, changeType: "updated" },
      { subscriptionId: updatedOnly, resource: `Users/${carol.id}`, changeType: "updated" },
      { subscriptionId: updatedOnly, resource: `Users/${dave.id}`, changeType: "updated" },
      { subscriptionId: deletedOnly, resource: `Users/${dave.id}`, changeType: "deleted" },
    ]);
  });

  test("batching: several changes within the window share one POST per URL; another URL gets its own", async () => {
    await subscribe("groups");
    await subscribe("users", { notificationUrl: `${hook.origin}/other` });
    sim.directory.addMember(SALES, ADA);
    sim.directory.addMember(SALES, BOB);
    sim.directory.updateGroup(SALES, { description: "Deals" });
    sim.directory.updateUser(BOB, { jobTitle: "Seller" });
    await sim.notifications.flush();
    const posts = hook.notifications();
    assert.deepEqual(posts.map((post) => [post.path, post.value.length]).sort(), [
      ["/api/graph-notify", 3],
      ["/other", 1],
    ]);
  });

  test("retries: 500 then 503 then 202 → three attempts, delivered once", async () => {
    await subscribe(`groups/${SALES}`);
    const mark = sim.notifications.deliveries.length;
    hook.notificationStatuses = [500, 503];
    sim.directory.updateGroup(SALES, { description: "Retry" });
    await sim.notifications.flush();
    const attempts = sim.notifications.deliveries.slice(mark).filter((delivery) => delivery.kind === "change");
    assert.deepEqual(
      attempts.map((delivery) => [delivery.attempt, delivery.status, delivery.outcome]),
      [
        [1, 500, "rejected"],
        [2, 503, "rejected"],
        [3, 202, "delivered"],
      ],
    );
    assert.equal(hook.notifications().length, 3);
    assert.equal(sim.notifications.pending(), 0);
  });

  test("a webhook that keeps failing, hangs past the timeout, or is gone: dropped after the schedule, sim unharmed", async () => {
    const droppedBefore = sim.notifications.dropped.length;
    const mark = sim.notifications.deliveries.length;
    sim.notifications.settings.retryScheduleMs = [10];
    await subscribe(`groups/${SALES}`);
    hook.defaultStatus = 500;
    sim.directory.updateGroup(SALES, { description: "Failing" });
    await sim.notifications.flush();
    hook.defaultStatus = 202;
    hook.hangNotifications = true;
    sim.notifications.settings.deliveryTimeoutMs = 100;
    sim.directory.updateGroup(SALES, { description: "Hanging" });
    await sim.notifications.flush();

    const gone = await WebhookRecorder.start();
    await subscribe("users", { notificationUrl: `${gone.origin}/notify` });
    await gone.close();
    sim.directory.updateUser(BOB, { jobTitle: "Gone" });
    await sim.notifications.flush();

    const outcomes = sim.notifications.deliveries
      .slice(mark)
      .filter((delivery) => delivery.kind === "change")
      .map((delivery) => `${delivery.attempt}:${delivery.outcome}`);
    assert.deepEqual(outcomes, [
      "1:rejected",
      "2:rejected",
      "1:timeout",
      "2:timeout",
      "1:connection-error",
      "2:connection-error",
    ]);
    assert.deepEqual(
      sim.notifications.dropped.slice(droppedBefore).map((drop) => [drop.url, drop.reason]),
      [
        [`${hook.origin}/api/graph-notify`, "retries-exhausted"],
        [`${hook.origin}/api/graph-notify`, "retries-exhausted"],
        [`${gone.origin}/notify`, "retries-exhausted"],
      ],
    );
    assert.equal(sim.notifications.pending(), 0);
    assert.equal((await call("GET", "/subscriptions")).status, 200);
  });

  test("duplicateNotifications: every POST is delivered twice with the same body", async () => {
    await subscribe(`groups/${SALES}`);
    sim.notifications.settings.duplicateNotifications = true;
    sim.directory.updateGroup(SALES, { description: "Twice" });
    await sim.notifications.flush();
    const posts = hook.notifications();
    assert.equal(posts.length, 2);
    assert.equal(posts[0]?.body, posts[1]?.body);
  });

  test("notificationDelayMs holds delivery back; pause() parks it until resume()", async (t) => {
    await subscribe(`groups/${SALES}`);
    sim.notifications.settings.notificationDelayMs = 150;
    // The emitter's timers are the test's, and its POSTs are watched (and still made): 1 ms short of window + delay
    // none has started; at it, the POST starts.
    const posts = t.mock.method(webhookPoster, "postWebhook");
    t.mock.timers.enable({ apis: ["setTimeout"] });
    try {
      sim.directory.updateGroup(SALES, { description: "Late" });
      t.mock.timers.tick(sim.notifications.settings.notificationBatchWindowMs + 149);
      assert.equal(posts.mock.callCount(), 0);
      assert.equal(sim.notifications.pending(), 1);
      t.mock.timers.tick(1);
      assert.equal(posts.mock.callCount(), 1);
    } finally {
      t.mock.timers.reset();
    }
    await sim.notifications.flush();
    assert.equal(hook.notifications().length, 1);

    sim.notifications.settings.notificationDelayMs = 0;
    sim.notifications.pause();
    sim.directory.updateGroup(SALES, { description: "Parked" });
    await sim.notifications.flush();
    assert.equal(hook.notifications().length, 1);
    assert.equal(sim.notifications.pending(), 1);
    sim.notifications.resume();
    await sim.notifications.flush();
    assert.equal(hook.notifications().length, 2);
    assert.equal(sim.notifications.pending(), 0);
  });

  test("includeMembersDelta adds members@delta with the member, @removed on removal", async () => {
    const erin = sim.directory.addUser({ userPrincipalName: "erin@contoso.example" });
    await subscribe(`groups/${SALES}`);
    sim.notifications.settings.includeMembersDelta = true;
    sim.directory.addMember(SALES, erin.id);
    sim.directory.removeMember(SALES, erin.id);
    await sim.notifications.flush();
    const deltas = hook
      .notifications()
      .flatMap((post) => post.value)
      .map((item) => (item.resourceData as Record<string, unknown>)["members@delta"]);
    assert.deepEqual(deltas, [
      [{ "@odata.type": "#microsoft.graph.user", id: erin.id }],
      [{ "@odata.type": "#microsoft.graph.user", id: erin.id, "@removed": { reason: "deleted" } }],
    ]);
  });

  test("reauthorizationRequired → lifecycle POST; change notifications held until POST /reauthorize", async () => {
    const id = await subscribe(`groups/${SALES}`, {
      lifecycleNotificationUrl: `${hook.origin}/api/graph-lifecycle?code=life`,
    });
    sim.notifications.emitLifecycle(id, "reauthorizationRequired");
    await sim.notifications.flush();
    const lifecycle = hook.notifications().find((post) => post.path === "/api/graph-lifecycle");
    assert.ok(lifecycle);
    assert.equal(lifecycle.query.get("code"), "life");
    assert.deepEqual(lifecycle.value, [
      {
        subscriptionId: id,
        subscriptionExpirationDateTime: "2026-03-01T13:00:00Z",
        tenantId: sim.tenantId,
        clientState: "SecretClientState",
        lifecycleEvent: "reauthorizationRequired",
      },
    ]);

    sim.directory.addMember(SALES, sim.directory.addUser({ userPrincipalName: "frank@contoso.example" }).id);
    await sim.notifications.flush();
    assert.equal(hook.notifications().filter((post) => post.path === "/api/graph-notify").length, 0);
    assert.equal(sim.notifications.pending(), 1);

    assert.equal((await call("POST", `/subscriptions/${id}/reauthorize`)).status, 204);
    await sim.notifications.flush();
    assert.deepEqual(received().slice(1), [{ subscriptionId: id, resource: `Groups/${SALES}`, changeType: "updated" }]);
    assert.equal(sim.notifications.pending(), 0);
  });

  test("reauthorizationPause 'drop': changes during the pause are lost; a renewing PATCH resumes delivery", async () => {
    sim.notifications.settings.reauthorizationPause = "drop";
    const id = await subscribe(`groups/${SALES}`, { lifecycleNotificationUrl: `${hook.origin}/api/graph-lifecycle` });
    sim.notifications.emitLifecycle(id, "reauthorizationRequired");
    sim.directory.updateGroup(SALES, { description: "Lost" });
    await sim.notifications.flush();
    assert.equal(sim.notifications.pending(), 0);
    assert.equal(sim.notifications.dropped.at(-1)?.reason, "awaiting-reauthorization");
    const renewal = { expirationDateTime: new Date(clock.getTime() + 120 * MINUTE).toISOString() };
    assert.equal((await call("PATCH", `/subscriptions/${id}`, renewal)).status, 200);
    sim.directory.updateGroup(SALES, { description: "Heard" });
    await sim.notifications.flush();
    assert.deepEqual(
      hook.notifications().map((post) => post.path),
      ["/api/graph-lifecycle", "/api/graph-notify"],
    );
    assert.throws(() => sim.notifications.emitLifecycle("00000000-0000-4000-8000-000000000000", "missed"));
  });

  test("an expired subscription is not notified", async () => {
    await subscribe(`groups/${SALES}`, { expirationDateTime: new Date(clock.getTime() + 5 * MINUTE).toISOString() });
    clock = new Date(clock.getTime() + 6 * MINUTE);
    sim.directory.updateGroup(SALES, { description: "Nobody listens" });
    await sim.notifications.flush();
    assert.equal(hook.notifications().length, 0);
    assert.deepEqual(sim.subscriptions(), []);
  });
});
