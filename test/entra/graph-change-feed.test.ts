import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type GraphSim, startGraphSim } from "../../sim/graph/index.js";
import { DeltaResetError } from "../../src/entra/delta-reset-error.js";
import type { GroupDeltaChange, UserDeltaChange } from "../../src/entra/entra-change-feed.js";
import type { GraphEntraDirectory } from "../../src/entra/graph-entra-directory.js";
import { UsageError } from "../../src/errors/sync-error.js";
import { directoryFor } from "../helpers/graph-directory.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** A change with its id lists sorted, for order-free comparison. */
function sorted(change: GroupDeltaChange | undefined): GroupDeltaChange | undefined {
  if (change === undefined) return undefined;
  return {
    ...change,
    usersAdded: [...change.usersAdded].sort(),
    usersRemoved: [...change.usersRemoved].sort(),
    groupsChanged: [...change.groupsChanged].sort(),
  };
}

function changeOf(changes: GroupDeltaChange[], groupId: string): GroupDeltaChange | undefined {
  return sorted(changes.find((c) => c.groupId === groupId));
}

/** A simulated clock the tests move forward (delta tokens age with it). */
function simClock(): { now: () => Date; advance: (ms: number) => void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms) => (offset += ms) };
}

describe("GraphEntraDirectory.readGroupDelta", () => {
  const clock = simClock();
  let sim: GraphSim;
  let directory: GraphEntraDirectory;
  const id = (name: string) => `00000000-0000-4000-8000-${name.padStart(12, "0")}`;
  const [u1, u2, u3, u4, u5, u6] = ["1", "2", "3", "4", "5", "6"].map((n) => id(`a${n}`)) as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const [sales, support, nested, doomed] = ["b1", "b2", "b3", "b4"].map(id) as [string, string, string, string];

  before(async () => {
    sim = await startGraphSim({ now: clock.now });
    for (const [userId, n] of [u1, u2, u3, u4, u5, u6].map((u, i) => [u, i + 1] as const)) {
      sim.directory.addUser({ id: userId, userPrincipalName: `user${n}@contoso.example` });
    }
    sim.directory.loadSeed({
      groups: [
        { id: sales, displayName: "MI Sales", members: [u1, u2, nested] },
        { id: support, displayName: "MI Support", members: [u3] },
        { id: nested, displayName: "MI Nested", members: [u4] },
        { id: doomed, displayName: "MI Doomed", members: [u5] },
      ],
    });
    // A past removal: Graph's initial round lists it as an @removed member, which must be ignored.
    sim.directory.addMember(support, u6);
    sim.directory.removeMember(support, u6);
    directory = directoryFor(sim);
  });
  after(() => sim.close());

  it("initial full round: members as usersAdded, a nested group as groupsChanged, past removals ignored", async () => {
    const round = await directory.readGroupDelta({ groupIds: [sales, support] });
    assert.match(round.deltaLink, /\/v1\.0\/groups\/delta\?\$deltatoken=/);
    assert.deepEqual(round.changes.map((c) => c.groupId).sort(), [sales, support].sort());
    assert.deepEqual(changeOf(round.changes, sales), {
      groupId: sales,
      displayName: "MI Sales",
      usersAdded: [u1, u2].sort(),
      usersRemoved: [],
      groupsChanged: [nested],
    });
    assert.deepEqual(changeOf(round.changes, support), {
      groupId: support,
      displayName: "MI Support",
      usersAdded: [u3],
      usersRemoved: [],
      groupsChanged: [],
    });
  });

  it('start: "latest" → no changes and a link; then exactly the added and removed members', async () => {
    const latest = await directory.readGroupDelta({ groupIds: [sales, support], start: "latest" });
    assert.deepEqual(latest.changes, []);
    assert.match(latest.deltaLink, /\$deltatoken=/);

    sim.directory.addMember(sales, u5);
    sim.directory.removeMember(sales, u2);
    sim.directory.addMember(doomed, u6); // outside the filter
    const round = await directory.readGroupDelta({ groupIds: [], deltaLink: latest.deltaLink });
    assert.deepEqual(round.changes, [
      { groupId: sales, displayName: "MI Sales", usersAdded: [u5], usersRemoved: [u2], groupsChanged: [] },
    ]);

    const quiet = await directory.readGroupDelta({ groupIds: [], deltaLink: round.deltaLink });
    assert.deepEqual(quiet.changes, []);

    // A replay of the same link is served again and yields the same changes: harmless for an idempotent consumer.
    const replay = await directory.readGroupDelta({ groupIds: [], deltaLink: latest.deltaLink });
    assert.deepEqual(replay.changes, round.changes);
  });

  it("a stored deltaLink is requested whole: groupIds and start are ignored, nothing is added", async () => {
    const latest = await directory.readGroupDelta({ groupIds: [support], start: "latest" });
    sim.requests.reset();
    // Would answer any request that carried $deltatoken=latest or a $filter (the link carries neither).
    sim.faults.inject({ match: /deltatoken=latest|\$filter|\$select/i, status: 400, times: 10 });
    try {
      const round = await directory.readGroupDelta({ groupIds: [sales], deltaLink: latest.deltaLink, start: "latest" });
      assert.deepEqual(round.changes, []);
    } finally {
      sim.faults.clear();
    }
    assert.equal(sim.requests.count("GET /groups/delta"), 1);
  });

  it("a deleted group → removed", async () => {
    const latest = await directory.readGroupDelta({ groupIds: [doomed], start: "latest" });
    sim.directory.deleteGroup(doomed);
    const round = await directory.readGroupDelta({ groupIds: [doomed], deltaLink: latest.deltaLink });
    assert.equal(round.changes.length, 1);
    assert.equal(round.changes[0]?.groupId, doomed);
    assert.equal(round.changes[0]?.removed, "changed");
  });

  it("a nested group removed as a member → groupsChanged", async () => {
    const latest = await directory.readGroupDelta({ groupIds: [sales], start: "latest" });
    sim.directory.removeMember(sales, nested);
    const round = await directory.readGroupDelta({ groupIds: [sales], deltaLink: latest.deltaLink });
    assert.deepEqual(round.changes, [
      { groupId: sales, displayName: "MI Sales", usersAdded: [], usersRemoved: [], groupsChanged: [nested] },
    ]);
  });

  it("a token older than 7 days → DeltaResetError expired", async () => {
    const latest = await directory.readGroupDelta({ groupIds: [sales], start: "latest" });
    clock.advance(8 * DAY_MS);
    try {
      await assert.rejects(directory.readGroupDelta({ groupIds: [sales], deltaLink: latest.deltaLink }), (error) => {
        assert.ok(error instanceof DeltaResetError);
        assert.equal(error.reason, "expired");
        assert.equal(error.code, "entra.delta_reset");
        assert.match(error.message, /syncStateNotFound/);
        return true;
      });
    } finally {
      clock.advance(-8 * DAY_MS);
    }
  });

  it("a synchronization reset (410) → DeltaResetError reset, quoting Graph's Location", async () => {
    const latest = await directory.readGroupDelta({ groupIds: [sales], start: "latest" });
    sim.faults.resetDeltaTokens();
    await assert.rejects(directory.readGroupDelta({ groupIds: [sales], deltaLink: latest.deltaLink }), (error) => {
      assert.ok(error instanceof DeltaResetError);
      assert.equal(error.reason, "reset");
      assert.match(error.message, /410/);
      assert.match(error.message, /\/groups\/delta\?.*\$deltatoken=/);
      return true;
    });
    // The reset is consumed: a new chain works.
    const fresh = await directory.readGroupDelta({ groupIds: [sales] });
    assert.equal(fresh.changes.length, 1);
  });

  it("a throttled delta page is retried after Retry-After", async () => {
    sim.faults.inject({ match: "/groups/delta", status: 429, retryAfter: "0" });
    const round = await directory.readGroupDelta({ groupIds: [support] });
    assert.deepEqual(changeOf(round.changes, support)?.usersAdded, [u3]);
  });

  it("more than 50 ids (or none) → RangeError, no request", async () => {
    sim.requests.reset();
    const many = Array.from({ length: 51 }, (_, i) => id(`c${i}`));
    await assert.rejects(directory.readGroupDelta({ groupIds: many }), RangeError);
    await assert.rejects(directory.readGroupDelta({ groupIds: [] }), RangeError);
    assert.equal(sim.requests.count("GET /groups/delta"), 0);
    // 50 distinct ids are fine, and duplicates count once.
    const fifty = [...Array.from({ length: 49 }, (_, i) => id(`c${i}`)), sales, sales.toUpperCase()];
    const round = await directory.readGroupDelta({ groupIds: fifty, start: "latest" });
    assert.deepEqual(round.changes, []);
  });
});

