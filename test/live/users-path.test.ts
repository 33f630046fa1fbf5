import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type LiveLab, startLiveLab } from "../../sim/sandbox/live-lab.js";
import { syncGroupChange } from "../../src/live/sync-groups.js";
import { groupMessage } from "../../src/live/sync-message.js";
import { miMembers, seedTenant, type TestTenant } from "../cli/tenant.js";
import { eventually } from "../helpers/eventually.js";

// The live path over real HTTP and Azurite (Graph sim → webhook → queue → worker → MI sim): a membership change is
// synced by the users it names, each read whole (the Entra user and every group holding it, its MI account and
// rows), and planned by the same planner as a reconcile. Request budgets live in the bench (npm run bench).

let live: LiveLab;
let tenant: TestTenant;

before(async () => {
  live = await startLiveLab({ sync: { SYNC_GROUPS: "Sales;Engineering", SYNC_AUTO_CREATE: "all" } });
  tenant = seedTenant(live.lab);
  await live.reconcile();
  await live.runner.idle();
});
after(() => live.close());

async function lastGroupRun() {
  const runs = await live.deps.state.listRuns({ limit: 10 });
  return runs.find((r) => r.kind === "worker" && r.detail?.message === "group");
}

test("a member added: synced by the user's own reads (path users), one membership written", async () => {
  await live.runner.idle();
  live.lab.graph.directory.addMember(tenant.groups.Engineering!, tenant.users.ann!);
  await eventually(() => miMembers(live.lab, "Engineering").includes("ann@contoso.com"), "ann in Engineering");
  await live.runner.idle();
  const run = await lastGroupRun();
  assert.equal(run?.detail?.path, "users");
  assert.equal(run?.counts.membershipsAdded, 1);
});

test("a member removed: confirmed against Graph, then removed", async () => {
  await live.runner.idle();
  live.lab.graph.directory.removeMember(tenant.groups.Sales!, tenant.users.bob!);
  await eventually(() => !miMembers(live.lab, "Sales").includes("bob@contoso.com"), "bob out of Sales");
  await live.runner.idle();
  assert.equal((await lastGroupRun())?.detail?.path, "users");
  assert.deepEqual(miMembers(live.lab, "Sales"), ["ann@contoso.com", "jane_partner.com#EXT#@contoso.onmicrosoft.com"]);
});

test("a user MI does not have yet: created into the Default Group, and both memberships counted", async () => {
  await live.runner.idle();
  live.lab.graph.directory.addMember(tenant.groups.Sales!, tenant.users.dan!);
  await eventually(() => miMembers(live.lab, "Sales").includes("dan@contoso.com"), "dan in Sales");
  await live.runner.idle();
  const run = await lastGroupRun();
  assert.equal(run?.detail?.path, "users");
  assert.equal(run?.counts.usersCreated, 1);
  assert.equal(run?.counts.membershipsAdded, 2, "Sales, and the Default Group the creation put him in");
  assert.ok(miMembers(live.lab, "Default Group").includes("dan@contoso.com"));
  assert.equal((await live.deps.state.getUserEntries([tenant.users.dan!])).get(tenant.users.dan!)?.claims, true);
});

test("a user disabled in MI and added in Entra: re-enabled on the same path, as a resync would", async () => {
  await live.runner.idle();
  const cat = live.lab.mi.state.users().find((u) => u.username === "cat@contoso.com")!;
  live.lab.mi.state.updateUser(cat.id, { enabled: false });
  live.lab.graph.directory.addMember(tenant.groups.Sales!, tenant.users.cat!);
  await eventually(() => miMembers(live.lab, "Sales").includes("cat@contoso.com"), "cat in Sales");
  await live.runner.idle();
  const run = await lastGroupRun();
  assert.equal(run?.detail?.path, "users");
  assert.equal(run?.counts.usersEnabled, 1);
  assert.equal(live.lab.mi.state.userById(cat.id)?.enabled, true);
});

