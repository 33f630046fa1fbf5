import assert from "node:assert/strict";
import { test } from "node:test";
import { type Lab, type LabOptions, startLab } from "../../sim/sandbox/lab.js";
import { miMembers } from "./tenant.js";

// Throttling, token expiry, paging and failed reads: the final MI state is still exact, or nothing is removed.

async function withLab(fn: (lab: Lab) => Promise<void>, options: LabOptions = {}): Promise<void> {
  const lab = await startLab(options);
  try {
    await fn(lab);
  } finally {
    await lab.close();
  }
}

/** A group of `count` users, u000..; returns its id and the users' UPNs. */
function bigGroup(lab: Lab, name: string, count: number): { id: string; upns: string[] } {
  const dir = lab.graph.directory;
  const id = dir.addGroup({ displayName: name }).id;
  const upns: string[] = [];
  for (let i = 0; i < count; i++) {
    const upn = `${name.toLowerCase()}${String(i).padStart(4, "0")}@contoso.com`;
    dir.addMember(
      id,
      dir.addUser({ userPrincipalName: upn, mail: upn, givenName: `G${i}`, surname: "S", accountEnabled: true }).id,
    );
    upns.push(upn);
  }
  return { id, upns };
}

test("Graph throttling (429 with fractional Retry-After, 503, 504) and MI 429/deadlocks: the run completes exactly", () =>
  withLab(async (lab) => {
    const { upns } = bigGroup(lab, "Throttled", 30);
    lab.graph.faults.inject({ match: "/members", status: 429, retryAfter: "0.2", times: 2 });
    lab.graph.faults.inject({ match: "/groups", status: 503, retryAfter: "0.1", times: 1 });
    lab.graph.faults.inject({ match: "/members", status: 504, retryAfter: "0", times: 1 });
    lab.mi.faults.inject({
      method: "POST",
      match: "/api/user_group_member",
      status: 429,
      headers: { "Retry-After": "0.1" },
      times: 3,
    });
    lab.mi.faults.deadlock(2);
    const run = await lab.runCli(["provision", "-a", "Throttled", "--json"]);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(miMembers(lab, "Throttled"), upns);
    const statuses = lab.graph.requests.entries.map((e) => e.status);
    assert.ok(statuses.includes(429) && statuses.includes(503), `throttling was exercised: ${statuses.join(",")}`);
  }));

test("MI token expiring mid-run: refreshed, and the final state is exact", () => {
  // MI's clock jumps an hour ahead after its 60th look at it: the token expires mid-run whatever the machine's speed.
  let looks = 0;
  const miClock = (): Date => new Date(Date.now() + (++looks > 60 ? 3_600_000 : 0));
  return withLab(
    async (lab) => {
      const { upns } = bigGroup(lab, "Expiring", 80);
      const run = await lab.runCli(["provision", "-a", "Expiring"]);
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(miMembers(lab, "Expiring"), upns);
      assert.ok(lab.mi.requests.tokenRequests >= 2, `token requests: ${lab.mi.requests.tokenRequests}`);
      const expired = lab.mi.requests.entries.filter((e) => e.status === 412).length;
      assert.ok(expired >= 1, "the token did expire during the run");
    },
    { mi: { now: miClock } },
  );
});

test("paging past one page (short pages, 1,200 members): every member is synced", () =>
  withLab(
    async (lab) => {
      const { upns } = bigGroup(lab, "Paged", 1200);
      const run = await lab.runCli(["provision", "-a", "Paged", "--skip-default-group", "--max-removals", "none"]);
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(miMembers(lab, "Paged"), upns);
      // The first page comes inside a $batch; every further page is a next link, fetched on its own.
      const pages = lab.graph.requests.entries.filter((e) => e.route === "GET /groups/{id}/members");
      assert.ok(pages.length >= 5, `pages fetched: ${pages.length} (1,200 members, at most 250 a page)`);
    },
    { graph: { maxPageSize: 250, shortPages: true } },
  ));

test("a members read failing after retries: that group's removals are skipped, adds still applied, exit 1", () =>
  withLab(async (lab) => {
    const ok = bigGroup(lab, "Healthy", 3);
    const broken = bigGroup(lab, "Broken", 3);
    const first = await lab.runCli(["provision", "-a", "Healthy", "Broken"]);
    assert.equal(first.status, 0, first.stderr);
    lab.graph.directory.removeMember(broken.id, lab.graph.directory.findUserByUpn(broken.upns[0]!)!.id);
    lab.graph.directory.removeMember(ok.id, lab.graph.directory.findUserByUpn(ok.upns[0]!)!.id);
    lab.graph.faults.inject({ match: `/groups/${broken.id}/members`, status: 500, times: 50 });
    const run = await lab.runCli(["provision", "Healthy", "Broken", "--json"]);
    assert.equal(run.status, 1, run.stderr);
    assert.deepEqual(miMembers(lab, "Broken"), broken.upns, "nothing removed from the group that could not be read");
    assert.deepEqual(miMembers(lab, "Healthy"), ok.upns.slice(1), "the other group is synced fully");
    const doc = JSON.parse(run.stdout) as { counts: { failed: number }; errors: string[] };
    assert.equal(doc.counts.failed, 1);
    assert.match(doc.errors.join("\n"), /Broken/);
  }));
