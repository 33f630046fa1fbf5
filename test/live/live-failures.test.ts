import assert from "node:assert/strict";
import { test } from "node:test";
import { type LiveLab, type LiveLabOptions, startLiveLab } from "../../sim/sandbox/live-lab.js";
import { processSyncMessage } from "../../src/live/process-sync-message.js";
import { MIN_ROUND_INTERVAL_MS } from "../../src/live/sync-groups.js";
import { groupMessage } from "../../src/live/sync-message.js";
import { miMembers, seedTenant, type TestTenant } from "../cli/tenant.js";
import { eventually } from "../helpers/eventually.js";

// The live path when things go wrong: duplicates, reordering, expired delta state, a worker dying mid-message, two
// workers racing, poison messages, and the timer reconcile on top of the same state.

const SYNC = { SYNC_GROUPS: "Sales;Engineering", SYNC_AUTO_CREATE: "all", SYNC_RETRY_BASE_SECONDS: "1" };

async function withLive(
  fn: (live: LiveLab, tenant: TestTenant) => Promise<void>,
  options: Partial<LiveLabOptions> = {},
): Promise<void> {
  const live = await startLiveLab({ sync: SYNC, ...options });
  try {
    const tenant = seedTenant(live.lab);
    await live.reconcile();
    await live.runner.idle();
    await fn(live, tenant);
  } finally {
    await live.close();
  }
}

test("duplicate notifications: every change applied exactly once, final state exact", () =>
  withLive(async (live, tenant) => {
    live.lab.graph.notifications.settings.duplicateNotifications = true;
    live.lab.mi.requests.reset();
    live.lab.graph.directory.addMember(tenant.groups.Engineering!, tenant.users.dan!);
    await eventually(() => miMembers(live.lab, "Engineering").includes("dan@contoso.com"), "dan added");
    await live.lab.graph.notifications.flush();
    await live.runner.idle();
    const creates = live.lab.mi.requests.entries.filter(
      (e) => e.method === "POST" && e.path.startsWith("/api/user") && !e.path.includes("member"),
    );
    assert.equal(creates.length, 1, "dan created once");
    const adds = live.lab.mi.requests.entries.filter(
      (e) => e.method === "POST" && e.path.startsWith("/api/user_group_member"),
    );
    assert.equal(adds.length, 1, "one membership write despite the duplicate");
  }));

test("out-of-order and replayed messages converge: the worker reads the truth, not the message", () =>
  withLive(async (live, tenant) => {
    live.lab.graph.notifications.pause();
    live.lab.graph.directory.addMember(tenant.groups.Sales!, tenant.users.cat!);
    live.lab.graph.directory.removeMember(tenant.groups.Sales!, tenant.users.cat!);
    live.lab.graph.directory.removeMember(tenant.groups.Sales!, tenant.users.bob!);
    const at = new Date();
    // A stale message from before the changes arrives after them, then a replay: both harmless.
    await live.deps.queue.send(groupMessage(tenant.groups.Sales!, "notification", new Date(at.getTime() - 60_000)));
    await live.deps.queue.send(groupMessage(tenant.groups.Sales!, "notification", at));
    await live.runner.idle();
    assert.deepEqual(miMembers(live.lab, "Sales"), [
      "ann@contoso.com",
      "jane_partner.com#EXT#@contoso.onmicrosoft.com",
    ]);
    live.lab.graph.notifications.resume();
  }));

test("expired or reset delta state → the chain is resynced in full, not a failure", () =>
  withLive(async (live, tenant) => {
    live.lab.graph.notifications.pause();
    live.lab.graph.directory.addMember(tenant.groups.Engineering!, tenant.users.ann!);
    live.lab.graph.faults.resetDeltaTokens();
    await live.deps.queue.send(groupMessage(tenant.groups.Sales!, "notification", new Date()));
    await live.runner.idle();
    // Engineering changed too, although the message named Sales: the reset resynced the whole chain.
    assert.ok(miMembers(live.lab, "Engineering").includes("ann@contoso.com"));
    const runs = await live.deps.state.listRuns({ limit: 5 });
    assert.ok(runs.some((r) => r.kind === "worker" && r.detail?.deltaReset === true && r.status === "succeeded"));
    const [chain] = await live.deps.state.listDeltaChains("groups");
    assert.ok(chain?.deltaLink, "a fresh delta link was stored");
    live.lab.graph.notifications.resume();
  }));

