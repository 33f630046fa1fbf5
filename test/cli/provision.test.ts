import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Lab, startLab } from "../../sim/sandbox/lab.js";
import { miMembers, seedTenant, type TestTenant } from "./tenant.js";

// End to end: the real command, as a separate process, over real HTTPS/HTTP against both simulators.

interface JsonSummary {
  dryRun: boolean;
  counts: Record<string, number>;
  operations: { op: string; status: string; reason: string }[];
  errors: string[];
  warnings: string[];
}

const parse = (stdout: string): JsonSummary => JSON.parse(stdout) as JsonSummary;

let lab: Lab;
let tenant: TestTenant;
before(async () => {
  lab = await startLab();
  tenant = seedTenant(lab);
});
after(() => lab.close());

test("provision --auto-create all: MI groups hold exactly the enabled Entra members; second run writes nothing", async () => {
  const first = await lab.runCli(["provision", "--auto-create", "Sales", "Engineering", "--json"]);
  assert.equal(first.status, 0, first.stderr);
  const summary = parse(first.stdout);
  assert.equal(summary.dryRun, false);
  assert.deepEqual(miMembers(lab, "Sales"), [
    "ann@contoso.com",
    "bob@contoso.com",
    "jane_partner.com#EXT#@contoso.onmicrosoft.com",
  ]);
  // Direct membership only: Platform's dan is not in Engineering without --process-child-groups.
  assert.deepEqual(miMembers(lab, "Engineering"), ["cat@contoso.com"]);
  assert.equal(lab.mi.state.userByUsername("dis@contoso.com"), undefined, "disabled accounts are never added");
  assert.equal(summary.counts.usersCreated, 4);
  assert.equal(summary.counts.groupsCreated, 2);
  assert.deepEqual(miMembers(lab, "Default Group").includes("ann@contoso.com"), true);
  assert.equal(lab.mi.state.userByUsername("jane_partner.com#EXT#@contoso.onmicrosoft.com")?.email, "jane@partner.com");

  lab.mi.requests.reset();
  const second = await lab.runCli(["provision", "--auto-create", "Sales", "Engineering", "--json"]);
  assert.equal(second.status, 0, second.stderr);
  assert.equal(lab.mi.requests.writes, 0, "an identical second run makes zero MI writes");
  assert.deepEqual(parse(second.stdout).operations, []);
});

test("provision --dry-run: prints the plan and writes nothing", async () => {
  lab.graph.directory.addMember(tenant.groups.Engineering!, tenant.users.ann!);
  lab.mi.requests.reset();
  const run = await lab.runCli(["provision", "-n", "Engineering", "--json"]);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(lab.mi.requests.writes, 0);
  const summary = parse(run.stdout);
  assert.equal(summary.dryRun, true);
  assert.deepEqual(
    summary.operations.map((o) => `${o.op}:${o.status}`),
    ["addMember:planned"],
  );
  assert.equal(summary.counts.membershipsAdded, 1);
  assert.deepEqual(miMembers(lab, "Engineering"), ["cat@contoso.com"]);
});

test("provision --process-child-groups: members of nested groups are synced", async () => {
  const run = await lab.runCli(["provision", "Engineering", "--process-child-groups"]);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(miMembers(lab, "Engineering"), ["ann@contoso.com", "cat@contoso.com", "dan@contoso.com"]);
  // Two into Engineering, and one into the Default Group for dan, whom the run created there (#9: counts say what MI saw).
  assert.match(run.stdout, /memberships added\s+3/);
});

test("provision: a member removed in Entra is removed in MI; a disabled account loses its memberships", async () => {
  lab.graph.directory.removeMember(tenant.groups.Sales!, tenant.users.bob!);
  lab.graph.directory.disableUser(tenant.users.ann!);
  const run = await lab.runCli(["provision", "Sales", "--full-summary"]);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(miMembers(lab, "Sales"), ["jane_partner.com#EXT#@contoso.onmicrosoft.com"]);
  assert.match(run.stdout, /remove bob@contoso.com from 'Sales' \(not in any synced Entra group\)/);
  assert.match(run.stdout, /remove ann@contoso.com from 'Sales' \(account disabled in Entra\)/);
  assert.equal(lab.mi.state.userByUsername("ann@contoso.com")?.enabled, true, "provision never disables");
});

test("deprovision: users who left every synced group are disabled and removed; administrators are never touched", async () => {
  const sales = lab.mi.state.groupByName("Sales")!;
  const local = lab.mi.state.addUser({ username: "local@contoso.com", email: "local@contoso.com", type: "regular" });
  lab.mi.state.addMembership(local.id, sales.id);
  const boss = lab.mi.state.addUser({ username: "boss@contoso.com", email: "boss@contoso.com", type: "administrator" });
  lab.mi.state.addMembership(boss.id, sales.id);
  const run = await lab.runCli(["deprovision", "Sales", "Engineering", "--process-child-groups", "--json"]);
  assert.equal(run.status, 0, run.stderr);
  const summary = parse(run.stdout);
  assert.equal(lab.mi.state.userByUsername("local@contoso.com")?.enabled, false);
  assert.equal(lab.mi.state.userByUsername("boss@contoso.com")?.enabled, true);
  assert.ok(miMembers(lab, "Sales").includes("boss@contoso.com"));
  assert.ok(!miMembers(lab, "Sales").includes("local@contoso.com"));
  // ann is disabled in Entra and still an MI member of Engineering: deprovision disables her too.
  assert.equal(lab.mi.state.userByUsername("ann@contoso.com")?.enabled, false);
  assert.equal(summary.counts.usersDisabled, 2);
});
