import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMaxRemovals } from "../../src/config/max-removals.js";
import type { PlanOperation } from "../../src/sync/plan/plan-model.js";
import { planSync } from "../../src/sync/plan/plan-sync.js";
import { checkRemovals } from "../../src/sync/removal-guard.js";
import { parseTransformationRules } from "../../src/sync/transformations/parse-transformation-rules.js";
import { entra, entraUser, MiBuilder, options } from "./fixtures.js";

const ops = (operations: PlanOperation[], kind?: PlanOperation["op"]): string[] =>
  operations
    .filter((o) => kind === undefined || o.op === kind)
    .map((o) => {
      switch (o.op) {
        case "createGroup":
          return `createGroup ${o.name}`;
        case "createUser":
          return `createUser ${o.user.username}`;
        case "addMember":
          return `addMember ${o.username} -> ${o.groupName}`;
        case "removeMember":
          return `removeMember ${o.username} <- ${o.groupName}`;
        default:
          return `${o.op} ${o.username}`;
      }
    });

test("plan: Entra member missing in MI → createUser (into Default Group) and addMember", () => {
  const ann = entraUser("ann");
  const mi = new MiBuilder();
  mi.group("Sales");
  const plan = planSync(entra({ Sales: [ann] }), mi.snapshot(), options());
  assert.deepEqual(ops(plan.operations), [
    "createUser ann@contoso.com",
    "addMember ann@contoso.com -> Sales",
    "addMember ann@contoso.com -> Default Group",
  ]);
  const create = plan.operations[0];
  assert.equal(create?.op === "createUser" && create.user.addToDefaultGroup, true);
  assert.equal(create?.op === "createUser" && create.user.type, "regular");
  // The creation puts the user in the Default Group: listed, so that figures say what MI did (#9), not sent twice.
  const implied = plan.operations[2];
  assert.equal(implied?.op === "addMember" && implied.by, "createUser");
});

test("plan: --skip-default-group → new users are created outside the Default Group, existing ones not added", () => {
  const [ann, bob] = [entraUser("ann"), entraUser("bob")];
  const mi = new MiBuilder();
  const sales = mi.group("Sales");
  mi.member(sales, mi.user("bob@contoso.com"));
  const plan = planSync(entra({ Sales: [ann, bob] }), mi.snapshot(), options({ defaultGroup: "skip" }));
  const create = plan.operations.find((o) => o.op === "createUser");
  assert.equal(create?.op === "createUser" && create.user.addToDefaultGroup, false);
  assert.deepEqual(ops(plan.operations, "addMember"), ["addMember ann@contoso.com -> Sales"]);
});

test("plan: existing synced user outside the Default Group → addMember Default Group", () => {
  const bob = entraUser("bob");
  const mi = new MiBuilder();
  mi.member(mi.group("Sales"), mi.user("bob@contoso.com"));
  const plan = planSync(entra({ Sales: [bob] }), mi.snapshot(), options());
  assert.deepEqual(ops(plan.operations), ["addMember bob@contoso.com -> Default Group"]);
});

test("plan: in-sync state → empty plan", () => {
  const bob = entraUser("bob");
  const mi = new MiBuilder();
  const user = mi.user("bob@contoso.com");
  mi.member(mi.group("Sales"), user);
  mi.member(mi.groups[0]!, user);
  const plan = planSync(entra({ Sales: [bob] }), mi.snapshot(), options());
  assert.deepEqual(plan.operations, []);
  assert.deepEqual(plan.problems, []);
});

const autoCreateCases = [
  { mode: "off", expected: [] as string[], warns: /does not exist/ },
  { mode: "groups", expected: ["createGroup Sales"], warns: /not created/ },
  {
    mode: "all",
    expected: [
      "createGroup Sales",
      "createUser ann@contoso.com",
      "addMember ann@contoso.com -> Sales",
      "addMember ann@contoso.com -> Default Group",
    ],
  },
] as const;
for (const c of autoCreateCases) {
  test(`plan: --auto-create ${c.mode}, MI group and user missing → ${c.expected.join(", ") || "nothing"}`, () => {
    const plan = planSync(
      entra({ Sales: [entraUser("ann")] }),
      new MiBuilder().snapshot(),
      options({ autoCreate: c.mode }),
    );
    assert.deepEqual(ops(plan.operations), c.expected);
    if ("warns" in c)
      assert.ok(
        plan.warnings.some((w) => c.warns.test(w)),
        plan.warnings.join("\n"),
      );
  });
}

