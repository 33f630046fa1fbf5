import assert from "node:assert/strict";
import { test } from "node:test";
import { OperationOutcomes, type OperationResult } from "../../src/sync/apply.js";
import type { Plan, PlanOperation } from "../../src/sync/plan/plan-model.js";
import { buildResult } from "../../src/sync/sync-result.js";

const operations: PlanOperation[] = [
  { op: "createGroup", name: "Sales", entraGroupIds: ["g1"], reason: "synced Entra group has no MI group" },
  {
    op: "createUser",
    entraUserId: "e1",
    user: {
      username: "ann",
      firstName: "Ann",
      lastName: "T",
      email: "ann@x",
      type: "regular",
      addToDefaultGroup: true,
    },
    reason: "member of a synced group, missing in MI",
  },
  {
    op: "updateUser",
    miUserId: "7",
    username: "bob",
    entraUserId: "e2",
    before: { lastName: "Old" },
    after: { lastName: "New" },
    reason: "profile differs",
  },
  {
    op: "addMember",
    group: { newGroupName: "Sales" },
    user: { entraUserId: "e1" },
    groupName: "Sales",
    username: "ann",
    reason: "member of the Entra group",
  },
  {
    op: "removeMember",
    membershipId: "99",
    miGroupId: "3",
    miUserId: "8",
    groupName: "Ops",
    username: "cy",
    reason: "no longer in the Entra group",
  },
];

const plan: Plan = {
  command: "provision",
  scope: "full",
  operations,
  problems: [{ code: "duplicate-email", subject: "dee", message: "two users share an email" }],
  warnings: ["a warning"],
  managedMemberships: 40,
  removals: 1,
  groups: [{ name: "Sales", miGroupId: undefined, entraGroupIds: ["g1"], complete: true }],
  usersConsidered: 3,
  identities: [{ entraUserId: "e2", miUserId: "7", username: "bob", email: "bob@contoso.com", claims: true }],
};
const verdict = { allowed: true, removals: 1, limit: 25, base: 40, needsBase: false };

const results: OperationResult[] = [
  { operation: operations[4]!, status: "failed", error: "MI said no" },
  { operation: operations[0]!, status: "applied" },
  { operation: operations[2]!, status: "applied" },
  { operation: operations[1]!, status: "failed", error: "rejected" },
  { operation: operations[3]!, status: "skipped", error: "the user it needs was not created" },
];

test("buildResult: the compact outcomes and the list of results report the same, in plan order", () => {
  const outcomes = OperationOutcomes.fromResults(plan, results);
  const fromOutcomes = buildResult({
    plan,
    verdict,
    dryRun: false,
    outcomes,
    createdGroups: new Map([["Sales", "5"]]),
  });
  const fromResults = buildResult({ plan, verdict, dryRun: false, results, createdGroups: new Map([["Sales", "5"]]) });

  assert.deepEqual(
    fromOutcomes.operations.map((o) => [o.op, o.status, o.error]),
    [
      ["createGroup", "applied", undefined],
      ["createUser", "failed", "rejected"],
      ["updateUser", "applied", undefined],
      ["addMember", "skipped", "the user it needs was not created"],
      ["removeMember", "failed", "MI said no"],
    ],
  );
  assert.deepEqual(fromResults.operations, fromOutcomes.operations);
  assert.equal(fromOutcomes.operations, fromOutcomes.operations, "built once, then kept");
  assert.deepEqual([...fromOutcomes.reportedOperations()], fromOutcomes.operations);
  assert.equal(fromOutcomes.operations[2]?.description, "update user bob: lastName 'Old' -> 'New'");
  assert.equal(fromOutcomes.operations[2]?.detail, operations[2]);

  assert.deepEqual(fromOutcomes.counts, {
    groupsCreated: 1,
    usersCreated: 0,
    usersUpdated: 1,
    usersEnabled: 0,
    usersDisabled: 0,
    membershipsAdded: 0,
    membershipsRemoved: 0,
    failed: 3,
    warnings: 1,
  });
  assert.deepEqual(fromOutcomes.errors, [
    "dee: two users share an email",
    "create user ann (regular): rejected",
    "remove cy from 'Ops': MI said no",
  ]);
  assert.equal(fromOutcomes.wroteAnything, true);
  assert.deepEqual(fromOutcomes.userIds, [{ entraUserId: "e2", miUserId: "7" }]);
  assert.deepEqual([...fromOutcomes.groupIds], [["Sales", "5"]]);
});

test("buildResult: a dry run reports every operation planned and counts the plan; a refused plan skips them all", () => {
  const dry = buildResult({ plan, verdict, dryRun: true });
  assert.deepEqual(
    dry.operations.map((o) => o.status),
    operations.map(() => "planned"),
  );
  assert.equal(dry.counts.membershipsAdded, 1);
  assert.equal(dry.counts.membershipsRemoved, 1);
  assert.equal(dry.counts.failed, 1);
  assert.equal(dry.wroteAnything, false);

  const refused = buildResult({ plan, verdict: { ...verdict, allowed: false, limit: 0 }, dryRun: false });
  assert.equal(refused.outcome, "refused");
  assert.deepEqual(
    refused.operations.map((o) => o.status),
    operations.map(() => "skipped"),
  );
  assert.equal(refused.counts.groupsCreated, 0);
  assert.match(refused.warnings.at(-1) ?? "", /plan refused by --max-removals/);
});

test("OperationOutcomes: one byte per operation; statuses and messages by index", () => {
  const outcomes = new OperationOutcomes(4);
  outcomes.set(0, "applied");
  outcomes.set(1, "failed", "boom");
  outcomes.setNotAttempted(2, "not attempted: MI is down");
  outcomes.setNotAttempted(3, "not attempted: MI is down");
  assert.deepEqual(
    [0, 1, 2, 3].map((i) => [outcomes.status(i), outcomes.error(i)]),
    [
      ["applied", undefined],
      ["failed", "boom"],
      ["skipped", "not attempted: MI is down"],
      ["skipped", "not attempted: MI is down"],
    ],
  );
  assert.equal(outcomes.count("skipped"), 2);
  outcomes.set(1, "applied");
  assert.equal(outcomes.count("failed"), 0);
  assert.equal(outcomes.count("applied"), 2);
  assert.equal(outcomes.error(1), undefined);
  assert.throws(() => outcomes.set(4, "applied"), RangeError);
});
