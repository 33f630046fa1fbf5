import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type LiveLab, startLiveLab } from "../../sim/sandbox/live-lab.js";
import { resyncOnDemand } from "../../src/live/resync-on-demand.js";
import { buildStatusReport } from "../../src/status/build-status-report.js";
import { miMembers, seedTenant, type TestTenant } from "../cli/tenant.js";
import { eventually } from "../helpers/eventually.js";

// The status report and resync on demand against the whole live path: simulators, Azurite, the production functions.
// Tests run in order and share one lab; the poison test is last because it leaves the app failing.

let live: LiveLab;
let tenant: TestTenant;

/** Calls a status route through the lab's functions host. */
async function call(path: string, init: RequestInit = {}, key: string | null = live.functionKey) {
  const url = new URL(path, live.host.url);
  if (key !== null) url.searchParams.set("code", key);
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

before(async () => {
  live = await startLiveLab({ sync: { SYNC_GROUPS: "Sales;Engineering", SYNC_AUTO_CREATE: "all" } });
  tenant = seedTenant(live.lab);
  await live.reconcile();
  await live.runner.idle();
});
after(() => live.close());

test("after a reconcile the report is healthy, with runs, subscriptions and chains", async () => {
  const report = await buildStatusReport(live.deps);
  assert.equal(report.verdict.level, "healthy", report.verdict.reasons.join(" | "));
  assert.match(report.verdict.reasons[0]!, /last reconcile succeeded/);
  assert.equal(report.lastReconcile?.status, "succeeded");
  const reconcile = report.runs.find((r) => r.kind === "reconcile");
  assert.ok(reconcile, "the reconcile run is listed");
  assert.equal(reconcile.trigger, "timer");
  assert.ok(reconcile.counts.membershipsAdded! > 0, "with its counts");
  assert.ok(reconcile.durationMs >= 0);
  assert.deepEqual(
    report.subscriptions.map((s) => s.resource).sort(),
    [`groups/${tenant.groups.Engineering}`, `groups/${tenant.groups.Sales}`, "users"].sort(),
  );
  for (const s of report.subscriptions) assert.ok(s.hoursLeft > 12, `${s.resource} has time left`);
  const groups = report.chains.find((c) => c.chainId === "groups-0");
  assert.equal(groups?.groupCount, 2);
  assert.equal(typeof groups?.deltaLinkAgeHours, "number");
  assert.deepEqual(report.queue, { queued: 0, poison: 0 });
});

test("GET /api/status: JSON behind the function key, never a clientState or the key", async () => {
  assert.equal((await call("/api/status", {}, null)).status, 401);
  assert.equal((await call("/api/status", {}, "wrong")).status, 401);
  const res = await call("/api/status");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  assert.equal(res.headers.get("cache-control"), "no-store");
  const report = JSON.parse(res.text) as { verdict: { level: string } };
  assert.equal(report.verdict.level, "healthy");
  const secrets = (await live.deps.state.listSubscriptions()).flatMap((s) =>
    [s.clientState, s.previousClientState].filter((v) => v !== undefined),
  );
  assert.ok(secrets.length >= 3, "the subscriptions have secrets to leak");
  for (const secret of secrets) assert.ok(!res.text.includes(secret), "no clientState in the report");
  assert.ok(!res.text.includes(live.functionKey), "no function key in the report");
  assert.ok(!res.text.includes("notificationUrl"), "no notification URL (it carries the key)");
  assert.ok(!res.text.includes("deltatoken") && !res.text.includes("$deltatoken"), "no delta link");
});

test("resync a group on demand: the plan writes nothing and shows the change; apply applies it", async () => {
  live.lab.graph.notifications.pause();
  try {
    live.lab.graph.directory.addMember(tenant.groups.Sales!, tenant.users.dan!);
    const writes = live.lab.mi.requests.writes;
    const runsBefore = (await live.deps.state.listRuns({ limit: 100 })).length;
    const plan = await resyncOnDemand(live.deps, { kind: "group", group: tenant.groups.Sales! }, "plan");
    assert.equal(live.lab.mi.requests.writes, writes, "plan mode writes nothing to MI");
    assert.equal((await live.deps.state.listRuns({ limit: 100 })).length, runsBefore, "nor a run record");
    assert.equal(plan.outcome, "planned");
    assert.equal(plan.dryRun, true);
    assert.deepEqual(plan.groups, ["Sales"]);
    const add = plan.operations.find((o) => o.op === "addMember");
    assert.ok(add, JSON.stringify(plan.operations));
    assert.equal(add.status, "planned");
    assert.match(add.description, /dan@contoso\.com/);
    assert.ok(add.reason.length > 0, "each operation says why");
    assert.ok(!miMembers(live.lab, "Sales").includes("dan@contoso.com"));

    const applied = await resyncOnDemand(live.deps, { kind: "group", group: tenant.groups.Sales! }, "apply", {
      expectedPlan: plan.planDigest,
    });
    assert.equal(applied.outcome, "applied", JSON.stringify(applied));
    assert.equal(applied.dryRun, false);
    assert.ok(applied.operations.every((o) => o.status === "applied"));
    assert.ok(miMembers(live.lab, "Sales").includes("dan@contoso.com"), "dan is in Sales in MI");
    const [run] = await live.deps.state.listRuns({ limit: 1 });
    assert.equal(run?.kind, "worker");
    assert.equal(run?.trigger, "on-demand");
    assert.equal(run?.status, "succeeded");
    assert.equal(run?.runId, applied.runId);
  } finally {
    live.lab.graph.notifications.resume();
  }
  await live.runner.idle();
});

test("apply with a stale plan digest writes nothing and returns the current plan", async () => {
  const mi = live.lab.mi.state;
  const cat = mi.userByUsername("cat@contoso.com")!;
  const engineering = mi.groupByName("Engineering")!;
  mi.removeMembership(mi.membership(cat.id, engineering.id)!.id);
  const writes = live.lab.mi.requests.writes;
  const outcome = await resyncOnDemand(live.deps, { kind: "group", group: tenant.groups.Engineering! }, "apply", {
    expectedPlan: "not-the-current-plan",
  });
  assert.equal(outcome.outcome, "plan-changed");
  assert.equal(live.lab.mi.requests.writes, writes);
  assert.ok(outcome.operations.some((o) => o.op === "addMember" && o.status === "planned"));
  // The group is left for the next test's user resync to not touch.
});

test("resync a user on demand: only that user's changes, planned then applied", async () => {
  const mi = live.lab.mi.state;
  const sales = mi.groupByName("Sales")!;
  const bob = mi.userByUsername("bob@contoso.com")!;
  mi.removeMembership(mi.membership(bob.id, sales.id)!.id);
  const writes = live.lab.mi.requests.writes;
  const plan = await resyncOnDemand(live.deps, { kind: "user", user: "BOB@contoso.com" }, "plan");
  assert.equal(live.lab.mi.requests.writes, writes, "plan mode writes nothing to MI");
  assert.deepEqual(
    plan.operations.map((o) => [o.op, o.status]),
    [["addMember", "planned"]],
    "only bob's membership, not cat's (drifted in the previous test)",
  );
  assert.match(plan.operations[0]!.description, /bob@contoso\.com/);
  assert.ok(!miMembers(live.lab, "Sales").includes("bob@contoso.com"));

  const applied = await resyncOnDemand(live.deps, { kind: "user", user: "bob@contoso.com" }, "apply");
  assert.equal(applied.outcome, "applied");
  assert.ok(miMembers(live.lab, "Sales").includes("bob@contoso.com"), "bob is back in Sales");
  assert.ok(!miMembers(live.lab, "Engineering").includes("cat@contoso.com"), "cat was not touched");

  const nobody = await resyncOnDemand(live.deps, { kind: "user", user: "nobody@contoso.com" }, "plan");
  assert.equal(nobody.operations.length, 0);
  assert.match(nobody.warnings.join(" "), /No member of a synced group matches 'nobody@contoso\.com'/);
  // Put cat back so the app is in step again.
  await resyncOnDemand(live.deps, { kind: "group", group: tenant.groups.Engineering! }, "apply");
  assert.ok(miMembers(live.lab, "Engineering").includes("cat@contoso.com"));
});

test("POST /api/status/resync: validated input, plan by default, apply on ?mode=apply", async () => {
  const post = (body: unknown, mode?: string) =>
    call(`/api/status/resync${mode ? `?mode=${mode}` : ""}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const bad: [unknown, RegExp][] = [
    ["not json", /body must be JSON/],
    [{}, /expected \{ "group"/],
    [{ group: " " }, /group must not be empty/],
    [{ group: "Sa\u0007les" }, /group must not hold control characters/],
    [{ group: tenant.groups.Sales, user: "ann@contoso.com" }, /expected/],
    [{ user: "" }, /user must not be empty/],
  ];
  for (const [body, reason] of bad) {
    const res = await post(body);
    assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.text}`);
    assert.match((JSON.parse(res.text) as { error: string }).error, reason);
  }
  const badMode = await post({ group: tenant.groups.Sales }, "now");
  assert.equal(badMode.status, 400);
  const unknown = await post({ group: tenant.groups.Platform });
  assert.equal(unknown.status, 404, unknown.text);
  assert.match(unknown.text, /not one of the groups this app syncs/);

  live.lab.graph.notifications.pause();
  try {
    live.lab.graph.directory.removeMember(tenant.groups.Sales!, tenant.users.ann!);
    const writes = live.lab.mi.requests.writes;
    const plan = await post({ group: tenant.groups.Sales });
    assert.equal(plan.status, 200, plan.text);
    const planned = JSON.parse(plan.text) as { mode: string; planDigest: string; operations: { op: string }[] };
    assert.equal(planned.mode, "plan");
    assert.deepEqual(
      planned.operations.map((o) => o.op),
      ["removeMember"],
    );
    assert.equal(live.lab.mi.requests.writes, writes);
    const apply = await post({ group: tenant.groups.Sales, expectedPlan: planned.planDigest }, "apply");
    assert.equal(apply.status, 200, apply.text);
    assert.equal((JSON.parse(apply.text) as { outcome: string }).outcome, "applied");
    assert.ok(!miMembers(live.lab, "Sales").includes("ann@contoso.com"));
  } finally {
    live.lab.graph.notifications.resume();
  }
  await live.runner.idle();
});

