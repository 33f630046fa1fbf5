/**
 * `GraphEntraDirectory.readChangeContext` against the Graph simulator over HTTPS: the users a membership change names
 * and the group's nesting, in one `$batch` request per 20 inner requests.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type GraphSim, startGraphSim } from "../../sim/graph/index.js";
import type { GraphEntraDirectory } from "../../src/entra/graph-entra-directory.js";
import { UsageError } from "../../src/errors/sync-error.js";
import { directoryFor } from "../helpers/graph-directory.js";

const id = (name: string) => `00000000-0000-4000-8000-${name.padStart(12, "0")}`;
const attributes = ["userPrincipalName", "givenName", "surname", "mail"];

describe("GraphEntraDirectory.readChangeContext", () => {
  let sim: GraphSim;
  let directory: GraphEntraDirectory;
  const [parent, child, leaf] = ["g1", "g2", "g3"].map(id) as [string, string, string];
  const users = Array.from({ length: 25 }, (_, i) => id(`u${i}`));

  before(async () => {
    sim = await startGraphSim();
    sim.directory.loadSeed({
      users: users.map((u, i) => ({ id: u, userPrincipalName: `user${i}@contoso.com`, givenName: `User${i}` })),
      groups: [
        { id: parent, displayName: "Parent", members: [child] },
        { id: child, displayName: "Child", members: [users[0]!] },
        { id: leaf, displayName: "Leaf" },
      ],
    });
    directory = directoryFor(sim);
  });
  after(() => sim.close());

  it("one $batch: each user as member reads build it, a gone user as null, each group's nesting", async () => {
    const gone = id("gone");
    sim.requests.reset();
    const context = await directory.readChangeContext({
      groupIds: [child, leaf.toUpperCase()],
      userIds: [users[1]!, gone, users[1]!],
      attributes,
      nesting: true,
    });
    assert.equal(sim.requests.count("POST /$batch"), 1);
    assert.equal(context.users.size, 2);
    assert.equal(context.users.get(users[1]!)?.userPrincipalName, "user1@contoso.com");
    assert.equal(context.users.get(users[1]!)?.attributes.givenName, "User1");
    assert.equal(context.users.get(gone), null);
    assert.deepEqual(context.nesting.get(child), { ancestors: [parent], hasNestedGroups: false, complete: true });
    assert.deepEqual(context.nesting.get(leaf), { ancestors: [], hasNestedGroups: false, complete: true });
  });

  it("nesting: a group holding groups says so; a group that is gone is not complete", async () => {
    const context = await directory.readChangeContext({
      groupIds: [parent, id("nogroup")],
      userIds: [],
      attributes,
      nesting: true,
    });
    assert.deepEqual(context.nesting.get(parent), { ancestors: [], hasNestedGroups: true, complete: true });
    assert.equal(context.nesting.get(id("nogroup"))?.complete, false);
  });

  it("more than 20 inner requests: one $batch per 20; without nesting no group is read", async () => {
    sim.requests.reset();
    const context = await directory.readChangeContext({ groupIds: [leaf], userIds: users, attributes, nesting: false });
    assert.equal(sim.requests.count("POST /$batch"), 2);
    assert.equal(context.users.size, 25);
    assert.equal(context.nesting.size, 0);
    assert.equal(sim.requests.count("GET /groups/{id}/transitiveMemberOf/microsoft.graph.group"), 0);
  });

  it("an attribute Graph does not know → UsageError entra.unknown_attribute", async () => {
    await assert.rejects(
      directory.readChangeContext({
        groupIds: [leaf],
        userIds: [users[2]!],
        attributes: [...attributes, "costCenter"],
        nesting: false,
      }),
      (error: unknown) => error instanceof UsageError && error.code === "entra.unknown_attribute",
    );
  });
});