test("plan: --auto-create absent, MI group exists → its missing users are created", () => {
  const mi = new MiBuilder();
  mi.group("Sales");
  const plan = planSync(entra({ Sales: [entraUser("ann")] }), mi.snapshot(), options({ autoCreate: "off" }));
  assert.deepEqual(ops(plan.operations, "createUser"), ["createUser ann@contoso.com"]);
});

test("plan: member missing from the Entra group → removeMember with reason", () => {
  const mi = new MiBuilder();
  const sales = mi.group("Sales");
  mi.member(sales, mi.user("gone@contoso.com"));
  const plan = planSync(entra({ Sales: [] }), mi.snapshot(), options());
  assert.deepEqual(ops(plan.operations), ["removeMember gone@contoso.com <- Sales"]);
  assert.equal(plan.operations[0]?.reason, "not in any synced Entra group");
  assert.equal(plan.removals, 1);
  assert.equal(plan.managedMemberships, 1);
});

test("plan: disabled Entra account → never created, removed from synced groups, not disabled by provision", () => {
  const [dis, off] = [entraUser("dis", { accountEnabled: false }), entraUser("off", { accountEnabled: false })];
  const mi = new MiBuilder();
  mi.member(mi.group("Sales"), mi.user("dis@contoso.com"));
  const plan = planSync(entra({ Sales: [dis, off] }), mi.snapshot(), options({ autoCreate: "all" }));
  assert.deepEqual(ops(plan.operations), ["removeMember dis@contoso.com <- Sales"]);
  assert.equal(plan.operations[0]?.reason, "account disabled in Entra");
});

test("plan: MI user disabled but enabled in a synced Entra group → enableUser", () => {
  const mi = new MiBuilder();
  const u = mi.user("bob@contoso.com", { enabled: false });
  mi.member(mi.group("Sales"), u);
  mi.member(mi.groups[0]!, u);
  const plan = planSync(entra({ Sales: [entraUser("bob")] }), mi.snapshot(), options());
  assert.deepEqual(ops(plan.operations), ["enableUser bob@contoso.com"]);
});

test("plan: names differ → updateUser of names only; email differing in case only → no change", () => {
  const mi = new MiBuilder();
  const u = mi.user("bob@contoso.com", { firstName: "Robert", email: "BOB@contoso.com" });
  mi.member(mi.group("Sales"), u);
  mi.member(mi.groups[0]!, u);
  const plan = planSync(entra({ Sales: [entraUser("bob")] }), mi.snapshot(), options());
  assert.equal(plan.operations.length, 1);
  const update = plan.operations[0];
  assert.ok(update?.op === "updateUser");
  assert.deepEqual(update.after, { firstName: "Bob" });
  assert.deepEqual(update.before, { firstName: "Robert" });
});

test("plan: username differs only in case → matched, renamed only with --force", () => {
  const mi = new MiBuilder();
  const u = mi.user("BOB@contoso.com", { firstName: "Bob" });
  mi.member(mi.group("Sales"), u);
  mi.member(mi.groups[0]!, u);
  const snapshot = entra({ Sales: [entraUser("bob")] });
  assert.deepEqual(planSync(snapshot, mi.snapshot(), options()).operations, []);
  const forced = planSync(snapshot, mi.snapshot(), options({ updateMode: "force" })).operations;
  assert.equal(forced.length, 1);
  assert.ok(forced[0]?.op === "updateUser");
  assert.equal(forced[0].after.username, "bob@contoso.com");
});

