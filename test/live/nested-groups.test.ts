import assert from "node:assert/strict";
import { test } from "node:test";
import { startLiveLab } from "../../sim/sandbox/live-lab.js";
import { miMembers, seedTenant } from "../cli/tenant.js";
import { eventually } from "../helpers/eventually.js";

// With --process-child-groups (SYNC_PROCESS_CHILD_GROUPS), a change in a nested group reaches every synced ancestor.

test("nested groups: a member added to a child group appears in every synced ancestor in MI", async () => {
  const live = await startLiveLab({
    sync: { SYNC_GROUPS: "Engineering;Platform;Sales", SYNC_AUTO_CREATE: "all", SYNC_PROCESS_CHILD_GROUPS: "true" },
  });
  try {
    const tenant = seedTenant(live.lab);
    // Platform (synced) is nested in Engineering (synced); Infra (not synced) is nested in Platform.
    const infra = live.lab.graph.directory.addGroup({ displayName: "Infra" }).id;
    live.lab.graph.directory.addMember(tenant.groups.Platform!, infra);
    await live.reconcile();
    await live.runner.idle();
    assert.deepEqual(miMembers(live.lab, "Engineering"), ["cat@contoso.com", "dan@contoso.com"]);
    const resources = live.lab.graph
      .subscriptions()
      .map((s) => String(s.resource))
      .sort();
    assert.deepEqual(resources, ["groups", "users"], "one subscription on the groups collection covers nested groups");

    live.lab.graph.directory.addMember(infra, tenant.users.ann!);
    await eventually(
      () =>
        miMembers(live.lab, "Engineering").includes("ann@contoso.com") &&
        miMembers(live.lab, "Platform").includes("ann@contoso.com"),
      "ann in Engineering and Platform",
    );
    live.lab.graph.directory.removeMember(tenant.groups.Platform!, tenant.users.dan!);
    await eventually(() => !miMembers(live.lab, "Engineering").includes("dan@contoso.com"), "dan out of Engineering");
    assert.ok(!miMembers(live.lab, "Platform").includes("dan@contoso.com"));
    await live.runner.idle();
    const groupRuns = async () =>
      (await live.deps.state.listRuns({ limit: 20 })).filter((r) => r.detail?.message === "group");
    const platformRun = (await groupRuns()).find((r) => String(r.detail?.groups).includes(tenant.groups.Platform!));
    assert.equal(platformRun?.detail?.path, "full", "a group inside a synced group takes the full path");

    // Sales holds no groups and no synced group holds it: the fast path, its nesting read in the same $batch.
    live.lab.graph.requests.reset();
    live.lab.graph.directory.addMember(tenant.groups.Sales!, tenant.users.cat!);
    await eventually(() => miMembers(live.lab, "Sales").includes("cat@contoso.com"), "cat in Sales");
    await live.runner.idle();
    const salesRun = (await groupRuns()).find((r) => String(r.detail?.groups).includes(tenant.groups.Sales!));
    assert.equal(salesRun?.detail?.path, "delta");
    const graph = { ...live.lab.graph.requests.byRoute };
    delete graph["POST /token"];
    assert.deepEqual(graph, {
      "GET /groups/delta": 1,
      "POST /$batch": 1,
      "GET /users/{id}": 1,
      "GET /groups/{id}/transitiveMemberOf/microsoft.graph.group": 1,
      "GET /groups/{id}/members/microsoft.graph.group": 1,
    });
  } finally {
    await live.close();
  }
});
