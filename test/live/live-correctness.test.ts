import assert from "node:assert/strict";
import { test } from "node:test";
import { type LiveLab, type LiveLabOptions, startLiveLab } from "../../sim/sandbox/live-lab.js";
import { MIN_ROUND_INTERVAL_MS } from "../../src/live/delta-chains.js";
import { processSyncMessage } from "../../src/live/process-sync-message.js";
import { reconcileAll } from "../../src/live/reconcile.js";
import { groupMessage } from "../../src/live/sync-message.js";
import { LEASE_TTL_MS, LeaseSet } from "../../src/live/with-lease.js";
import type { SyncQueue } from "../../src/state/sync-queue.js";
import { miMembers, seedTenant, type TestTenant } from "../cli/tenant.js";
import { eventually } from "../helpers/eventually.js";

// Each defect issue 9 found in the live path, as it now behaves end to end (Graph sim → webhook → queue → worker →
// MI sim, state in Azurite). The differential test (differential-*.test.ts) checks the same invariant at random.

const STRIP_DOMAIN = `[{"attr_name": "username", "action": "@.*$,", "method": "sub"}]`;

async function withLive(
  sync: Record<string, string>,
  fn: (live: LiveLab, tenant: TestTenant) => Promise<void>,
  options: Partial<LiveLabOptions> = {},
): Promise<void> {
  const live = await startLiveLab({
    sync: { SYNC_AUTO_CREATE: "all", SYNC_RETRY_BASE_SECONDS: "1", ...sync },
    ...options,
  });
  try {
    const tenant = seedTenant(live.lab);
    await fn(live, tenant);
  } finally {
    await live.close();
  }
}