test("resync by group name: the same as by its id; a name not synced is 404", async () => {
  const post = (body: unknown) =>
    call("/api/status/resync", { method: "POST", body: JSON.stringify(body) }).then((r) => ({
      ...r,
      json: JSON.parse(r.text) as { groups?: string[]; error?: string },
    }));
  const byName = await post({ group: "sales" });
  assert.equal(byName.status, 200, byName.text);
  assert.deepEqual(byName.json.groups, ["Sales"]);
  const notSynced = await post({ group: "Platform" });
  assert.equal(notSynced.status, 404, notSynced.text);
  assert.match(String(notSynced.json.error), /not one of the groups this app syncs/);
});

test("GET /api/status/audit, /explain and /names: validated input, behind the function key", async () => {
  for (const path of ["/api/status/audit?user=ann@contoso.com", "/api/status/explain?q=Sales", "/api/status/names"]) {
    assert.equal((await call(path, {}, null)).status, 401, `${path} needs the key`);
  }
  const bad: [string, RegExp][] = [
    ["/api/status/audit", /exactly one of user, group or run/],
    ["/api/status/audit?user=ann@contoso.com&group=Sales", /exactly one/],
    ["/api/status/audit?run=a%20b", /run must be a run id/],
    ["/api/status/audit?user=ann@contoso.com&limit=0", /limit/],
    ["/api/status/audit?user=ann@contoso.com&sort=x", /sort/],
    ["/api/status/explain", /q/],
    ["/api/status/explain?q=ann@contoso.com&kind=robot", /kind/],
    ["/api/status/names?q=%07", /control characters/],
  ];
  for (const [path, reason] of bad) {
    const res = await call(path);
    assert.equal(res.status, 400, `${path} → ${res.text}`);
    assert.match((JSON.parse(res.text) as { error: string }).error, reason, path);
  }

  const audit = await call("/api/status/audit?group=Sales&limit=500");
  assert.equal(audit.status, 200, audit.text);
  const page = JSON.parse(audit.text) as { entries: { op: string; group?: { name: string } }[]; truncated: boolean };
  assert.ok(
    page.entries.some((e) => e.op === "createGroup"),
    "the reconcile created Sales",
  );
  assert.ok(page.entries.every((e) => e.group?.name === "Sales"));

  const explained = await call(`/api/status/explain?q=${encodeURIComponent("Sales")}`);
  assert.equal(explained.status, 200, explained.text);
  const group = JSON.parse(explained.text) as {
    kind: string;
    counts: { miMembers: number };
    chain: { chainId: string } | null;
    subscription: { resource: string } | null;
  };
  assert.equal(group.kind, "group");
  assert.equal(group.chain?.chainId, "groups-0");
  assert.equal(group.subscription?.resource, `groups/${tenant.groups.Sales}`);
  assert.ok(group.counts.miMembers >= 3);

  const names = await call("/api/status/names?q=s");
  assert.equal(names.status, 200, names.text);
  assert.deepEqual((JSON.parse(names.text) as { groups: { name: string; id?: string }[] }).groups, [
    { name: "Sales", id: tenant.groups.Sales },
  ]);
});

