import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type RunningAzurite, startAzurite } from "../../sim/azurite/start-azurite.js";
import { type Lab, startLab } from "../../sim/sandbox/lab.js";
import { TableAuditTrail } from "../../src/audit/table-audit-trail.js";
import { seedTenant, type TestTenant } from "./tenant.js";

// `mi-o365-usersync explain`: the real command against both simulators. It plans with the engine's planner and says
// why, in the planner's words; it writes nothing.

let lab: Lab;
let tenant: TestTenant;
let azurite: RunningAzurite;
const GROUPS = ["Sales", "Engineering"];

before(async () => {
  lab = await startLab();
  tenant = seedTenant(lab);
  azurite = await startAzurite();
  const first = await lab.runCli(["provision", "--auto-create", ...GROUPS]);
  assert.equal(first.status, 0, first.stderr);
});
after(async () => {
  await lab.close();
  await azurite.close();
});

const explain = async (args: string[], env: Record<string, string | undefined> = {}) => {
  const writes = lab.mi.requests.writes;
  const run = await lab.runCli(["explain", ...args, ...GROUPS], env);
  assert.equal(lab.mi.requests.writes, writes, "explain writes nothing to MI");
  return run;
};

test("explain <user>: in step; a pending removal with the planner's reason; disabled; nested, not counted", async () => {
  const ann = await explain(["ann@contoso.com"]);
  assert.equal(ann.status, 0, ann.stderr);
  assert.match(ann.stdout, /In the synced groups: Sales \(direct\)/);
  assert.match(ann.stdout, /MI account ann@contoso\.com .* in Default Group, Sales\./);
  assert.match(ann.stdout, /Nothing to do: MI is in step/);
  assert.match(ann.stdout, /Sales\s+Entra: direct\s+MI: member\s+in step/);

  lab.graph.directory.removeMember(tenant.groups.Sales!, tenant.users.bob!);
  const bob = await explain(["bob@contoso.com"]);
  assert.match(
    bob.stdout,
    /A sync now would make 1 change\(s\):\n\s+remove bob@contoso\.com from 'Sales' \(not in any synced Entra group\)/,
  );
  assert.match(bob.stdout, /Sales\s+Entra: no\s+MI: member\s+remove bob@contoso\.com from 'Sales'/);
  lab.graph.directory.addMember(tenant.groups.Sales!, tenant.users.bob!);

  const dis = await explain(["dis@contoso.com"]);
  assert.match(dis.stdout, /is disabled in Entra/);
  assert.match(dis.stdout, /Sales\s+Entra: direct\s+MI: no\s+not written: the account is disabled in Entra/);

  const dan = await explain(["dan@contoso.com"]);
  assert.match(dan.stdout, /Only through nesting in Engineering: not counted, since --process-child-groups/);
  const nested = await explain(["dan@contoso.com", "--process-child-groups", "--auto-create"]);
  assert.match(nested.stdout, /In the synced groups: Engineering \(through nesting\)/);
  assert.match(nested.stdout, /create user dan@contoso\.com \(regular\) \(member of a synced group, missing in MI\)/);
  assert.match(nested.stdout, /add dan@contoso\.com to 'Engineering' \(member of the Entra group\)/);
});