/** The queue, but what is sent is kept in `sent` instead (the test delivers it). */
function recordingQueue(queue: SyncQueue, sent: unknown[]): SyncQueue {
  return new Proxy(queue, {
    get(target, key) {
      if (key === "send") return async (body: unknown) => void sent.push(body);
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function ready(live: LiveLab): Promise<void> {
  await live.reconcile();
  await live.runner.idle();
}

test("two Entra users whose usernames collide, added in one round: one MI user, the other a problem, not retried (#9)", () =>
  withLive({ SYNC_GROUPS: "Sales", SYNC_ATTRIBUTES_TRANSFORMATION: STRIP_DOMAIN }, async (live, tenant) => {
    await ready(live);
    const dir = live.lab.graph.directory;
    live.lab.graph.notifications.pause();
    const first = dir.addUser({
      id: "00000000-0000-4000-8000-00000000aa01",
      userPrincipalName: "zed@contoso.com",
      mail: "zed@contoso.com",
      accountEnabled: true,
    });
    const second = dir.addUser({
      id: "00000000-0000-4000-8000-00000000aa02",
      userPrincipalName: "zed@fabrikam.com",
      mail: "zed@fabrikam.com",
      accountEnabled: true,
    });
    dir.addMember(tenant.groups.Sales!, first.id);
    dir.addMember(tenant.groups.Sales!, second.id);
    live.lab.graph.notifications.resume();
    await eventually(() => miMembers(live.lab, "Sales").includes("zed"), "zed in Sales");
    await live.runner.idle();
    const zeds = live.lab.mi.state.users().filter((u) => u.username === "zed");
    assert.equal(zeds.length, 1);
    assert.equal(zeds[0]?.email, "zed@contoso.com", "the first in order (Entra id) has it");
    const runs = await live.deps.state.listRuns({ limit: 20 });
    const problems = runs.filter((r) => r.errors.some((e) => /two Entra users map to the MI username 'zed'/.test(e)));
    assert.ok(problems.length >= 1, "recorded in a run");
    assert.ok(
      problems.every((r) => r.status === "partial" && r.detail?.failures === undefined),
      "never retried",
    );
  }));

test("a user whose username is an already synced user's: not mapped onto that account; its leaving removes no one (#9)", () =>
  withLive({ SYNC_GROUPS: "Sales;Engineering", SYNC_ATTRIBUTES_TRANSFORMATION: STRIP_DOMAIN }, async (live, tenant) => {
    await ready(live);
    const ann = live.lab.mi.state.userByUsername("ann");
    assert.ok(ann, "ann@contoso.com is MI user 'ann'");
    const dir = live.lab.graph.directory;
    const other = dir.addUser({
      id: "ffffffff-0000-4000-8000-00000000bb01",
      userPrincipalName: "ann@fabrikam.com",
      mail: "ann@fabrikam.com",
      accountEnabled: true,
    });
    dir.addMember(tenant.groups.Engineering!, other.id);
    await eventually(async () => (await live.deps.queue.depth()).queued === 0, "quiet");
    await live.runner.idle();
    // ann@contoso.com comes first (its account has its username): the newcomer is a clash, not a second owner.
    assert.ok(!miMembers(live.lab, "Engineering").includes("ann"), "the account does not follow the newcomer");
    assert.equal(live.lab.mi.state.userById(ann.id)?.email, "ann@contoso.com");
    dir.removeMember(tenant.groups.Engineering!, other.id);
    await live.runner.idle();
    assert.ok(miMembers(live.lab, "Sales").includes("ann"), "ann@contoso.com keeps Sales");
  }));

test("two synced Entra groups with one name: a change in one never removes the members the other brings (#9)", () =>
  withLive({ SYNC_FILTER: "Team", SYNC_MAX_REMOVALS: "none" }, async (live, tenant) => {
    const dir = live.lab.graph.directory;
    const a = dir.addGroup({ displayName: "Team" }).id;
    const b = dir.addGroup({ displayName: "Team" }).id;
    dir.addMember(a, tenant.users.ann!);
    dir.addMember(b, tenant.users.bob!);
    await ready(live);
    assert.deepEqual(miMembers(live.lab, "Team"), ["ann@contoso.com", "bob@contoso.com"]);
    dir.addMember(a, tenant.users.cat!);
    await eventually(() => miMembers(live.lab, "Team").includes("cat@contoso.com"), "cat in Team");
    dir.removeMember(a, tenant.users.ann!);
    await eventually(() => !miMembers(live.lab, "Team").includes("ann@contoso.com"), "ann out");
    await live.runner.idle();
    assert.deepEqual(
      miMembers(live.lab, "Team"),
      ["bob@contoso.com", "cat@contoso.com"],
      "bob, whom the other brings, stays",
    );
    // A resync of one of them alone reads both.
    const { syncGroupChange } = await import("../../src/live/sync-groups.js");
    const outcome = await syncGroupChange(live.deps, a, { reason: "resync", at: new Date().toISOString() });
    assert.deepEqual([...outcome.groupIds].sort(), [a, b].sort());
    assert.deepEqual(miMembers(live.lab, "Team"), ["bob@contoso.com", "cat@contoso.com"]);
  }));

test("Graph's delta trailing its notification: the change is read again later, not coalesced away (#9)", () =>
  withLive(
    { SYNC_GROUPS: "Sales", SYNC_DELTA_LAG_SECONDS: "2" },
    async (live, tenant) => {
      await ready(live);
      live.lab.graph.directory.addMember(tenant.groups.Sales!, tenant.users.cat!);
      await eventually(() => miMembers(live.lab, "Sales").includes("cat@contoso.com"), "cat in Sales", 30_000);
      await eventually(
        async () => (await live.deps.state.listRuns({ limit: 20 })).some((r) => r.detail?.recheck === 1),
        "the notification read again",
      );
    },
    { graph: { deltaVisibilityDelayMs: 1_000 } },
  ));

test("a burst of notifications for a busy chain waits on the chain's one wake, not each on its own; it lands once free", () =>
  withLive({ SYNC_GROUPS: "Sales" }, async (live, tenant) => {
    await ready(live);
    live.lab.graph.notifications.pause(); // the burst below stands for Graph's notifications
    const [chain] = await live.deps.state.listDeltaChains("groups");
    const busy = new LeaseSet(live.deps.state, "another-instance"); // a long round on another instance
    await busy.add([`chain:${chain!.chainId}`]);
    live.lab.graph.directory.addMember(tenant.groups.Sales!, tenant.users.cat!);
    const sent: unknown[] = [];
    // The worker's clock, past the round interval of the reconcile's round: only the busy lease holds it back.
    const now = () => new Date(Date.now() + MIN_ROUND_INTERVAL_MS);
    const deps = { ...live.deps, now, queue: recordingQueue(live.deps.queue, sent) };
    const process = (body: unknown) =>
      processSyncMessage(body, deps, { trigger: "test", dequeueCount: 1, messageId: "burst" });
    const start = Date.now();
    const burst = Array.from({ length: 20 }, (_, i) =>
      groupMessage(tenant.groups.Sales!, "notification", new Date(start + i)),
    );
    for (const message of burst) assert.equal((await process(message)).disposition, "deferred");
    assert.equal(sent.length, 20, "each notification later than the booked wake became the wake once");
    // They come back while the chain is still busy: all but the last booked are carried by it and done.
    const back = sent.splice(0);
    const dispositions = [];
    for (const message of back) dispositions.push((await process(message)).disposition);
    assert.deepEqual(dispositions, [...Array(19).fill("done"), "deferred"], "only the chain's wake waits again");
    assert.equal(sent.length, 1);
    const booked = (await live.deps.state.getDeltaChain(chain!.chainId))?.wake;
    assert.equal(booked?.for, new Date(start + 19).toISOString());
    await busy.release();
    assert.equal((await process(sent[0])).disposition, "done", "the wake runs the round once the chain is free");
    assert.ok(miMembers(live.lab, "Sales").includes("cat@contoso.com"), "cat in Sales");
  }));

test("an MI outage: a chain's failed notifications ride on its one wake instead of each coming back (#10)", () =>
  withLive({ SYNC_GROUPS: "Sales" }, async (live, tenant) => {
    await ready(live);
    live.lab.graph.notifications.pause(); // the notifications below stand for Graph's
    live.lab.mi.faults.inject({ method: "POST", match: "/api/user_group_member", status: 500, times: 1_000 });
    live.lab.graph.directory.addMember(tenant.groups.Sales!, tenant.users.cat!);
    const sent: unknown[] = [];
    const now = () => new Date(Date.now() + MIN_ROUND_INTERVAL_MS); // past the reconcile's round interval
    const deps = { ...live.deps, now, queue: recordingQueue(live.deps.queue, sent) };
    const process = (body: unknown) =>
      processSyncMessage(body, deps, { trigger: "test", dequeueCount: 1, messageId: "outage" });
    const start = Date.now();
    const at = (ms: number) => groupMessage(tenant.groups.Sales!, "notification", new Date(start + ms));
    // Each round fails on MI. The first becomes the chain's wake; a later one replaces it; an earlier one (reordered)
    // is carried by the booked wake and sends nothing.
    const first = await process(at(1));
    const later = await process(at(2));
    const earlier = await process(at(0));
    assert.deepEqual(
      [first, later, earlier].map((p) => p.disposition),
      ["retried", "retried", "retried"],
    );
    assert.match(earlier.run?.errors[0] ?? "", /carried by its chain's wake/);
    assert.equal(sent.length, 2, "one message per wake booked, none for the carried notification");
    assert.ok(
      sent.every((m) => (m as { failures?: number; wake?: string }).failures === 1 && (m as { wake?: string }).wake),
      "each sent as the chain's wake, its failure counted",
    );
    // MI is back: the wakes run, and the change lands.
    live.lab.mi.faults.clear();
    for (const message of sent.splice(0)) assert.notEqual((await process(message)).disposition, "poisoned");
    for (const message of sent.splice(0)) await process(message); // a recheck, if Graph's lag asks for one
    assert.ok(miMembers(live.lab, "Sales").includes("cat@contoso.com"), "cat in Sales");
  }));

test("the inline reconcile with a failed write: the chains go for a resync at once, and MI converges (#9)", () =>
  withLive({ SYNC_GROUPS: "Sales;Engineering" }, async (live, tenant) => {
    live.lab.mi.faults.inject({ method: "POST", match: "/api/user_group_member", status: 500, times: 40 });
    await live.reconcile();
    const [run] = (await live.deps.state.listRuns({ limit: 5 })).filter((r) => r.kind === "reconcile");
    assert.equal(run?.status, "partial");
    live.lab.mi.faults.clear();
    await eventually(() => miMembers(live.lab, "Sales").length === 3, "Sales complete without another timer", 30_000);
    await live.runner.idle();
    void tenant;
    assert.deepEqual(miMembers(live.lab, "Engineering"), ["cat@contoso.com"]);
  }));

test("a plan problem (a user without a username) is recorded and not retried; the round's other changes land (#9)", () =>
  withLive({ SYNC_GROUPS: "Sales", SYNC_USERNAME_ATTR: "employeeType" }, async (live, tenant) => {
    const dir = live.lab.graph.directory;
    for (const id of Object.values(tenant.users)) dir.updateUser(id, { employeeType: null });
    dir.updateUser(tenant.users.bob!, { employeeType: "bob" });
    await ready(live);
    dir.updateUser(tenant.users.cat!, { employeeType: "cat" });
    dir.addMember(tenant.groups.Sales!, tenant.users.cat!);
    await eventually(() => miMembers(live.lab, "Sales").includes("cat"), "cat in Sales");
    await live.runner.idle();
    const runs = await live.deps.state.listRuns({ limit: 30 });
    assert.ok(runs.some((r) => r.errors.some((e) => /has no value for 'employeeType'/.test(e))));
    assert.ok(
      runs.every((r) => r.detail?.failures === undefined),
      "no attempt failed, none was retried",
    );
    assert.equal((await live.deps.queue.depth()).poison, 0);
  }));

test("the timer reconcile waits for a worker holding a chain; an unresolvable name leaves the others synced (#9)", () =>
  withLive({ SYNC_GROUPS: "Sales;Engineering;No Such Group" }, async (live) => {
    const waited: number[] = [];
    const busy = new LeaseSet(live.deps.state, "another-instance");
    await live.reconcile(); // lays the chains (and reports the unknown name)
    await live.runner.idle();
    const [chain] = await live.deps.state.listDeltaChains("groups");
    await busy.add([`chain:${chain!.chainId}`]);
    const outcome = await reconcileAll({
      ...live.deps,
      sleep: async (ms) => {
        waited.push(ms);
        await busy.release(); // the worker finishes while the reconcile waits
      },
    });
    assert.equal(waited.length, 1, "waited once for the busy chain, then ran");
    assert.equal(outcome.mode, "inline");
    assert.deepEqual(outcome.unresolved, ["no Entra group 'No Such Group'"]);
    assert.deepEqual(miMembers(live.lab, "Engineering"), ["cat@contoso.com"]);
    const [run] = (await live.deps.state.listRuns({ limit: 10 })).filter((r) => r.kind === "reconcile");
    assert.equal(run?.status, "partial");
    assert.match(run?.errors.join(" ") ?? "", /No Such Group/);
  }));

test("SYNC_DEPROVISION: the timer reconcile disables who left, under the one guard; without it nobody is disabled (#9)", async () => {
  for (const deprovision of [false, true]) {
    await withLive({ SYNC_GROUPS: "Sales", SYNC_DEPROVISION: String(deprovision) }, async (live, tenant) => {
      await ready(live);
      live.lab.graph.notifications.pause();
      live.lab.graph.directory.removeMember(tenant.groups.Sales!, tenant.users.bob!);
      await live.reconcile();
      await live.runner.idle();
      const bob = live.lab.mi.state.userByUsername("bob@contoso.com");
      assert.ok(!miMembers(live.lab, "Sales").includes("bob@contoso.com"));
      assert.equal(bob?.enabled, !deprovision, deprovision ? "disabled" : "never disabled without the setting");
    });
  }
});

test("a lease an instance held when it died lapses within LEASE_TTL_MS (about a minute), not ten (#9)", () =>
  withLive({ SYNC_GROUPS: "Sales" }, async (live) => {
    assert.ok(LEASE_TTL_MS <= 60_000);
    const { TableSyncStateStore } = await import("../../src/state/table-sync-state-store.js");
    let now = Date.parse("2026-06-01T00:00:00Z");
    const storage = live.deps.settings.storage;
    const clocked = new TableSyncStateStore({ storage, tablePrefix: "leasettl", now: () => new Date(now) });
    await clocked.initialize();
    const dead = await clocked.acquireLease("chain:groups-0", "dead-instance", LEASE_TTL_MS);
    assert.ok(dead);
    assert.equal(await clocked.acquireLease("chain:groups-0", "other", LEASE_TTL_MS), undefined, "held while alive");
    now += LEASE_TTL_MS + 1;
    assert.ok(await clocked.acquireLease("chain:groups-0", "other", LEASE_TTL_MS), "free a minute after the death");
  }));

test("a held lease is renewed while its work runs; one taken over aborts the work's signal (#9)", () =>
  withLive({ SYNC_GROUPS: "Sales" }, async (live) => {
    const { TableSyncStateStore } = await import("../../src/state/table-sync-state-store.js");
    let now = Date.parse("2026-06-01T00:00:00Z");
    const clocked = new TableSyncStateStore({
      storage: live.deps.settings.storage,
      tablePrefix: "heartbeat",
      now: () => new Date(now),
    });
    await clocked.initialize();
    let beat: (() => void) | undefined;
    const leases = new LeaseSet(clocked, "worker", LEASE_TTL_MS, (renew) => {
      beat = renew;
      return () => {
        beat = undefined;
      };
    });
    await leases.add(["chain:groups-0"]);
    assert.ok(beat, "the heartbeat runs while a lease is held");
    now += LEASE_TTL_MS - 1_000;
    await leases.renew();
    now += 2_000; // past the first expiry, within the renewed one
    assert.equal(await clocked.acquireLease("chain:groups-0", "other", LEASE_TTL_MS), undefined, "still held");
    now += LEASE_TTL_MS; // the holder stopped renewing (it died): another takes it over
    assert.ok(await clocked.acquireLease("chain:groups-0", "other", LEASE_TTL_MS));
    await leases.renew();
    assert.equal(leases.signal.aborted, true, "the lost lease stops the work");
    await leases.release();
    assert.equal(beat, undefined, "no heartbeat once released");
  }));

test("a user's change notified before the first reconcile is synced (the users delta has no link yet) (#9)", () =>
  withLive({ SYNC_GROUPS: "Sales" }, async (live, tenant) => {
    const { usersMessages } = await import("../../src/live/sync-message.js");
    live.lab.graph.directory.updateUser(tenant.users.ann!, { surname: "Renamed" });
    for (const message of usersMessages("notification", new Date(), [tenant.users.ann!]))
      await live.deps.queue.send(message);
    // The user is written before her membership (two requests), so wait for both rather than read between them.
    await eventually(
      () =>
        live.lab.mi.state.userByUsername("ann@contoso.com")?.lastName === "Renamed" &&
        miMembers(live.lab, "Sales").includes("ann@contoso.com"),
      "ann synced into Sales",
    );
  }));