test("explain in the app weighs, through the user ledger, the other users claiming a name (a clash), writing nothing", async () => {
  live.lab.graph.notifications.pause();
  const eve = live.lab.graph.directory.addUser({
    userPrincipalName: "eve@contoso.com",
    mail: "bob@contoso.com",
    givenName: "Eve",
    surname: "Tester",
    accountEnabled: true,
  }).id;
  live.lab.graph.directory.addMember(tenant.groups.Sales!, eve);
  try {
    const writes = live.lab.mi.requests.writes;
    const res = await call("/api/status/explain?q=eve@contoso.com");
    assert.equal(res.status, 200, res.text);
    const x = JSON.parse(res.text) as {
      kind: string;
      problems: { code: string; message: string }[];
      operations: unknown[];
      alsoWeighed: string[];
      groups: { group: string; verdict: string }[];
    };
    assert.equal(x.kind, "user");
    assert.deepEqual(x.problems, [
      {
        code: "duplicate-email",
        message: "two Entra users would have the email 'bob@contoso.com'; 'eve@contoso.com' was not written",
      },
    ]);
    assert.deepEqual(x.operations, [], "never bob's account updated with eve's name");
    assert.deepEqual(x.alsoWeighed, ["bob@contoso.com"], "bob, found through the ledger");
    assert.match(x.groups.find((g) => g.group === "Sales")?.verdict ?? "", /^not written: two Entra users/);
    assert.equal(live.lab.mi.requests.writes, writes, "explain writes nothing");
    assert.equal((await live.deps.state.getUserEntries([eve])).size, 0, "nor a ledger claim");
  } finally {
    live.lab.graph.directory.removeMember(tenant.groups.Sales!, eve);
    live.lab.graph.notifications.resume();
  }
  await live.runner.idle();
});

test("a poison message makes the report failing, naming the poison queue", async () => {
  await live.deps.queue.send({ kind: "group" });
  // The worker sends it to the poison queue, then the queue takes the original away: wait for both.
  await eventually(async () => {
    const depth = await live.deps.queue.depth();
    return depth.poison === 1 && depth.queued === 0;
  }, "poison queue");
  const report = await buildStatusReport(live.deps);
  assert.equal(report.verdict.level, "failing");
  assert.match(report.verdict.reasons.join(" "), /poison queue mi-sync-poison holds 1 message/);
  assert.deepEqual(report.queue, { queued: 0, poison: 1 });
  assert.ok(report.runs.some((r) => r.status === "poison" && r.errors.join(" ").includes("malformed")));
});