test("an old @removed replayed after a re-add: the removal is confirmed against Graph, the member stays (#9)", async () => {
  await live.runner.idle();
  live.lab.graph.directory.removeMember(tenant.groups.Sales!, tenant.users.ann!);
  await eventually(() => !miMembers(live.lab, "Sales").includes("ann@contoso.com"), "ann out of Sales");
  await live.runner.idle();
  live.lab.graph.directory.addMember(tenant.groups.Sales!, tenant.users.ann!);
  await eventually(() => miMembers(live.lab, "Sales").includes("ann@contoso.com"), "ann back in Sales");
  await live.runner.idle();
  // The next round replays the removal (and the re-add) after its own change: the last word says "removed".
  live.lab.graph.faults.replayDelta(2);
  live.lab.graph.directory.addMember(tenant.groups.Sales!, tenant.users.cat!);
  await eventually(() => miMembers(live.lab, "Sales").includes("cat@contoso.com"), "cat in Sales");
  await live.runner.idle();
  assert.ok(miMembers(live.lab, "Sales").includes("ann@contoso.com"), "ann is still a member in Entra, so in MI");
});

test("a user re-enabled in Entra is re-added to the synced groups live (#9)", async () => {
  await live.runner.idle();
  live.lab.graph.directory.disableUser(tenant.users.ann!);
  await eventually(() => !miMembers(live.lab, "Sales").includes("ann@contoso.com"), "ann out while disabled");
  await live.runner.idle();
  live.lab.graph.directory.updateUser(tenant.users.ann!, { accountEnabled: true });
  await eventually(() => miMembers(live.lab, "Sales").includes("ann@contoso.com"), "ann back once enabled");
});

test("a notification an earlier round already read costs nothing; one right after a round waits for the next", async () => {
  await live.runner.idle();
  const chain = (await live.deps.state.listDeltaChains("groups"))[0]!;
  assert.ok(chain.readFrom, "the worker records when its round began");
  live.lab.graph.requests.reset();
  live.lab.mi.requests.reset();
  const earlier = new Date(Date.parse(chain.readFrom!) - 1).toISOString();
  const outcome = await syncGroupChange(live.deps, tenant.groups.Sales!, { reason: "notification", at: earlier });
  assert.equal(outcome.path, "coalesced");
  assert.equal(live.lab.graph.requests.entries.length + live.lab.mi.requests.entries.length, 0, "nothing read");
  // A notification that arrives within MIN_ROUND_INTERVAL_MS of the chain's last round waits for the next one.
  const stored = (await live.deps.state.listDeltaChains("groups"))[0]!;
  const began = new Date().toISOString();
  await live.deps.state.saveDeltaChain({ ...stored, readFrom: began }); // as if a round had just begun
  const soon = new Date(Date.parse(began) + 1).toISOString();
  const clock = { ...live.deps, now: () => new Date(soon) }; // the worker's clock: 1 ms after the round began
  // It becomes the chain's booked wake (sent again for the next round); one received no later is carried by it.
  const waiting = await syncGroupChange(clock, tenant.groups.Sales!, { reason: "notification", at: soon });
  assert.equal(waiting.path, "waiting");
  const booked = (await live.deps.state.getDeltaChain(stored.chainId))?.wake;
  assert.equal(booked?.for, soon);
  const carried = await syncGroupChange(clock, tenant.groups.Sales!, { reason: "notification", at: began });
  assert.equal(carried.path, "coalesced");
  // A resync request is never coalesced: it reads the group whole whatever the chain says.
  const resync = await syncGroupChange(live.deps, tenant.groups.Sales!, { reason: "resync", at: earlier });
  assert.equal(resync.path, "groups");
});

test("a group message before any reconcile (no delta chain yet): the chains are laid and the group synced (#9)", async () => {
  const fresh = await startLiveLab({ sync: { SYNC_GROUPS: "Sales", SYNC_AUTO_CREATE: "all" } });
  try {
    const t = seedTenant(fresh.lab);
    await fresh.deps.queue.send(groupMessage(t.groups.Sales!, "notification", new Date()));
    await eventually(() => miMembers(fresh.lab, "Sales").includes("ann@contoso.com"), "Sales synced");
    await fresh.runner.idle();
    const chains = await fresh.deps.state.listDeltaChains("groups");
    assert.equal(chains.length, 1);
    assert.ok(chains[0]?.deltaLink, "and its delta link stored, taken before the read");
  } finally {
    await fresh.close();
  }
});
