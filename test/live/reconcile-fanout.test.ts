import assert from "node:assert/strict";
import { test } from "node:test";
import { startLiveLab } from "../../sim/sandbox/live-lab.js";
import { miMembers, seedTenant } from "../cli/tenant.js";

// Above RECONCILE_FANOUT_THRESHOLD groups the timer reconcile fans out one `chain` message per delta chain; the
// workers resync each chain's groups and restart its delta from before their reads.

test("reconcile fan-out: one chain message per delta chain, every group synced, links stored", async () => {
  const live = await startLiveLab({
    sync: { SYNC_GROUPS: "Sales;Engineering", SYNC_AUTO_CREATE: "all", RECONCILE_FANOUT_THRESHOLD: "1" },
  });
  try {
    seedTenant(live.lab);
    await live.reconcile();
    await live.runner.idle();
    assert.deepEqual(miMembers(live.lab, "Sales"), [
      "ann@contoso.com",
      "bob@contoso.com",
      "jane_partner.com#EXT#@contoso.onmicrosoft.com",
    ]);
    assert.deepEqual(miMembers(live.lab, "Engineering"), ["cat@contoso.com"]);
    const runs = await live.deps.state.listRuns({ limit: 10 });
    const chainRuns = runs.filter((r) => r.detail?.message === "chain");
    assert.equal(chainRuns.length, 1, "two groups, one chain, one message");
    assert.equal(chainRuns[0]?.status, "succeeded");
    assert.equal(chainRuns[0]?.detail?.groups, "2 group(s)");
    const [chain] = await live.deps.state.listDeltaChains("groups");
    assert.ok(chain?.deltaLink && chain.readFrom, "the chain has its link and when its round began");
  } finally {
    await live.close();
  }
});