test("plan: --force with explicit --user-type retypes users but never administrators; without explicit type no retype", () => {
  const mi = new MiBuilder();
  const sales = mi.group("Sales");
  for (const [name, type] of [
    ["reg", "regular"],
    ["boss", "administrator"],
  ] as const) {
    const u = mi.user(`${name}@contoso.com`, { type });
    mi.member(sales, u);
    mi.member(mi.groups[0]!, u);
  }
  const snapshot = entra({ Sales: [entraUser("reg"), entraUser("boss")] });
  const typed = planSync(
    snapshot,
    mi.snapshot(),
    options({ updateMode: "force", userType: "power", userTypeExplicit: true }),
  );
  const types = typed.operations.flatMap((o) =>
    o.op === "updateUser" && o.after.type ? [`${o.username}:${o.after.type}`] : [],
  );
  assert.deepEqual(types, ["reg@contoso.com:power"]);
  const untyped = planSync(snapshot, mi.snapshot(), options({ updateMode: "force" }));
  assert.ok(untyped.operations.every((o) => o.op !== "updateUser" || o.after.type === undefined));
  const noForce = planSync(snapshot, mi.snapshot(), options({ userType: "power", userTypeExplicit: true }));
  assert.deepEqual(noForce.operations, []);
});

test("plan: the MI user the token acts as is never modified, memberships included", () => {
  const mi = new MiBuilder();
  const sales = mi.group("Sales");
  const admin = mi.users[0]!;
  mi.member(sales, admin);
  const plan = planSync(entra({ Sales: [], Other: [] }), mi.snapshot(), options());
  assert.deepEqual(plan.operations, []);
  const asMember = planSync(
    entra({
      Sales: [
        entraUser("admin", { userPrincipalName: "admin", attrs: { userPrincipalName: "admin", givenName: "X" } }),
      ],
    }),
    new MiBuilder().snapshot(),
    options({ autoCreate: "all" }),
  );
  assert.deepEqual(ops(asMember.operations), ["createGroup Sales"]);
});

test("plan: user matched by email when the username differs", () => {
  const mi = new MiBuilder();
  const u = mi.user("legacy-bob", { email: "bob@contoso.com", firstName: "Bob" });
  mi.member(mi.group("Sales"), u);
  mi.member(mi.groups[0]!, u);
  const plan = planSync(entra({ Sales: [entraUser("bob")] }), mi.snapshot(), options());
  assert.deepEqual(plan.operations, []);
});

test("plan: two Entra users with one email → the second is not written and is a problem", () => {
  const a = entraUser("a1", { mail: "same@contoso.com", attrs: { mail: "same@contoso.com" } });
  const b = entraUser("a2", { mail: "same@contoso.com", attrs: { mail: "same@contoso.com" } });
  const mi = new MiBuilder();
  mi.group("Sales");
  const plan = planSync(entra({ Sales: [a, b] }), mi.snapshot(), options());
  assert.deepEqual(ops(plan.operations, "createUser"), ["createUser a1@contoso.com"]);
  assert.deepEqual(
    plan.problems.map((p) => `${p.code} ${p.subject}`),
    ["duplicate-email a2@contoso.com"],
  );
});

test("plan: an email another MI user holds → that user is not written at all, names included (rule 1, #9)", () => {
  const mi = new MiBuilder();
  const bob = mi.user("bob@contoso.com", { firstName: "Old" });
  mi.user("robert@contoso.com", { email: "new@contoso.com" });
  const sales = mi.group("Sales");
  mi.member(sales, bob);
  mi.member(mi.groups[0]!, bob);
  const renamed = entraUser("bob", { mail: "new@contoso.com", attrs: { mail: "new@contoso.com", givenName: "New" } });
  const plan = planSync(entra({ Sales: [renamed] }), mi.snapshot(), options());
  assert.deepEqual(ops(plan.operations), [], "no name update, no membership change");
  assert.deepEqual(
    plan.problems.map((p) => `${p.code} ${p.subject}`),
    ["duplicate-email bob@contoso.com"],
  );
});

test("plan: a disabled Entra user claims nothing: an enabled one with the same username is written (#9)", () => {
  const mi = new MiBuilder();
  mi.group("Sales");
  // Same username after the rule that strips the domain; the disabled one sorts first by Entra id.
  const rules = parseTransformationRules(`[{"attr_name": "username", "action": "@.*$,", "method": "sub"}]`);
  const off = entraUser("ann", { accountEnabled: false, id: "00000000-0000-0000-0000-000000000001" });
  const on = entraUser("ann", {
    id: "00000000-0000-0000-0000-000000000002",
    userPrincipalName: "ann@fabrikam.com",
    mail: "ann@fabrikam.com",
    attrs: { userPrincipalName: "ann@fabrikam.com", mail: "ann@fabrikam.com" },
  });
  const plan = planSync(entra({ Sales: [off, on] }), mi.snapshot(), options({ transformations: rules }));
  assert.deepEqual(ops(plan.operations, "createUser"), ["createUser ann"]);
  assert.deepEqual(plan.problems, []);
});

