import assert from "node:assert/strict";
import { test } from "node:test";
import type { Plan } from "../../src/sync/plan/plan-model.js";
import { planSync } from "../../src/sync/plan/plan-sync.js";
import { entra, entraUser, MiBuilder, options } from "./fixtures.js";

// Plan notes: where a rule leaves a user or membership as it is, the planner says which rule, for `explain`.

const notes = (plan: Plan): string[] =>
  (plan.notes ?? []).map((n) => `${n.code} ${n.username}${n.groupName ? ` in ${n.groupName}` : ""}`);

test("plan notes: a disabled Entra account → disabled-in-entra, with the MI account it would be", () => {
  const mi = new MiBuilder();
  const dis = mi.user("dis@contoso.com");
  mi.group("Sales", [dis]);
  const plan = planSync(entra({ Sales: [entraUser("dis", { accountEnabled: false })] }), mi.snapshot(), options());
  assert.deepEqual(notes(plan), ["disabled-in-entra dis@contoso.com"]);
  assert.equal(plan.notes?.[0]?.miUserId, dis.id);
  assert.match(plan.notes?.[0]?.message ?? "", /disabled in Entra/);
});

test("plan notes: a user --process-users leaves out → not-selected", () => {
  const mi = new MiBuilder();
  mi.group("Sales");
  const plan = planSync(
    entra({ Sales: [entraUser("ann"), entraUser("bob")] }),
    mi.snapshot(),
    options({ selectUsers: ["ann@contoso.com"] }),
  );
  assert.deepEqual(notes(plan), ["not-selected bob@contoso.com"]);
});

test("plan notes: the acting MI user → acting-user, for its profile and for a membership it keeps", () => {
  const mi = new MiBuilder();
  const sales = mi.group("Sales");
  const engineering = mi.group("Engineering");
  mi.member(engineering, mi.users[0]!);
  const admin = entraUser("admin", { userPrincipalName: "admin", attrs: { userPrincipalName: "admin" } });
  const plan = planSync(entra({ Sales: [admin], Engineering: [] }), mi.snapshot(), options());
  assert.deepEqual(plan.operations, [], JSON.stringify(plan.operations));
  assert.deepEqual(notes(plan), ["acting-user admin", "acting-user admin in Engineering"]);
  assert.ok(sales);
});

test("plan notes: an administrator who left → never disabled (deprovision, or provision with leavers disable)", () => {
  const mi = new MiBuilder();
  const boss = mi.user("boss@contoso.com", { type: "administrator" });
  mi.group("Sales", [boss]);
  const deprovision = planSync(entra({ Sales: [] }), mi.snapshot(), options({ command: "deprovision" }));
  assert.deepEqual(deprovision.operations, []);
  assert.deepEqual(notes(deprovision), ["administrator boss@contoso.com in Sales", "administrator boss@contoso.com"]);
  const provision = planSync(entra({ Sales: [] }), mi.snapshot(), options({ leavers: "disable" }));
  assert.deepEqual(
    provision.operations.map((o) => o.op),
    ["removeMember"],
    "an administrator's memberships follow the mirror",
  );
  assert.deepEqual(notes(provision), ["administrator boss@contoso.com"]);
  assert.deepEqual(notes(planSync(entra({ Sales: [] }), mi.snapshot(), options())), [], "provision never disables");
});

test("plan notes: a user that cannot be written keeps its account's memberships → held-by-problem", () => {
  const mi = new MiBuilder();
  mi.user("ann@contoso.com");
  const carl = mi.user("carl@contoso.com");
  mi.group("Sales");
  mi.group("Engineering", [carl]);
  // Carl's mail is Ann's: carl is not written at all (rule 1), and its MI account keeps its rows meanwhile.
  const plan = planSync(
    entra({
      Sales: [entraUser("carl", { mail: "ann@contoso.com", attrs: { mail: "ann@contoso.com" } })],
      Engineering: [],
    }),
    mi.snapshot(),
    options(),
  );
  assert.deepEqual(
    plan.problems.map((p) => p.code),
    ["duplicate-email"],
  );
  assert.deepEqual(plan.operations, [], "no removal from Engineering while carl cannot be written");
  assert.deepEqual(notes(plan), ["held-by-problem carl@contoso.com in Engineering"]);
});

test("plan notes: --auto-create groups and a user MI lacks → not-created", () => {
  const mi = new MiBuilder();
  mi.group("Sales");
  const plan = planSync(entra({ Sales: [entraUser("ann")] }), mi.snapshot(), options({ autoCreate: "groups" }));
  assert.deepEqual(notes(plan), ["not-created ann@contoso.com"]);
});

test("plan notes: nothing is noted when nothing holds anyone", () => {
  const mi = new MiBuilder();
  const ann = mi.user("ann@contoso.com");
  mi.group("Sales", [ann]);
  mi.member(mi.groups[0]!, ann);
  const plan = planSync(entra({ Sales: [entraUser("ann")] }), mi.snapshot(), options());
  assert.deepEqual(plan.operations, []);
  assert.deepEqual(plan.notes, []);
});
