import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeItem, encodeItem, storedItemsSchema } from "../../src/audit/audit-entry.js";
import { auditItemsOf } from "../../src/audit/audit-items-of.js";
import { OperationOutcomes } from "../../src/sync/apply.js";
import type { Plan, PlanOperation } from "../../src/sync/plan/plan-model.js";
import { buildResult } from "../../src/sync/sync-result.js";

// What the audit trail records of a result: each settled operation with its user and group (every id the run knew),
// and the plan's problems; nothing of a dry run's plan.

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
    miUserId: "7",
    groupName: "Ops",
    username: "bob",
    reason: "no longer in the Entra group",
  },
];
const plan: Plan = {
  command: "provision",
  scope: "full",
  operations,
  problems: [
    { code: "duplicate-email", subject: "dee", message: "two users share an email" },
    { code: "missing-username", subject: "Entra user e9", message: "no username" },
    { code: "read-incomplete", subject: "Finance", message: "reading failed" },
  ],
  warnings: [],
  managedMemberships: 40,
  removals: 1,
  groups: [{ name: "Sales", miGroupId: undefined, entraGroupIds: ["g1"], complete: true }],
  usersConsidered: 3,
  identities: [{ entraUserId: "e2", miUserId: "7", username: "bob", email: "bob@x", claims: true }],
};
const verdict = { allowed: true, removals: 1, limit: 25, base: 40, needsBase: false };

test("audit items: applied operations carry the ids apply made, failures their error, problems their code", () => {
  const outcomes = new OperationOutcomes(operations.length);
  outcomes.set(0, "applied");
  outcomes.set(1, "applied");
  outcomes.set(2, "failed", "MI answered 500");
  outcomes.set(3, "applied");
  const result = buildResult({
    plan,
    verdict,
    dryRun: false,
    outcomes,
    createdUsers: new Map([["e1", "11"]]),
    createdGroups: new Map([["Sales", "5"]]),
  });
  const items = [...auditItemsOf(result)];
  assert.deepEqual(
    items.map((i) => [
      i.op,
      i.status,
      i.user?.name,
      i.user?.miUserId,
      i.user?.entraUserId,
      i.group?.name,
      i.group?.miGroupId,
    ]),
    [
      ["createGroup", "applied", undefined, undefined, undefined, "Sales", "5"],
      ["createUser", "applied", "ann", "11", "e1", undefined, undefined],
      ["addMember", "failed", "ann", "11", "e1", "Sales", "5"],
      ["removeMember", "applied", "bob", "7", "e2", "Ops", "3"],
      ["problem", "failed", "dee", undefined, undefined, undefined, undefined],
      ["problem", "failed", "Entra user e9", undefined, "e9", undefined, undefined],
      ["problem", "failed", undefined, undefined, undefined, "Finance", undefined],
    ],
  );
  assert.equal(items[2]?.error, "MI answered 500");
  assert.equal(items[4]?.code, "duplicate-email");
  assert.equal(items[3]?.reason, "no longer in the Entra group");
});

test("audit items: a plan the removal guard refused → every operation skipped, with the guard's reason", () => {
  const result = buildResult({ plan, verdict: { ...verdict, allowed: false, limit: 0 }, dryRun: false });
  const items = [...auditItemsOf(result)].filter((i) => i.op !== "problem");
  assert.equal(items.length, operations.length);
  assert.ok(items.every((i) => i.status === "skipped"));
  assert.ok(items.every((i) => i.error === "refused by --max-removals: 1 removals and disables, limit 0"));
});

test("audit items: a dry run's plan records nothing", () => {
  const result = buildResult({ plan: { ...plan, problems: [] }, verdict, dryRun: true });
  assert.deepEqual([...auditItemsOf(result)], []);
});

test("audit items: the stored form round-trips, cutting texts over 4,000 characters", () => {
  const result = buildResult({ plan: { ...plan, problems: [] }, verdict, dryRun: false, results: [] });
  const long = {
    op: "removeMember" as const,
    status: "failed" as const,
    reason: "r",
    description: "d",
    error: "x".repeat(9_000),
  };
  for (const item of [...auditItemsOf(result), long]) {
    const stored = JSON.parse(JSON.stringify([encodeItem(item)]));
    const [back] = storedItemsSchema.parse(stored).map(decodeItem);
    if (item === long) assert.equal(back?.error?.length, 4_000);
    else assert.deepEqual(back, item);
  }
});
