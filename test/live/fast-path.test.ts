import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type LiveLab, startLiveLab } from "../../sim/sandbox/live-lab.js";
import { MIN_ROUND_INTERVAL_MS, syncGroupChange } from "../../src/live/sync-groups.js";
import { DeferError } from "../../src/live/with-lease.js";
import { miMembers, seedTenant, type TestTenant } from "../cli/tenant.js";
import { eventually } from "../helpers/eventually.js";

// The worker's fast path over the real live path (Graph sim → webhook → Azurite queue → worker → MI sim): one
// membership change costs the delta read plus what that change needs, and anything the delta cannot decide takes the
// full resync.

let live: LiveLab;
let tenant: TestTenant;

before(async () => {
  live = await startLiveLab({ sync: { SYNC_GROUPS: "Sales;Engineering", SYNC_AUTO_CREATE: "all" } });
  tenant = seedTenant(live.lab);
  await live.reconcile();
  await live.runner.idle();
});
after(() => live.close());

/** Requests both simulators served since the last reset, tokens left out (they are cached across messages). */
function requests(): { graph: Record<string, number>; mi: Record<string, number> } {
  const graph = { ...live.lab.graph.requests.byRoute };
  delete graph["POST /token"];
  const mi = { ...live.lab.mi.requests.byRoute };
  delete mi["POST /api/get_token"];
  return { graph, mi };
}

function resetCounts(): void {
  live.lab.graph.requests.reset();
  live.lab.mi.requests.reset();
}

async function lastWorkerRun() {
  const runs = await live.deps.state.listRuns({ limit: 10 });
  return runs.find((r) => r.kind === "worker" && r.detail?.message === "group");
}

test("a member added: the group delta, one $batch (the user), one MI read (the user), one MI write", async () => {
  await live.runner.idle();
  resetCounts();
  live.lab.graph.directory.addMember(tenant.groups.Engineering!, tenant.users.ann!);
  await eventually(() => miMembers(live.lab, "Engineering").includes("ann@contoso.com"), "ann in Engineering");
  await live.runner.idle();
  assert.deepEqual(requests(), {
    graph: { "GET /groups/delta": 1, "POST /$batch": 1, "GET /users/{id}": 1 },
    mi: { "GET /api/user/id/:id": 1, "POST /api/user_group_member": 1 },
  });
  const run = await lastWorkerRun();
  assert.equal(run?.detail?.path, "delta");
  assert.equal(run?.counts.membershipsAdded, 1);
});

test("a member removed: the group delta, one MI read (the user's rows), one MI delete", async () => {
  await live.runner.idle();
  resetCounts();
  live.lab.graph.directory.removeMember(tenant.groups.Sales!, tenant.users.bob!);
  await eventually(() => !miMembers(live.lab, "Sales").includes("bob@contoso.com"), "bob out of Sales");
  await live.runner.idle();
  assert.deepEqual(requests(), {
    graph: { "GET /groups/delta": 1 },
    mi: { "GET /api/user_group_member": 1, "DELETE /api/user_group_member/id/:id": 1 },
  });
  assert.equal((await lastWorkerRun())?.detail?.path, "delta");
  assert.deepEqual(miMembers(live.lab, "Sales"), ["ann@contoso.com", "jane_partner.com#EXT#@contoso.onmicrosoft.com"]);
});

test("a user MI does not have yet: looked up by username and email, created, added, remembered", async () => {
  // dan is in Entra (in Platform, which this sync does not cover) but not in MI.
  await live.runner.idle();
  resetCounts();
  live.lab.graph.directory.addMember(tenant.groups.Sales!, tenant.users.dan!);
  await eventually(() => miMembers(live.lab, "Sales").includes("dan@contoso.com"), "dan in Sales");
  await live.runner.idle();
  const run = await lastWorkerRun();
  assert.equal(run?.detail?.path, "delta");
  assert.equal(run?.counts.usersCreated, 1);
  assert.deepEqual(requests().mi, {
    "GET /api/user": 2,
    "POST /api/user": 1,
    "POST /api/user_group_member": 1,
  });
  assert.ok(
    miMembers(live.lab, "Default Group").includes("dan@contoso.com"),
    "created into the Default Group, as a resync would",
  );

  // Now on record: the next change for dan reads him by id.
  resetCounts();
  live.lab.graph.directory.addMember(tenant.groups.Engineering!, tenant.users.dan!);
  await eventually(() => miMembers(live.lab, "Engineering").includes("dan@contoso.com"), "dan in Engineering");
  await live.runner.idle();
  assert.equal((await lastWorkerRun())?.detail?.path, "delta");
  assert.deepEqual(requests().mi, { "GET /api/user/id/:id": 1, "POST /api/user_group_member": 1 });
});

test("a user disabled in MI takes the full resync, which enables them as a resync would", async () => {
  await live.runner.idle();
  const cat = live.lab.mi.state.users().find((u) => u.username === "cat@contoso.com")!;
  live.lab.mi.state.updateUser(cat.id, { enabled: false });
  live.lab.graph.directory.addMember(tenant.groups.Sales!, tenant.users.cat!);
  await eventually(() => miMembers(live.lab, "Sales").includes("cat@contoso.com"), "cat in Sales");
  await live.runner.idle();
  const run = await lastWorkerRun();
  assert.equal(run?.detail?.path, "full");
  assert.match(String(run?.detail?.fullReason), /is disabled/);
  assert.equal(run?.counts.usersEnabled, 1);
});

test("a notification an earlier round already read costs nothing; one right after a round waits for the next", async () => {
  await live.runner.idle();
  const chain = (await live.deps.state.listDeltaChains("groups"))[0]!;
  assert.ok(chain.readFrom, "the worker records when its round began");
  resetCounts();
  const earlier = new Date(Date.parse(chain.readFrom!) - 1).toISOString();
  const outcome = await syncGroupChange(live.deps, tenant.groups.Sales!, { reason: "notification", at: earlier });
  assert.equal(outcome.path, "coalesced");
  assert.deepEqual(requests(), { graph: {}, mi: {} });
  // A notification that arrives within MIN_ROUND_INTERVAL_MS of the chain's last round waits for the next one.
  const stored = (await live.deps.state.listDeltaChains("groups"))[0]!;
  const began = new Date().toISOString();
  await live.deps.state.saveDeltaChain({ ...stored, readFrom: began }); // as if a round had just begun
  const soon = new Date(Date.parse(began) + 1).toISOString();
  const clock = { ...live.deps, now: () => new Date(soon) }; // the worker's clock: 1 ms after the round began
  await assert.rejects(
    syncGroupChange(clock, tenant.groups.Sales!, { reason: "notification", at: soon }),
    (error: unknown) =>
      error instanceof DeferError && error.delayMs !== undefined && error.delayMs <= MIN_ROUND_INTERVAL_MS,
  );
  assert.deepEqual(requests(), { graph: {}, mi: {} });
  // A resync request is never coalesced: it reads the group whatever the chain says.
  const resync = await syncGroupChange(live.deps, tenant.groups.Sales!, { reason: "resync", at: earlier });
  assert.equal(resync.path, "full");
});