test("a worker killed between apply and saving the delta link: the retry converges and duplicates nothing", () =>
  withLive(async (live, tenant) => {
    live.lab.mi.requests.reset();
    // The app's state store fails at the write that would save the delta link after MI was written, as a worker
    // killed at that point leaves it.
    live.tableFaults.failNext(
      (request) => request.method !== "GET" && request.path.includes("DeltaChains(") && live.lab.mi.requests.writes > 0,
    );
    live.lab.graph.directory.addMember(tenant.groups.Engineering!, tenant.users.dan!);
    await eventually(
      async () =>
        (await live.deps.state.listRuns({ limit: 10 })).some(
          (r) => r.status === "succeeded" && r.detail?.message === "group" && r.detail?.failures === 1,
        ),
      "the retry succeeded",
    );
    assert.equal(live.tableFaults.failed, 1, "the first attempt crashed");
    assert.deepEqual(miMembers(live.lab, "Engineering"), ["cat@contoso.com", "dan@contoso.com"]);
    assert.equal(live.lab.mi.state.users().filter((u) => u.username === "dan@contoso.com").length, 1);
    const writes = live.lab.mi.requests.entries.filter((e) => e.method !== "GET" && !e.path.includes("get_token"));
    assert.equal(writes.length, 2, "create + add once; the retry wrote nothing");
  }));

test("two workers racing on one group: one syncs, the other defers its message without failing; exact state", () =>
  withLive(async (live, tenant) => {
    live.lab.graph.notifications.pause();
    await live.runner.stop();
    live.lab.graph.directory.addMember(tenant.groups.Engineering!, tenant.users.ann!);
    const message = groupMessage(tenant.groups.Engineering!, "notification", new Date());
    // The workers' clock, past the round interval of the reconcile that laid the chain: both run at once.
    const now = () => new Date(Date.now() + MIN_ROUND_INTERVAL_MS);
    const attempt = (owner: string) =>
      processSyncMessage(message, { ...live.deps, owner, now }, { trigger: "test", dequeueCount: 1, messageId: owner });
    const [a, b] = await Promise.all([attempt("worker-a"), attempt("worker-b")]);
    const synced = [a, b].filter((p) => p.run !== undefined);
    assert.ok(synced.length >= 1, "at least one worker synced");
    if (synced.length === 1) {
      // The loser re-queued its message with a delay instead of failing (no step towards dead-lettering).
      await eventually(
        async () => (await live.deps.queue.receive({ max: 1, visibilityTimeoutMs: 1_000 })).length === 1,
        "the deferred message",
        5_000,
      );
    }
    assert.deepEqual(miMembers(live.lab, "Engineering"), ["ann@contoso.com", "cat@contoso.com"]);
    assert.equal(live.lab.mi.state.users().filter((u) => u.username === "ann@contoso.com").length, 1);
  }));

test("two workers on different chains adding the same new user: MI gets one user", async () => {
  const live = await startLiveLab({
    sync: { SYNC_FILTER: "Team ", SYNC_AUTO_CREATE: "all", SYNC_MAX_REMOVALS: "none" },
  });
  try {
    const dir = live.lab.graph.directory;
    for (let i = 0; i < 51; i++) dir.addGroup({ displayName: `Team ${String(i).padStart(2, "0")}` });
    await live.reconcile();
    await live.runner.idle();
    const chains = await live.deps.state.listDeltaChains("groups");
    assert.equal(chains.length, 2);
    live.lab.graph.notifications.pause();
    const first = chains[0]!.groupIds[0]!;
    const second = chains[1]!.groupIds[0]!;
    const newbie = dir.addUser({
      userPrincipalName: "newbie@contoso.com",
      mail: "newbie@contoso.com",
      accountEnabled: true,
    }).id;
    dir.addMember(first, newbie);
    dir.addMember(second, newbie);
    // The workers' clock, past the round interval of any round the chains ran so far: both notifications run now.
    const now = () => new Date(Date.now() + MIN_ROUND_INTERVAL_MS);
    const run = (groupId: string, owner: string) =>
      processSyncMessage(
        groupMessage(groupId, "notification", now()),
        { ...live.deps, owner, now },
        { trigger: "test", dequeueCount: 1, messageId: owner },
      );
    await Promise.all([run(first, "a"), run(second, "b")]);
    assert.equal(live.lab.mi.state.users().filter((u) => u.username === "newbie@contoso.com").length, 1);
    const holding = live.lab.mi.state
      .groups()
      .filter((g) => g.name !== "Default Group" && miMembers(live.lab, g.name).includes("newbie@contoso.com"));
    assert.equal(holding.length, 2, "in both groups");
    live.lab.graph.notifications.resume();
  } finally {
    await live.close();
  }
});

test("a malformed message ends in the poison queue with a run record saying why", () =>
  withLive(async (live) => {
    await live.deps.queue.send({ kind: "group" });
    await eventually(async () => (await live.deps.queue.depth()).poison === 1, "poison queue");
    // The worker (in serve) records the run just after it moves the message.
    await eventually(
      async () => (await live.deps.state.listRuns({ limit: 5 })).some((r) => r.status === "poison"),
      "a poison run record",
    );
    const runs = await live.deps.state.listRuns({ limit: 5 });
    const poison = runs.find((r) => r.status === "poison");
    assert.ok(poison, "a poison run record");
    assert.match(poison.errors.join(" "), /malformed queue message/);
  }));