describe("GraphEntraDirectory.readGroupDelta: paging", () => {
  let sim: GraphSim;
  const groupId = "00000000-0000-4000-8000-0000000000f1";
  const userIds = Array.from({ length: 7 }, (_, i) => `00000000-0000-4000-8000-00000000010${i}`);

  before(async () => {
    sim = await startGraphSim({ defaultPageSize: 2 });
    sim.directory.loadSeed({
      users: userIds.map((id, i) => ({ id, userPrincipalName: `paged${i}@contoso.example` })),
      groups: [
        { id: groupId, displayName: "MI Paged", members: userIds },
        { id: "00000000-0000-4000-8000-0000000000f2", displayName: "MI Small", members: [userIds[0] ?? ""] },
      ],
    });
  });
  after(() => sim.close());

  it("a group split over several pages is merged into one change", async () => {
    const round = await directoryFor(sim).readGroupDelta({ groupIds: [groupId] });
    assert.ok(sim.requests.count("GET /groups/delta") >= 4, "the round spans several pages");
    assert.equal(round.changes.length, 1);
    assert.deepEqual(sorted(round.changes[0]), {
      groupId,
      displayName: "MI Paged",
      usersAdded: [...userIds].sort(),
      usersRemoved: [],
      groupsChanged: [],
    });
  });
});

