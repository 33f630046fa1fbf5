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
    // dan leaves both groups; the two writes land in either order, so wait for both.
    await eventually(
      () =>
        !miMembers(live.lab, "Engineering").includes("dan@contoso.com") &&
        !miMembers(live.lab, "Platform").includes("dan@contoso.com"),
      "dan out of Engineering and Platform",
    );
    await live.runner.idle();
    const groupRuns = async () =>
      (await live.deps.state.listRuns({ limit: 20 })).filter((r) => r.detail?.message === "group");
    // A member of a group inside synced groups: the user's transitive groups name every synced ancestor at once.
    assert.ok((await groupRuns()).some((r) => r.detail?.path === "users"));

    // A nested group taken out of a synced group: every synced ancestor is resynced whole.
    live.lab.graph.directory.removeMember(tenant.groups.Platform!, infra);
    await eventually(() => !miMembers(live.lab, "Platform").includes("ann@contoso.com"), "ann out of Platform");
    await eventually(() => !miMembers(live.lab, "Engineering").includes("ann@contoso.com"), "and of Engineering");
    await live.runner.idle();
    assert.ok((await groupRuns()).some((r) => r.detail?.path === "groups"));
  } finally {
    await live.close();
  }
});
