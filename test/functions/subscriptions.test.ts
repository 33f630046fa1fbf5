import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { InvocationContext, type Timer } from "@azure/functions";
import { createSubscriptionsHandler } from "../../src/functions/subscriptions.js";
import type { LiveDeps } from "../../src/live/live-deps.js";
import { maintainSubscriptions, SUBSCRIPTIONS_LEASE } from "../../src/live/maintain-subscriptions.js";
import { StateUnavailableError } from "../../src/state/state-errors.js";
import { groupNotification, startWebhookHarness, type WebhookHarness } from "../helpers/webhook-harness.js";

// The subscriptions timer and its upkeep against the Graph simulator (real HTTPS, real validation handshakes to the
// production notifications function) with state in a real, in-process Azurite. Time moves only by the test clock.

let h: WebhookHarness;
let sales: string;
let engineering: string;

before(async () => {
  h = await startWebhookHarness();
  sales = h.sim.directory.addGroup({ displayName: "Sales" }).id;
  engineering = h.sim.directory.addGroup({ displayName: "Engineering" }).id;
});
after(() => h.close());

beforeEach(async () => {
  // Each test starts with no subscription anywhere.
  h.sim.faults.clear();
  for (const s of await h.deps.entra.listSubscriptions()) await h.deps.entra.deleteSubscription(s.id);
  for (const r of await h.deps.state.listSubscriptions()) await h.deps.state.deleteSubscription(r.id);
});

const timer: Timer = {
  isPastDue: false,
  schedule: { adjustForDST: true },
  scheduleStatus: { last: "", next: "", lastUpdated: "" },
};
const runTimer = (deps: LiveDeps = h.deps) =>
  createSubscriptionsHandler(async () => deps)(
    timer,
    new InvocationContext({ invocationId: "t", functionName: "subscriptions", logHandler: () => {} }),
  );

/** Graph's live subscriptions, with the clientState Graph holds for each. */
const atGraph = () =>
  h.sim.subscriptions().map((s) => ({ id: String(s.id), resource: String(s.resource), secret: String(s.clientState) }));

const accepted = async (subscriptionId: string, secret: string): Promise<boolean> =>
  (await h.notify([groupNotification(h.sim, subscriptionId, secret, sales)])).messages.length === 1;

test("subscriptions timer, first run before any reconcile → one subscription per configured group plus users (#9)", async () => {
  assert.deepEqual(await h.deps.state.listDeltaChains("groups"), [], "no reconcile has run");
  await runTimer();
  assert.deepEqual(
    atGraph()
      .map((s) => s.resource)
      .sort(),
    [`groups/${engineering}`, `groups/${sales}`, "users"].sort(),
  );
  const [run] = await h.deps.state.listRuns({ limit: 1 });
  assert.equal(run?.status, "succeeded", run?.errors.join("; "));
  assert.equal(run?.counts.created, 3);
});

test("the state keeps each clientState sealed and each URL without its function key", async () => {
  await runTimer();
  const secrets = atGraph().map((s) => s.secret);
  for (const record of await h.deps.state.listSubscriptions()) {
    assert.match(record.clientState, /^sha256:/);
    assert.ok(!secrets.includes(record.clientState), "the secret itself is not stored");
    assert.ok(!record.notificationUrl.includes("code="), record.notificationUrl);
  }
});

test("rotation: a due subscription is replaced with a fresh clientState; both are accepted during the rotation, the old one not after (#11)", async () => {
  await runTimer();
  const first = atGraph().find((s) => s.resource === `groups/${sales}`)!;
  assert.ok(await accepted(first.id, first.secret), "the first secret is accepted");

  // Every subscription is now within SUBSCRIPTION_RENEW_BEFORE_MINUTES (1,440) of its 4,320-minute lifetime.
  h.clock.advanceMinutes(3_000);
  // The old subscriptions cannot be deleted this time: the rotation stays half done, both subscriptions live.
  h.sim.faults.inject({ match: "/v1.0/subscriptions/", status: 403, times: 3 });
  await runTimer();
  const during = atGraph().filter((s) => s.resource === `groups/${sales}`);
  assert.equal(during.length, 2, "old and new subscription both exist");
  const second = during.find((s) => s.id !== first.id)!;
  assert.notEqual(second.secret, first.secret, "the new subscription has a fresh secret");
  assert.ok(await accepted(first.id, first.secret), "the previous secret is still accepted during the rotation");
  assert.ok(await accepted(second.id, second.secret), "the new secret is accepted");
  assert.ok(!(await accepted(second.id, first.secret)), "a secret is accepted only for its own subscription");
  const [partial] = await h.deps.state.listRuns({ limit: 1 });
  assert.equal(partial?.status, "partial");

  await runTimer();
  assert.deepEqual(
    atGraph()
      .filter((s) => s.resource === `groups/${sales}`)
      .map((s) => s.id),
    [second.id],
    "the old subscription is gone at Graph",
  );
  assert.ok(!(await accepted(first.id, first.secret)), "the previous secret is refused once its subscription is gone");
  assert.ok(await accepted(second.id, second.secret));
  assert.equal(atGraph().length, 3);
});

