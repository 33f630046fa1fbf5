/**
 * `GraphEntraDirectory.listAncestorGroups` against the Graph simulator over HTTPS: nesting, cycles, missing groups,
 * paging and throttling. Run with NODE_EXTRA_CA_CERTS pointing at the sandbox certificate (see sim/tls/main.ts).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type GraphSim, startGraphSim } from "../../sim/graph/index.js";
import type { GraphEntraDirectory } from "../../src/entra/graph-entra-directory.js";
import { AuthError, ServiceError } from "../../src/errors/sync-error.js";
import { directoryFor } from "../helpers/graph-directory.js";
import { ManualClock } from "../helpers/manual-clock.js";

const ROUTE = "GET /groups/{id}/transitiveMemberOf/microsoft.graph.group";

/** Runs `body` while recording the URL and headers of every `fetch` (graph-client sends through global fetch). */
async function recordingFetch(body: () => Promise<void>): Promise<Array<{ url: string; headers: Headers }>> {
  const original = globalThis.fetch;
  const sent: Array<{ url: string; headers: Headers }> = [];
  globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    sent.push({ url: decodeURIComponent(request.url), headers: request.headers });
    return original(input, init);
  };
  try {
    await body();
  } finally {
    globalThis.fetch = original;
  }
  return sent;
}

const id = (name: string) => `00000000-0000-4000-8000-${name.padStart(12, "0")}`;

describe("GraphEntraDirectory.listAncestorGroups", () => {
  let sim: GraphSim;
  let directory: GraphEntraDirectory;
  const [groupA, groupB, groupC, lonely] = ["a1", "a2", "a3", "a4"].map(id) as [string, string, string, string];
  const [cycleX, cycleY, cycleZ] = ["c1", "c2", "c3"].map(id) as [string, string, string];

  before(async () => {
    sim = await startGraphSim();
    sim.directory.loadSeed({
      groups: [
        { id: groupA, displayName: "A", members: [groupB] },
        { id: groupB, displayName: "B", members: [groupC] },
        { id: groupC, displayName: "C" },
        { id: lonely, displayName: "Lonely" },
        { id: cycleX, displayName: "X", members: [cycleY] },
        { id: cycleY, displayName: "Y", members: [cycleZ] },
        { id: cycleZ, displayName: "Z", members: [cycleX] },
      ],
    });
    directory = directoryFor(sim);
  });
  after(() => sim.close());

  it("A ⊃ B ⊃ C: the ancestors of C are B and A, one cast request each, without ConsistencyLevel", async () => {
    sim.requests.reset();
    const sent = await recordingFetch(async () => {
      assert.deepEqual((await directory.listAncestorGroups(groupC)).sort(), [groupA, groupB].sort());
      assert.deepEqual(await directory.listAncestorGroups(groupB), [groupA]);
    });
    assert.equal(sim.requests.count(ROUTE), 2);
    const graphRequests = sent.filter((request) => request.url.includes("/v1.0/"));
    assert.deepEqual(
      graphRequests.map((request) => request.url),
      [groupC, groupB].map(
        (group) => `${sim.url}/v1.0/groups/${group}/transitiveMemberOf/microsoft.graph.group?$select=id&$top=999`,
      ),
    );
    for (const request of graphRequests) assert.equal(request.headers.get("consistencylevel"), null);
  });

  it("an upper-case id is answered in lowercase", async () => {
    assert.deepEqual((await directory.listAncestorGroups(groupC.toUpperCase())).sort(), [groupA, groupB].sort());
  });

  it("a nesting cycle terminates with both other groups, never the group itself", async () => {
    assert.deepEqual((await directory.listAncestorGroups(cycleZ)).sort(), [cycleX, cycleY].sort());
  });

  it("a group in no group → []", async () => {
    assert.deepEqual(await directory.listAncestorGroups(lonely), []);
    assert.deepEqual(await directory.listAncestorGroups(groupA), []);
  });

  it("an unknown or deleted group → []", async () => {
    assert.deepEqual(await directory.listAncestorGroups(id("dead")), []);
    const doomed = sim.directory.addGroup({ displayName: "Doomed" });
    sim.directory.addMember(groupA, doomed.id);
    assert.deepEqual(await directory.listAncestorGroups(doomed.id), [groupA]);
    sim.directory.deleteGroup(doomed.id);
    assert.deepEqual(await directory.listAncestorGroups(doomed.id), []);
  });

  it("a 429 with a fractional Retry-After is retried, then succeeds", async () => {
    sim.requests.reset();
    sim.faults.inject({ match: "/transitiveMemberOf", status: 429, retryAfter: "0.3" });
    // The client's clock jumps to the end of each wait: the wait is seen, not sat through.
    const clock = new ManualClock({ auto: true });
    const started = clock.now();
    assert.deepEqual((await directoryFor(sim, { clock }).listAncestorGroups(groupC)).sort(), [groupA, groupB].sort());
    assert.ok(clock.now() - started >= 300, `waited ${clock.now() - started} ms`);
    assert.deepEqual(
      sim.requests.entries.filter((entry) => entry.route === ROUTE).map((entry) => entry.status),
      [429, 200],
    );
  });

  it("a refused read (403) is an AuthError; a 404 that is not Request_ResourceNotFound is not taken for 'gone'", async () => {
    sim.faults.inject({ match: "/transitiveMemberOf", status: 403 });
    await assert.rejects(directory.listAncestorGroups(groupC), (error: unknown) => {
      assert.ok(error instanceof AuthError);
      assert.equal(error.code, "entra.forbidden");
      return true;
    });
    sim.faults.inject({
      match: "/transitiveMemberOf",
      status: 404,
      body: { error: { code: "NotFound", message: "x" } },
    });
    await assert.rejects(directory.listAncestorGroups(groupC), (error: unknown) => {
      assert.ok(error instanceof ServiceError);
      assert.equal(error.code, "entra.not_found");
      return true;
    });
  });

  it("an aborted signal cancels the read", async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(directory.listAncestorGroups(groupC, { abortSignal: controller.signal }));
  });
});

describe("GraphEntraDirectory.listAncestorGroups paging", () => {
  let sim: GraphSim;
  const child = id("b0");
  const parents = ["b1", "b2", "b3", "b4", "b5", "b6", "b7"].map(id);

  before(async () => {
    sim = await startGraphSim({ maxPageSize: 3, shortPages: true });
    sim.directory.addGroup({ id: child, displayName: "Child" });
    for (const [index, parent] of parents.entries()) {
      sim.directory.addGroup({ id: parent, displayName: `Parent ${index}` });
      sim.directory.addMember(parent, child);
    }
  });
  after(() => sim.close());

  it("follows every nextLink whole, past short and empty pages; each ancestor once", async () => {
    sim.requests.reset();
    const ancestors = await directoryFor(sim).listAncestorGroups(child);
    assert.deepEqual([...ancestors].sort(), [...parents].sort());
    assert.ok(sim.requests.count(ROUTE) > 2, `requests: ${sim.requests.count(ROUTE)}`);
  });
});