test("user deleted in Entra → removed from the synced groups", () =>
  withLive(async (live, tenant) => {
    live.lab.graph.directory.deleteUser(tenant.users.bob!);
    await eventually(() => !miMembers(live.lab, "Sales").includes("bob@contoso.com"), "bob out of Sales");
  }));

test("subscriptions: renewed before expiry; one Graph lost is recreated and its group resynced", () =>
  withLive(
    async (live, tenant) => {
      const before = live.lab.graph.subscriptions();
      assert.equal(before.length, 3);
      const idOf = (resource: string) =>
        String(live.lab.graph.subscriptions().find((s) => s.resource === resource)?.id);
      const old = idOf("users");
      await live.maintainSubscriptions();
      assert.notEqual(idOf("users"), old, "renewed (by rotation: a new subscription with a fresh secret)");
      // Graph forgets the Sales subscription; meanwhile a change happens unnoticed.
      const sales = before.find((s) => s.resource === `groups/${tenant.groups.Sales}`)!;
      await fetchDelete(live, String(sales.id));
      live.lab.graph.directory.removeMember(tenant.groups.Sales!, tenant.users.ann!);
      await live.maintainSubscriptions();
      assert.ok(
        live.lab.graph.subscriptions().some((s) => s.resource === `groups/${tenant.groups.Sales}` && s.id !== sales.id),
        "recreated",
      );
      await eventually(
        () => !miMembers(live.lab, "Sales").includes("ann@contoso.com"),
        "the missed change was resynced",
      );
    },
    // Everything is "about to expire" when the renewal window is longer than the lifetime.
    { sync: { ...SYNC, SUBSCRIPTION_RENEW_BEFORE_MINUTES: String(10 * 24 * 60) } },
  ));

test("lifecycle reauthorizationRequired: renewed by the worker, and held notifications then arrive", () =>
  withLive(async (live, tenant) => {
    const sales = live.lab.graph.subscriptions().find((s) => s.resource === `groups/${tenant.groups.Sales}`)!;
    live.lab.graph.notifications.emitLifecycle(String(sales.id), "reauthorizationRequired");
    live.lab.graph.directory.addMember(tenant.groups.Sales!, tenant.users.cat!);
    await eventually(() => miMembers(live.lab, "Sales").includes("cat@contoso.com"), "cat added after reauthorization");
    const runs = await live.deps.state.listRuns({ limit: 10 });
    assert.ok(runs.some((r) => r.kind === "lifecycle" && r.status === "succeeded"));
  }));

test("the timer reconcile on the same state after live changes writes nothing and leaves no lease held", () =>
  withLive(async (live, tenant) => {
    live.lab.graph.directory.addMember(tenant.groups.Engineering!, tenant.users.dan!);
    await eventually(() => miMembers(live.lab, "Engineering").includes("dan@contoso.com"), "dan added");
    await live.runner.idle();
    live.lab.mi.requests.reset();
    await live.reconcile();
    assert.equal(live.lab.mi.requests.writes, 0);
    const lease = await live.deps.state.acquireLease("chain:groups-0", "probe", 1_000);
    assert.ok(lease, "the chain lease is free again");
    await live.deps.state.releaseLease(lease);
  }));

/** Deletes a subscription at Graph directly, as if Graph had dropped it. */
async function fetchDelete(live: LiveLab, id: string): Promise<void> {
  await live.deps.entra.deleteSubscription(id);
}

test("subscription quota reached (403) → one subscription on the groups collection instead", () =>
  withLive(
    async (live) => {
      const resources = live.lab.graph
        .subscriptions()
        .map((s) => String(s.resource))
        .sort();
      assert.deepEqual(resources, ["groups", "users"]);
    },
    { graph: { subscriptionQuota: 2 } },
  ));

test("a UPN renamed in Entra: matched as provision matches (username, then email), live as on a reconcile", () =>
  withLive(async (live, tenant) => {
    const cat = live.lab.mi.state.userByUsername("cat@contoso.com");
    assert.ok(cat);
    // The mail stays: the same MI user, found by email; its username changes only with --force (cli.md rule 2).
    live.lab.graph.directory.updateUser(tenant.users.cat!, { userPrincipalName: "catherine@contoso.com" });
    await live.runner.idle();
    await eventually(async () => (await live.deps.queue.depth()).queued === 0, "users delta done");
    assert.equal(live.lab.mi.state.userByUsername("catherine@contoso.com"), undefined, "no second user");
    assert.ok(miMembers(live.lab, "Engineering").includes("cat@contoso.com"));
    // Both change: nothing in MI is that user any more, so (as provision does) a new MI user takes the memberships
    // and the old account leaves the synced groups (it is not disabled: only deprovision disables).
    live.lab.graph.directory.updateUser(tenant.users.cat!, { mail: "catherine@contoso.com" });
    await eventually(() => miMembers(live.lab, "Engineering").includes("catherine@contoso.com"), "the new account");
    await eventually(() => !miMembers(live.lab, "Engineering").includes("cat@contoso.com"), "the old one out");
    assert.equal(live.lab.mi.state.userById(cat.id)?.enabled, true);
  }));
