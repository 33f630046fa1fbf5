import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type LiveLab, startLiveLab } from "../../sim/sandbox/live-lab.js";
import { miMembers, seedTenant, type TestTenant } from "../cli/tenant.js";
import { eventually } from "../helpers/eventually.js";

// The live path end to end: Graph simulator notifications → webhook function → Azurite queue → worker function → MI
// simulator, with state in Azurite tables. Every function is the production one.

let live: LiveLab;
let tenant: TestTenant;

before(async () => {
  live = await startLiveLab({ sync: { SYNC_GROUPS: "Sales;Engineering", SYNC_AUTO_CREATE: "all" } });
  tenant = seedTenant(live.lab);
});
after(() => live.close());

test("timer reconcile: full sync, delta chains and one subscription per group plus users", async () => {
  await live.reconcile();
  assert.deepEqual(miMembers(live.lab, "Sales"), [
    "ann@contoso.com",
    "bob@contoso.com",
    "jane_partner.com#EXT#@contoso.onmicrosoft.com",
  ]);
  assert.deepEqual(miMembers(live.lab, "Engineering"), ["cat@contoso.com"]);
  const resources = live.lab.graph
    .subscriptions()
    .map((s) => String(s.resource))
    .sort();
  assert.deepEqual(resources, [`groups/${tenant.groups.Engineering}`, `groups/${tenant.groups.Sales}`, "users"].sort());
  const chains = await live.deps.state.listDeltaChains("groups");
  assert.equal(chains.length, 1);
  assert.ok(chains[0]?.deltaLink, "the chain has a delta link");
  const [run] = await live.deps.state.listRuns({ limit: 1 });
  assert.equal(run?.kind, "reconcile");
  assert.equal(run?.status, "succeeded");
});

test("a member added in Entra reaches MI through notification → queue → worker", async () => {
  live.lab.graph.directory.addMember(tenant.groups.Engineering!, tenant.users.dan!);
  await eventually(() => miMembers(live.lab, "Engineering").includes("dan@contoso.com"), "dan in Engineering");
  assert.deepEqual(miMembers(live.lab, "Engineering"), ["cat@contoso.com", "dan@contoso.com"]);
});

test("a member removed in Entra is removed in MI", async () => {
  live.lab.graph.directory.removeMember(tenant.groups.Sales!, tenant.users.bob!);
  await eventually(() => !miMembers(live.lab, "Sales").includes("bob@contoso.com"), "bob out of Sales");
});

test("a user disabled in Entra loses the synced memberships (users delta)", async () => {
  live.lab.graph.directory.disableUser(tenant.users.ann!);
  await eventually(() => !miMembers(live.lab, "Sales").includes("ann@contoso.com"), "ann out of Sales");
});