test("plan: two users, one username: the winner's MI account is not held, so its stale rows still leave (#9)", () => {
  const mi = new MiBuilder();
  const ann = mi.user("ann@contoso.com");
  const sales = mi.group("Sales");
  const old = mi.group("Old");
  mi.member(sales, ann);
  mi.member(old, ann);
  mi.member(mi.groups[0]!, ann);
  const first = entraUser("ann", { id: "00000000-0000-0000-0000-00000000000a" });
  const second = entraUser("ann", { id: "00000000-0000-0000-0000-00000000000b" });
  const plan = planSync(entra({ Sales: [first, second], Old: [] }), mi.snapshot(), options());
  assert.deepEqual(ops(plan.operations), ["removeMember ann@contoso.com <- Old"]);
  assert.deepEqual(
    plan.problems.map((p) => p.code),
    ["duplicate-username"],
  );
});

test("plan: scope users → the guard's base is unknown; over what any base allows, the caller must widen", () => {
  const mi = new MiBuilder();
  const sales = mi.group("Sales");
  for (let i = 0; i < 30; i++) mi.member(sales, mi.user(`u${i}@contoso.com`));
  const plan = planSync(entra({ Sales: [] }), mi.snapshot(), options(), "users");
  assert.equal(plan.managedMemberships, undefined);
  const verdict = checkRemovals(plan, parseMaxRemovals(undefined));
  assert.deepEqual([verdict.allowed, verdict.needsBase], [false, true]);
  assert.equal(checkRemovals(plan, parseMaxRemovals("30")).allowed, true, "a fixed limit needs no base");
});

test("provision with leavers: disable (SYNC_DEPROVISION) → one plan removes and disables who left, under one guard", () => {
  const mi = new MiBuilder();
  const sales = mi.group("Sales");
  for (const name of ["stay", "left"]) mi.member(sales, mi.user(`${name}@contoso.com`));
  mi.member(sales, mi.user("boss@contoso.com", { type: "administrator" }));
  for (const u of mi.users) mi.member(mi.groups[0]!, u);
  const snapshot = entra({ Sales: [entraUser("stay")] });
  const plan = planSync(snapshot, mi.snapshot(), options({ leavers: "disable" }));
  assert.deepEqual(ops(plan.operations), [
    "removeMember boss@contoso.com <- Sales",
    "removeMember left@contoso.com <- Sales",
    "disableUser left@contoso.com",
  ]);
  assert.equal(plan.removals, 3, "removals and disables count together");
  const partial = planSync(snapshot, mi.snapshot(), options({ leavers: "disable" }), "groups");
  assert.deepEqual(ops(partial.operations, "disableUser"), [], "only a full snapshot knows who left");
});

test("plan: first name over 100 code points → truncated to 100 with a warning", () => {
  const long = "Ł".repeat(130);
  const mi = new MiBuilder();
  mi.group("Sales");
  const plan = planSync(entra({ Sales: [entraUser("ann", { attrs: { givenName: long } })] }), mi.snapshot(), options());
  const create = plan.operations.find((o) => o.op === "createUser");
  assert.ok(create?.op === "createUser");
  assert.equal([...create.user.firstName].length, 100);
  assert.ok(plan.warnings.some((w) => /truncated/.test(w)));
});

test("plan: --target-group → every Entra group's users go into the one MI group", () => {
  const mi = new MiBuilder();
  mi.group("Everyone");
  const plan = planSync(
    entra({ A: [entraUser("ann")], B: [entraUser("bob")] }),
    mi.snapshot(),
    options({ targetGroup: "everyone" }),
  );
  assert.deepEqual(ops(plan.operations, "addMember"), [
    "addMember ann@contoso.com -> Everyone",
    "addMember bob@contoso.com -> Everyone",
    "addMember ann@contoso.com -> Default Group",
    "addMember bob@contoso.com -> Default Group",
  ]);
  assert.equal(plan.groups.length, 1);
});