describe("GraphEntraDirectory.readUserDelta", () => {
  let sim: GraphSim;
  let directory: GraphEntraDirectory;
  const appId = "b7d8e648-520f-41d3-b9c0-fdeb91768a0a";
  const extension = `extension_${appId.replaceAll("-", "")}_costCenter`;
  const attributes = ["department", "extensionAttribute3", "costCenter"];
  const [alice, bob, carol, dave] = ["d1", "d2", "d3", "d4"].map((n) => `00000000-0000-4000-8000-0000000000${n}`) as [
    string,
    string,
    string,
    string,
  ];

  before(async () => {
    sim = await startGraphSim();
    sim.directory.loadSeed({
      users: [
        {
          id: alice,
          userPrincipalName: "alice@contoso.example",
          mail: "alice@contoso.example",
          department: "Sales",
          onPremisesExtensionAttributes: { extensionAttribute3: "EU" },
          extensions: { [extension]: "CC-1" },
        },
        { id: bob, userPrincipalName: "bob@contoso.example", department: "Support" },
        { id: carol, userPrincipalName: "carol@contoso.example" },
        { id: dave, userPrincipalName: "dave@contoso.example" },
      ],
    });
    directory = directoryFor(sim);
  });
  after(() => sim.close());

  const read = (deltaLink?: string, start?: "latest" | "full") =>
    directory.readUserDelta({
      attributes,
      customAttrAppId: appId,
      ...(deltaLink === undefined ? {} : { deltaLink }),
      ...(start === undefined ? {} : { start }),
    });

  const byId = (changes: UserDeltaChange[], userId: string) => changes.find((c) => c.userId === userId);

  it("initial full round: every user, built like member reads, with the selected attributes", async () => {
    const round = await read();
    assert.equal(round.changes.length, 4);
    assert.deepEqual(byId(round.changes, alice), {
      userId: alice,
      user: {
        id: alice,
        userPrincipalName: "alice@contoso.example",
        mail: "alice@contoso.example",
        accountEnabled: true,
        attributes: { department: "Sales", extensionAttribute3: "EU", costCenter: "CC-1" },
      },
    });
    assert.deepEqual(byId(round.changes, bob)?.user?.attributes, {
      department: "Support",
      extensionAttribute3: null,
      costCenter: null,
    });
  });

  it("disable, rename, an extensionAttribute3 change and a delete are seen after a latest link", async () => {
    const latest = await read(undefined, "latest");
    assert.deepEqual(latest.changes, []);
    sim.directory.disableUser(alice);
    sim.directory.updateUser(bob, { userPrincipalName: "robert@contoso.example" });
    sim.directory.updateUser(carol, { onPremisesExtensionAttributes: { extensionAttribute3: "APAC" } });
    sim.directory.deleteUser(dave);

    const round = await read(latest.deltaLink);
    assert.equal(round.changes.length, 4);
    assert.equal(byId(round.changes, alice)?.user?.accountEnabled, false);
    assert.deepEqual(byId(round.changes, alice)?.user?.attributes, {
      department: "Sales",
      extensionAttribute3: "EU",
      costCenter: "CC-1",
    });
    assert.equal(byId(round.changes, bob)?.user?.userPrincipalName, "robert@contoso.example");
    assert.equal(byId(round.changes, carol)?.user?.attributes.extensionAttribute3, "APAC");
    assert.deepEqual(byId(round.changes, dave), { userId: dave, removed: "changed" });

    const quiet = await read(round.deltaLink);
    assert.deepEqual(quiet.changes, []);
  });

  it("the users delta link keeps its own $select: only id, the four fixed properties and the attributes", async () => {
    const round = await read(undefined, "latest");
    sim.directory.updateUser(alice, { jobTitle: "Not selected" });
    const next = await read(round.deltaLink);
    assert.deepEqual(next.changes, [], "a change to an unselected property does not surface the user");
  });

  it("an expired users token → DeltaResetError expired; a reset → DeltaResetError reset", async () => {
    let now = Date.now();
    const shortLived = await startGraphSim({ deltaTokenLifetimeMs: 1_000, now: () => new Date(now) });
    try {
      const feed = directoryFor(shortLived);
      const latest = await feed.readUserDelta({ attributes: [], start: "latest" });
      now += 2_000;
      await assert.rejects(feed.readUserDelta({ attributes: [], deltaLink: latest.deltaLink }), {
        name: "DeltaResetError",
        reason: "expired",
      });
    } finally {
      await shortLived.close();
    }
    const latest = await read(undefined, "latest");
    sim.faults.resetDeltaTokens();
    await assert.rejects(read(latest.deltaLink), { name: "DeltaResetError", reason: "reset" });
  });

  it("an attribute Graph does not know → UsageError entra.unknown_attribute", async () => {
    await assert.rejects(directory.readUserDelta({ attributes: ["noSuchProperty"] }), (error) => {
      assert.ok(error instanceof UsageError);
      assert.equal(error.code, "entra.unknown_attribute");
      return true;
    });
  });
});