test("explain <user>: a name clash is the planner's problem, weighed against every synced user", async () => {
  const eve = lab.graph.directory.addUser({
    userPrincipalName: "eve@contoso.com",
    mail: "ann@contoso.com",
    givenName: "Eve",
    surname: "Tester",
    accountEnabled: true,
  }).id;
  lab.graph.directory.addMember(tenant.groups.Sales!, eve);
  try {
    const run = await explain(["eve@contoso.com"]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(
      run.stdout,
      /Cannot be written: two Entra users would have the email 'ann@contoso\.com'; 'eve@contoso\.com' was not written \(duplicate-email\)/,
    );
    assert.match(run.stdout, /Sales\s+Entra: direct\s+MI: no\s+not written: two Entra users would have the email/);
    assert.doesNotMatch(run.stdout, /disabled/, "only eve's own rules");
  } finally {
    lab.graph.directory.removeMember(tenant.groups.Sales!, eve);
  }
});

test("explain <group>: its MI group, counts and pending differences; a group not synced; nothing of that name", async () => {
  lab.graph.directory.addMember(tenant.groups.Engineering!, tenant.users.ann!);
  const engineering = await explain(["Engineering"]);
  assert.equal(engineering.status, 0, engineering.stderr);
  assert.match(engineering.stdout, /MI group 'Engineering' \(id \d+\), fed by Engineering \(/);
  assert.match(engineering.stdout, /Entra: 2 user\(s\), 2 enabled; MI: 1 member\(s\)\./);
  assert.match(engineering.stdout, /A resync now would make 1 change\(s\):\n\s+add ann@contoso\.com to 'Engineering'/);
  lab.graph.directory.removeMember(tenant.groups.Engineering!, tenant.users.ann!);

  const platform = await explain(["Platform"]);
  assert.equal(platform.status, 0);
  assert.match(platform.stdout, /Entra group Platform \(.*\) is not one of the groups this sync selects/);

  const nothing = await explain(["Nowhere"]);
  assert.equal(nothing.status, 1);
  assert.match(nothing.stdout, /No Entra user and no MI user is named 'Nowhere'/);
  const kindGroup = await explain(["--kind", "group", "ann@contoso.com"]);
  assert.equal(kindGroup.status, 1);
  assert.match(kindGroup.stdout, /No Entra group and no MI group is named 'ann@contoso\.com'/);
});

test("explain --json: the explanation as one object", async () => {
  const run = await explain(["--json", "ann@contoso.com"]);
  assert.equal(run.status, 0, run.stderr);
  const x = JSON.parse(run.stdout) as {
    kind: string;
    entra: { id: string };
    syncedGroups: { name: string; via: string; counts: boolean }[];
    operations: unknown[];
    audit: unknown;
  };
  assert.equal(x.kind, "user");
  assert.equal(x.entra.id, tenant.users.ann);
  assert.deepEqual(
    x.syncedGroups.map((g) => [g.name, g.via, g.counts]),
    [["Sales", "direct", true]],
  );
  assert.deepEqual(x.operations, []);
  assert.equal(x.audit, null, "no trail given");
});

test("provision --audit-storage records the run in the app's audit trail as path cli; explain reads it back", async () => {
  const env = { SYNC_AUDIT_STORAGE: azurite.connectionString, SYNC_TABLE_PREFIX: "clitest" };
  lab.graph.directory.removeMember(tenant.groups.Sales!, tenant.users.bob!);
  const provision = await lab.runCli(["provision", ...GROUPS, "-v"], env);
  assert.equal(provision.status, 0, provision.stderr);
  const runId = /audit trail: this run records as (\S+)/.exec(provision.stderr)?.[1];
  assert.ok(runId, provision.stderr);
  assert.ok(!provision.stderr.includes("Eby8vdM02x"), "the storage key is never printed");
  const trail = new TableAuditTrail({
    storage: { kind: "connectionString", connectionString: azurite.connectionString },
    tablePrefix: "clitest",
  });
  const run = await trail.listByRun(runId);
  assert.deepEqual(
    run.entries.map((e) => [e.path, e.op, e.status, e.user?.name, e.group?.name, e.reason]),
    [["cli", "removeMember", "applied", "bob@contoso.com", "Sales", "not in any synced Entra group"]],
  );
  const dry = await lab.runCli(["provision", ...GROUPS, "--dry-run"], env);
  assert.equal(dry.status, 0);
  assert.ok(!dry.stderr.includes("this run records as"), "a dry run records nothing");

  const explained = await explain(["bob@contoso.com"], env);
  assert.match(
    explained.stdout,
    /Last audit entries:\n\s+\S+ \S+ UTC\s+cli\s+\[applied\] remove bob@contoso\.com from 'Sales'/,
  );
  lab.graph.directory.addMember(tenant.groups.Sales!, tenant.users.bob!);
});

test("explain: bad input is a usage error (exit 2)", async () => {
  const none = await lab.runCli(["explain"]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /missing required argument/);
  const kind = await lab.runCli(["explain", "--kind", "robot", "ann@contoso.com", "Sales"]);
  assert.equal(kind.status, 2);
  assert.match(kind.stderr, /see 'mi-o365-usersync explain --help'/);
  const control = await lab.runCli(["explain", "ann\u0007", "Sales"]);
  assert.equal(control.status, 2);
  assert.match(control.stderr, /no control characters/);
  const storage = await lab.runCli([
    "explain",
    "ann@contoso.com",
    "Sales",
    "--audit-storage",
    "not a connection string",
  ]);
  assert.equal(storage.status, 2, storage.stderr);
  assert.match(storage.stderr, /connection string is not valid/);
});