test("plan: --process-users → only selected users are written; other members are left alone", () => {
  const mi = new MiBuilder();
  const sales = mi.group("Sales");
  mi.member(sales, mi.user("stay@contoso.com"));
  mi.member(sales, mi.user("drop@contoso.com"));
  const plan = planSync(
    entra({ Sales: [entraUser("ann"), entraUser("bob")] }),
    mi.snapshot(),
    options({ selectUsers: ["ANN@contoso.com", "drop@contoso.com"] }),
  );
  assert.deepEqual(ops(plan.operations), [
    "createUser ann@contoso.com",
    "addMember ann@contoso.com -> Sales",
    "addMember ann@contoso.com -> Default Group",
    "removeMember drop@contoso.com <- Sales",
  ]);
});

test("plan: --map-attr-to-group → attribute groups created and mirrored; multi-valued names several", () => {
  const mi = new MiBuilder();
  mi.group("Sales");
  const stale = mi.user("stale@contoso.com");
  mi.member(mi.group("Dept Finance"), stale);
  const ann = entraUser("ann", { attrs: { department: ["Dept Finance", "Dept Audit"] } });
  const bob = entraUser("bob", { attrs: { department: "Dept Audit" } });
  const plan = planSync(
    entra({ Sales: [ann, bob] }),
    mi.snapshot(),
    options({ autoCreate: "all", mapAttrToGroup: ["department"] }),
  );
  assert.deepEqual(ops(plan.operations, "createGroup"), ["createGroup Dept Audit"]);
  assert.deepEqual(ops(plan.operations, "addMember").sort(), [
    "addMember ann@contoso.com -> Default Group",
    "addMember ann@contoso.com -> Dept Audit",
    "addMember ann@contoso.com -> Dept Finance",
    "addMember ann@contoso.com -> Sales",
    "addMember bob@contoso.com -> Default Group",
    "addMember bob@contoso.com -> Dept Audit",
    "addMember bob@contoso.com -> Sales",
  ]);
  assert.deepEqual(ops(plan.operations, "removeMember"), ["removeMember stale@contoso.com <- Dept Finance"]);
});

test("plan: custom attributes and trusted-server username → setUserExtras only when they differ", () => {
  const mi = new MiBuilder();
  const bob = mi.user("bob@contoso.com", {
    extras: { customAttributes: { costCenter: "42" }, trustedServerUsername: "bob" },
  });
  mi.member(mi.group("Sales"), bob);
  mi.member(mi.groups[0]!, bob);
  const o = options({
    customAttributes: ["costCenter"],
    trustedServerUsernameAttr: "mailNickname",
    transformations: [],
  });
  const same = entraUser("bob", { attrs: { costCenter: "42", mailNickname: "bob" } });
  assert.deepEqual(planSync(entra({ Sales: [same] }), mi.snapshot(), o).operations, []);
  const changed = entraUser("bob", { attrs: { costCenter: "43", mailNickname: "bob" } });
  const plan = planSync(entra({ Sales: [changed] }), mi.snapshot(), o);
  assert.equal(plan.operations.length, 1);
  assert.ok(plan.operations[0]?.op === "setUserExtras");
  assert.deepEqual(plan.operations[0].after, { customAttributes: { costCenter: "43" }, trustedServerUsername: "bob" });
});

test("plan: --attributes-transformation → username rule shapes the MI username used for matching and creation", () => {
  const mi = new MiBuilder();
  mi.group("Sales");
  const rules = parseTransformationRules("[{'attr_name': 'username', 'action': '^([^@]+)@', 'method': 'match'}]");
  const plan = planSync(entra({ Sales: [entraUser("ann")] }), mi.snapshot(), options({ transformations: rules }));
  assert.deepEqual(ops(plan.operations, "createUser"), ["createUser ann"]);
});

test("plan: a group whose read was incomplete → no removals there, adds still planned, one problem", () => {
  const mi = new MiBuilder();
  const sales = mi.group("Sales");
  mi.member(sales, mi.user("maybe@contoso.com"));
  const plan = planSync(entra({ Sales: [entraUser("ann")] }, ["Sales"]), mi.snapshot(), options());
  assert.deepEqual(ops(plan.operations), [
    "createUser ann@contoso.com",
    "addMember ann@contoso.com -> Sales",
    "addMember ann@contoso.com -> Default Group",
  ]);
  assert.deepEqual(
    plan.problems.map((p) => p.code),
    ["read-incomplete"],
  );
});

