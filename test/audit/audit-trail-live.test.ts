import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { InvocationContext, type Timer } from "@azure/functions";
import { type LiveLab, startLiveLab } from "../../sim/sandbox/live-lab.js";
import { createAuditPruneHandler } from "../../src/functions/audit-prune.js";
import type { LiveDeps } from "../../src/live/live-deps.js";
import { seedTenant, type TestTenant } from "../cli/tenant.js";
import { eventually } from "../helpers/eventually.js";

// The audit trail as the app writes it: every path (timer reconcile, a notification, a resync on demand) records its
// operations with their run, path and reason, readable by user, by group and by run.

let live: LiveLab;
let tenant: TestTenant;

before(async () => {
  live = await startLiveLab({ sync: { SYNC_GROUPS: "Sales;Engineering", SYNC_AUTO_CREATE: "all" } });
  tenant = seedTenant(live.lab);
  await live.reconcile();
  await live.runner.idle();
});
after(() => live.close());

const trail = () => {
  const audit = live.deps.audit;
  assert.ok(audit, "the app has an audit trail");
  return audit;
};

test("the timer reconcile records each operation under its run, its user and its group", async () => {
  const [reconcile] = (await live.deps.state.listRuns({ limit: 20 })).filter((r) => r.kind === "reconcile");
  assert.ok(reconcile);
  const run = await trail().listByRun(reconcile.runId);
  assert.ok(run.entries.length > 0, "the run has entries");
  assert.ok(run.entries.every((e) => e.path === "reconcile" && e.runId === reconcile.runId));
  const added = run.entries.find((e) => e.op === "addMember" && e.user?.name === "ann@contoso.com");
  assert.equal(added?.group?.name, "Sales");
  assert.equal(added?.status, "applied");
  assert.equal(added?.reason, "member of the Entra group");
  assert.equal(added?.user?.entraUserId, tenant.users.ann);
  assert.ok(added?.user?.miUserId, "with the MI id apply created");

  const ann = await trail().listByUser("ANN@contoso.com");
  assert.deepEqual(ann.entries.map((e) => `${e.op} ${e.group?.name ?? ""}`.trim()).sort(), [
    "addMember Default Group",
    "addMember Sales",
    "createUser",
  ]);
  const sales = await trail().listByGroup("sales");
  assert.ok(sales.entries.some((e) => e.op === "createGroup"));
  assert.ok(sales.entries.filter((e) => e.op === "addMember").length >= 2);
});

test("a notification's change is recorded with path notification and its latency", async () => {
  live.lab.graph.directory.removeMember(tenant.groups.Sales!, tenant.users.bob!);
  await live.runner.idle();
  let bob = await trail().listByUser("bob@contoso.com");
  await eventually(async () => {
    bob = await trail().listByUser("bob@contoso.com");
    return bob.entries.some((e) => e.op === "removeMember");
  }, "bob's removal in the trail");
  const removal = bob.entries[0]!;
  assert.equal(removal.op, "removeMember", "newest first");
  assert.equal(removal.path, "notification");
  assert.equal(removal.group?.name, "Sales");
  assert.equal(removal.reason, "not in any synced Entra group");
  const runs = await trail().listRunsSince(new Date(live.deps.now().getTime() - 3_600_000));
  const run = runs.find((r) => r.runId === removal.runId);
  assert.equal(run?.path, "notification");
  assert.equal(run?.applied, 1);
  assert.equal(typeof run?.latencyMs, "number");
});

const timer: Timer = {
  isPastDue: false,
  schedule: { adjustForDST: true },
  scheduleStatus: { last: "", next: "", lastUpdated: "" },
};
const DAY_MS = 86_400_000;

test("the audit-prune timer deletes what is older than AUDIT_RETENTION_DAYS (90), and nothing newer", async () => {
  const at = (days: number): LiveDeps => ({ ...live.deps, now: () => new Date(Date.now() + days * DAY_MS) });
  const prune = (deps: LiveDeps) =>
    createAuditPruneHandler(async () => deps)(timer, new InvocationContext({ functionName: "audit-prune" }));
  const before = await trail().listByGroup("Sales", { limit: 1000 });
  const runsBefore = (await live.deps.state.listRuns({ limit: 100 })).length;
  await prune(at(89));
  assert.equal((await trail().listByGroup("Sales", { limit: 1000 })).entries.length, before.entries.length);
  assert.equal((await live.deps.state.listRuns({ limit: 100 })).length, runsBefore, "nothing pruned, nothing recorded");

  await prune(at(91));
  assert.equal((await trail().listByGroup("Sales")).entries.length, 0);
  assert.equal((await trail().listByUser("ann@contoso.com")).entries.length, 0);
  assert.deepEqual(await trail().listRunsSince(new Date(0)), []);
  const [run] = await live.deps.state.listRuns({ limit: 1 });
  assert.equal(run?.trigger, "audit-prune");
  assert.ok((run?.counts.auditRunsPruned ?? 0) >= 2, JSON.stringify(run?.counts));
  assert.ok((run?.counts.auditRowsPruned ?? 0) > (run?.counts.auditRunsPruned ?? 0));
  assert.deepEqual(await trail().prune(new Date(Date.now() + 91 * DAY_MS)), { runs: 0, rows: 0 }, "idempotent");
});