test("rotation without room (Graph's quota) renews the subscriptions in place instead", async () => {
  const full = await startWebhookHarness({ graph: { subscriptionQuota: 3 } });
  try {
    full.sim.directory.addGroup({ displayName: "Sales" });
    full.sim.directory.addGroup({ displayName: "Engineering" });
    const ids = () => full.sim.subscriptions().map((s) => String(s.id));
    await runTimer(full.deps);
    const before = ids();
    assert.equal(before.length, 3, "the quota is used up");
    full.clock.advanceMinutes(3_000);
    await runTimer(full.deps);
    assert.deepEqual(ids(), before, "the same subscriptions, renewed");
    const [run] = await full.deps.state.listRuns({ limit: 1 });
    assert.equal(run?.counts.renewed, 3);
    assert.equal(run?.status, "succeeded", run?.errors.join("; "));
  } finally {
    await full.close();
  }
});

test("subscriptions at Graph for this app's URL but unknown to the state are deleted; others' are kept (#9)", async () => {
  const create = (url: string, resource: string) =>
    h.deps.entra.createSubscription({
      resource,
      changeType: "updated,deleted",
      notificationUrl: url,
      expirationDateTime: new Date(h.clock.now().getTime() + 60 * 60_000),
      clientState: "orphan-client-state",
    });
  // Ours, with another function key (a key rotated since); and another deployment's, sharing the app registration.
  const orphan = await create(`${h.origin}/api/graph/notifications?code=older-key`, `groups/${sales}`);
  const foreign = await create(`${h.origin}/elsewhere/notify?code=theirs`, `groups/${sales}`);
  await runTimer();
  const ids = atGraph().map((s) => s.id);
  assert.ok(!ids.includes(orphan.id), "the orphan pointing here is deleted");
  assert.ok(ids.includes(foreign.id), "the subscription pointing elsewhere is kept");
  assert.equal(ids.length, 4, "ours (3) and the foreign one");
});

test("saving a subscription fails after Graph created it → the Graph subscription is deleted again (#9)", async () => {
  const failing: LiveDeps = {
    ...h.deps,
    state: Object.assign(Object.create(h.deps.state) as LiveDeps["state"], {
      saveSubscription: async () => {
        throw new StateUnavailableError("Table Storage failed to save the subscription (injected).", 503);
      },
    }),
  };
  const upkeep = await maintainSubscriptions(failing, [sales]);
  assert.equal(upkeep.failed.length, 2, upkeep.failed.join("; "));
  assert.deepEqual(atGraph(), [], "no orphan left at Graph");
});

test("another instance holding the upkeep lease → this one changes nothing", async () => {
  const lease = await h.deps.state.acquireLease(SUBSCRIPTIONS_LEASE, "other-instance", 60_000);
  assert.ok(lease);
  try {
    const upkeep = await maintainSubscriptions(h.deps, [sales]);
    assert.equal(upkeep.skipped, "busy");
    assert.deepEqual(atGraph(), []);
  } finally {
    await h.deps.state.releaseLease(lease);
  }
});

test("the webhook's subscription lookups: a record read once serves a minute; a miss is read again at once", async () => {
  const { cachedSubscriptions, SUBSCRIPTION_CACHE_MS } = await import("../../src/live/cached-subscriptions.js");
  let reads = 0;
  let now = 0;
  let stored: { id: string } | undefined;
  const lookup = cachedSubscriptions(
    async () => {
      reads++;
      return stored as never;
    },
    () => now,
  );
  assert.equal(await lookup("s1"), undefined);
  stored = { id: "s1" };
  assert.deepEqual(await lookup("s1"), { id: "s1" }, "a miss is not kept: a new subscription is seen at once");
  await lookup("s1");
  assert.equal(reads, 2, "then served from the cache");
  now += SUBSCRIPTION_CACHE_MS;
  await lookup("s1");
  assert.equal(reads, 3, "read again after a minute");
});