test("deprovision: leaver, unknown and disabled users disabled and removed; admins and members untouched", () => {
  const mi = new MiBuilder();
  const sales = mi.group("Sales");
  for (const name of ["stay", "left", "dis", "local"]) mi.member(sales, mi.user(`${name}@contoso.com`));
  mi.member(sales, mi.user("boss@contoso.com", { type: "administrator" }));
  const snapshot = entra({ Sales: [entraUser("stay"), entraUser("dis", { accountEnabled: false })] });
  const plan = planSync(snapshot, mi.snapshot(), options({ command: "deprovision", autoCreate: "all" }));
  assert.deepEqual(ops(plan.operations), [
    "removeMember dis@contoso.com <- Sales",
    "removeMember left@contoso.com <- Sales",
    "removeMember local@contoso.com <- Sales",
    "disableUser dis@contoso.com",
    "disableUser left@contoso.com",
    "disableUser local@contoso.com",
  ]);
});

test("deprovision: any incomplete read → nobody disabled", () => {
  const mi = new MiBuilder();
  const sales = mi.group("Sales");
  mi.member(sales, mi.user("left@contoso.com"));
  mi.group("Ops");
  const plan = planSync(entra({ Sales: [], Ops: [] }, ["Ops"]), mi.snapshot(), options({ command: "deprovision" }));
  assert.deepEqual(ops(plan.operations, "disableUser"), []);
  assert.ok(plan.warnings.some((w) => /not disabled/.test(w)));
});

test("removal guard: default allows max(25, 10%); N% rounds down; none lifts it", () => {
  const mi = new MiBuilder();
  const sales = mi.group("Sales");
  for (let i = 0; i < 300; i++) mi.member(sales, mi.user(`u${i}@contoso.com`));
  const plan = planSync(entra({ Sales: [] }), mi.snapshot(), options());
  assert.equal(plan.removals, 300);
  assert.equal(plan.managedMemberships, 300);
  assert.deepEqual(checkRemovals(plan, parseMaxRemovals(undefined)), {
    allowed: false,
    removals: 300,
    limit: 30,
    base: 300,
    needsBase: false,
  });
  assert.equal(checkRemovals(plan, parseMaxRemovals("99%")).limit, 297);
  assert.equal(checkRemovals(plan, parseMaxRemovals("300")).allowed, true);
  assert.equal(checkRemovals(plan, parseMaxRemovals("none")).allowed, true);
  const small = planSync(entra({ Sales: [] }), new MiBuilder().snapshot(), options());
  assert.equal(checkRemovals(small, parseMaxRemovals(undefined)).limit, 25);
});

test("plan: every processed user is an identity with its claims; the winner of a match carries the MI id", () => {
  const mi = new MiBuilder();
  const bob = mi.user("bob@contoso.com");
  mi.member(mi.group("Sales"), bob);
  const disabled = entraUser("dis", { accountEnabled: false });
  const plan = planSync(entra({ Sales: [entraUser("bob"), entraUser("ann"), disabled] }), mi.snapshot(), options());
  const byName = new Map(plan.identities.map((i) => [i.username, i]));
  assert.equal(byName.get("bob@contoso.com")?.miUserId, bob.id);
  assert.equal(byName.get("bob@contoso.com")?.claims, true);
  assert.equal(byName.get("ann@contoso.com")?.miUserId, undefined, "created by apply, not matched");
  assert.equal(byName.get("dis@contoso.com")?.claims, false, "a disabled user claims nothing");
});

test("plan: groups scope → attribute groups only gain members", () => {
  const mi = new MiBuilder();
  mi.group("Sales");
  mi.member(mi.group("Finance"), mi.user("other@contoso.com"));
  const ann = entraUser("ann", { attrs: { department: "Finance" } });
  const o = options({ mapAttrToGroup: ["department"] });
  const partial = planSync(entra({ Sales: [ann] }), mi.snapshot(), o, "groups");
  assert.deepEqual(ops(partial.operations, "removeMember"), []);
  const full = planSync(entra({ Sales: [ann] }), mi.snapshot(), o, "full");
  assert.deepEqual(ops(full.operations, "removeMember"), ["removeMember other@contoso.com <- Finance"]);
});
