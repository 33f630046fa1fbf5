/**
 * `GraphEntraDirectory.readUserContext` against the Graph simulator over HTTPS: each user and every group holding it,
 * in $batch requests, for the live path's sync of some users.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type GraphSim, startGraphSim } from "../../sim/graph/index.js";
import type { GraphEntraDirectory } from "../../src/entra/graph-entra-directory.js";
import { UserGroupsUnsupportedError } from "../../src/entra/read-user-context.js";
import { directoryFor } from "../helpers/graph-directory.js";

const id = (name: string) => `00000000-0000-4000-8000-${name.padStart(12, "0")}`;

describe("GraphEntraDirectory.readUserContext", () => {
  let sim: GraphSim;
  let directory: GraphEntraDirectory;
  const [ann, bob, gone] = ["a1", "a2", "a3"].map(id) as [string, string, string];
  const [parent, child, other] = ["b1", "b2", "b3"].map(id) as [string, string, string];
  const read = (userIds: string[], membership: "direct" | "transitive") =>
    directory.readUserContext({ userIds, attributes: ["givenName", "surname", "mail"], membership });

  before(async () => {
    sim = await startGraphSim({ defaultPageSize: 2 });
    sim.directory.loadSeed({
      users: [
        { id: ann, userPrincipalName: "ann@contoso.com", givenName: "Ann", accountEnabled: true },
        { id: bob, userPrincipalName: "bob@contoso.com", givenName: "Bob", accountEnabled: false },
      ],
      groups: [
        { id: parent, displayName: "Parent", members: [child] },
        { id: child, displayName: "Child", members: [ann] },
        { id: other, displayName: "Other", members: [ann, bob] },
      ],
    });
    directory = directoryFor(sim);
  });
  after(() => sim.close());

  it("direct: the user as member reads map it, and the groups holding it directly, with their names", async () => {
    sim.requests.reset();
    const contexts = await read([ann.toUpperCase(), bob, gone], "direct");
    assert.equal(sim.requests.count("POST /$batch"), 1, "three users, six inner requests: one $batch");
    const a = contexts.get(ann);
    assert.equal(a?.user?.attributes.givenName, "Ann");
    assert.deepEqual(a?.groups.map((g) => g.displayName).sort(), ["Child", "Other"]);
    assert.equal(contexts.get(bob)?.user?.accountEnabled, false);
    assert.deepEqual(contexts.get(gone), { user: null, groups: [] }, "a user Graph no longer has");
  });

  it("transitive: the groups holding the user through nesting too", async () => {
    const contexts = await read([ann], "transitive");
    assert.deepEqual(
      contexts
        .get(ann)
        ?.groups.map((g) => g.displayName)
        .sort(),
      ["Child", "Other", "Parent"],
    );
  });

  it("a Graph that lists no user's groups (400 BadRequest) → UserGroupsUnsupportedError, to read whole groups", async () => {
    sim.faults.inject({
      match: "/memberOf",
      status: 400,
      times: 5,
      body: { error: { code: "BadRequest", message: "Resource not found for the segment 'memberOf'." } },
    });
    try {
      await assert.rejects(read([ann], "direct"), UserGroupsUnsupportedError);
    } finally {
      sim.faults.clear();
    }
  });
});
