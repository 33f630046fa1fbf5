/**
 * `applyPlan` over real HTTP against the MI simulator (the real `MiRestDirectory`, wrapped only to watch how many
 * calls are in flight). Asserts MI's resulting state and the outcome of every operation.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startMiSim } from "../../sim/mi/index.js";
import { silentLogger } from "../../src/logging/logger.js";
import { MiRestDirectory } from "../../src/mi/mi-rest-directory.js";
import { applyPlan } from "../../src/sync/apply.js";
import type { Plan, PlanOperation } from "../../src/sync/plan/plan-model.js";
import type { MiDirectory } from "../../src/sync/ports/mi-directory.js";

type Sim = Awaited<ReturnType<typeof startMiSim>>;
let sim: Sim;

before(async () => {
  sim = await startMiSim();
});
after(async () => {
  await sim.close();
});

function client(): MiRestDirectory {
  return new MiRestDirectory({
    baseUrl: sim.url,
    auth: { kind: "application", applicationId: "sim-app", applicationKey: "sim-app-key", username: "admin" },
    maxConcurrency: 3,
    sleep: async () => {},
  });
}

const WRITES = new Set(["createGroup", "createUser", "updateUser", "setUserExtras", "addMember", "removeMember"]);

/** The real client, counting the MI writes in flight and the most ever at once. */
function watched(mi: MiRestDirectory): { mi: MiDirectory; peak: () => number; started: () => number } {
  let inFlight = 0;
  let peak = 0;
  let started = 0;
  const wrapped = new Proxy(mi, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(target);
      if (!WRITES.has(String(property))) return bound;
      return async (...args: unknown[]) => {
        started++;
        peak = Math.max(peak, ++inFlight);
        try {
          return await bound(...args);
        } finally {
          inFlight--;
        }
      };
    },
  });
  return { mi: wrapped, peak: () => peak, started: () => started };
}

function plan(operations: PlanOperation[]): Plan {
  return {
    command: "provision",
    scope: "full",
    operations,
    problems: [],
    warnings: [],
    managedMemberships: 0,
    removals: 0,
    groups: [],
    usersConsidered: 0,
    identities: [],
  };
}

function newUser(name: string): PlanOperation {
  return {
    op: "createUser",
    entraUserId: `entra-${name}`,
    user: {
      username: `${name}@contoso.com`,
      firstName: name,
      lastName: "Tester",
      email: `${name}@contoso.com`,
      type: "regular",
      addToDefaultGroup: false,
    },
    reason: "test",
  };
}

function join(group: string, name: string): PlanOperation {
  return {
    op: "addMember",
    group: { newGroupName: group },
    user: { entraUserId: `entra-${name}` },
    groupName: group,
    username: `${name}@contoso.com`,
    reason: "test",
  };
}

test("applyPlan streams a large plan through the MI limit: never more in flight, every operation applied", async () => {
  const names = Array.from({ length: 40 }, (_, i) => `stream${i}`);
  const groups = ["Stream A", "Stream B", "Stream C"];
  const operations: PlanOperation[] = [
    ...groups.map((name): PlanOperation => ({ op: "createGroup", name, entraGroupIds: [], reason: "test" })),
    ...names.map(newUser),
    ...groups.flatMap((g) => names.map((n) => join(g, n))),
  ];
  const watch = watched(client());
  const progress: number[] = [];
  const outcome = await applyPlan(plan(operations), watch.mi, {
    logger: silentLogger,
    onProgress: (done, total) => {
      assert.equal(total, operations.length);
      progress.push(done);
    },
  });

  assert.equal(outcome.abortedBy, undefined);
  assert.equal(outcome.outcomes.count("applied"), operations.length);
  assert.equal(watch.started(), operations.length);
  assert.ok(watch.peak() <= 3, `at most 3 MI calls at once, saw ${watch.peak()}`);
  assert.ok(watch.peak() > 1, "operations of one kind run concurrently");
  assert.deepEqual(
    progress,
    operations.map((_, i) => i + 1),
  );
  for (const g of groups) assert.deepEqual(sim.state.membersOfGroup(g), names.map((n) => `${n}@contoso.com`).sort());
  assert.equal(outcome.createdUsers.size, names.length);
  assert.equal(outcome.createdGroups.size, groups.length);
  // The list form, for callers that want objects: plan order, one per operation.
  assert.deepEqual(
    outcome.results.map((r) => [r.operation, r.status]),
    operations.map((o) => [o, "applied"]),
  );
});

test("applyPlan: a failed create skips what depends on it; the report names both, in plan order", async () => {
  sim.faults.inject({ method: "POST", match: /^\/api\/user$/, status: 400, body: { message: "Invalid email" } });
  const operations = [newUser("broken"), newUser("fine"), join("Deps", "broken"), join("Deps", "fine")];
  operations.unshift({ op: "createGroup", name: "Deps", entraGroupIds: [], reason: "test" });
  const outcome = await applyPlan(plan(operations), client(), { logger: silentLogger, concurrency: 1 });

  assert.deepEqual(
    operations.map((_, i) => outcome.outcomes.status(i)),
    ["applied", "failed", "applied", "skipped", "applied"],
  );
  assert.match(outcome.outcomes.error(1) ?? "", /creating MI user broken@contoso\.com/);
  assert.equal(outcome.outcomes.error(3), "the user it needs was not created");
  assert.deepEqual(sim.state.membersOfGroup("Deps"), ["fine@contoso.com"]);
  assert.equal(outcome.outcomes.count("failed"), 1);
  assert.equal(outcome.outcomes.count("skipped"), 1);
});

test("applyPlan: once MI refuses the credentials, the rest is not attempted and shares one message", async () => {
  const mi = client();
  await mi.connect();
  sim.faults.inject({
    method: "POST",
    status: 401,
    body: { message: "Unauthorized" },
    times: Number.POSITIVE_INFINITY,
  });
  try {
    const operations = ["x1", "x2", "x3", "x4", "x5"].map(newUser);
    const outcome = await applyPlan(plan(operations), mi, { logger: silentLogger, concurrency: 1 });
    assert.equal(outcome.abortedBy?.kind, "auth");
    assert.equal(outcome.outcomes.status(0), "failed");
    assert.equal(outcome.outcomes.count("skipped"), 4);
    const messages = new Set([1, 2, 3, 4].map((i) => outcome.outcomes.error(i)));
    assert.equal(messages.size, 1);
    assert.match([...messages][0] ?? "", /^not attempted: /);
  } finally {
    sim.faults.clear();
  }
});
