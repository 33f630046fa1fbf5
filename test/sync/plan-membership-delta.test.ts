import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMaxRemovals } from "../../src/config/max-removals.js";
import type { DirectoryUser, MiUser } from "../../src/sync/model.js";
import { planSync } from "../../src/sync/plan.js";
import { type MembershipDelta, planMembershipDelta } from "../../src/sync/plan-membership-delta.js";
import type { PlanOperation } from "../../src/sync/plan-model.js";
import type { SyncOptions } from "../../src/sync/sync-options.js";
import { entra, entraUser, MiBuilder, options } from "./fixtures.js";

/** mulberry32: a small seeded PRNG, so every trial can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A membership operation as `(kind, MI user, MI group)`, which is what reaches MI. */
function key(op: PlanOperation): string {
  if (op.op === "addMember") {
    const user = "miUserId" in op.user ? op.user.miUserId : `new:${op.user.entraUserId}`;
    const group = "miGroupId" in op.group ? op.group.miGroupId : `new:${op.group.newGroupName}`;
    return `add ${user} -> ${group}`;
  }
  if (op.op === "removeMember") return `remove ${op.miUserId} <- ${op.miGroupId} (row ${op.membershipId})`;
  if (op.op === "createUser")
    return `create ${op.user.username} ${op.user.email} ${op.user.type} ${op.user.addToDefaultGroup}`;
  return `${op.op}`;
}

/** What the user may look like in MI relative to Entra; the fast path must handle or hand over each. */
type Variant = "synced" | "not-in-mi" | "mi-disabled" | "profile-differs" | "entra-disabled" | "acting" | "gone";
const VARIANTS: Variant[] = ["synced", "synced", "synced", "not-in-mi", "mi-disabled", "profile-differs"];

/**
 * The fast path against the planner it stands in for: in random synced states, one user is added to or removed from
 * a group in Entra. Whenever the fast path answers with a plan, the operations on that user must be exactly those a
 * full resync of the group (`planSync`, partial scope) plans for that user; otherwise it must hand over.
 */
test("planMembershipDelta plans exactly what a full resync plans for the changed user, or hands over", () => {
  let planned = 0;
  let handedOver = 0;
  for (let seed = 1; seed <= 400; seed++) {
    const random = prng(seed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const mi = new MiBuilder();
    const sales = mi.group("Sales");
    const defaultGroup = mi.groups[0]!;
    const users: { entra: DirectoryUser; mi: MiUser | undefined; variant: Variant }[] = [];
    for (let i = 0; i < 6; i++) {
      const variant: Variant = i === 0 ? pick(["acting", "synced", "entra-disabled", "gone"] as const) : pick(VARIANTS);
      const name = variant === "acting" ? "admin" : `u${i}`;
      const user = entraUser(name, variant === "entra-disabled" ? { accountEnabled: false } : {});
      let miUser: MiUser | undefined;
      if (variant === "acting") miUser = mi.users[0];
      else if (variant !== "not-in-mi") {
        miUser = mi.user(`${name}@contoso.com`, {
          ...(variant === "mi-disabled" ? { enabled: false } : {}),
          ...(variant === "profile-differs" ? { firstName: "Outdated" } : {}),
        });
        mi.member(defaultGroup, miUser);
      }
      users.push({ entra: user, mi: miUser, variant });
    }
    // Before the change: a random half in Sales, MI in step (only users a sync would have put there).
    const inSales = new Set(users.filter(() => random() < 0.5).map((u) => u.entra.id));
    for (const u of users) {
      const syncable = u.mi && u.variant !== "acting" && u.variant !== "entra-disabled" && u.variant !== "gone";
      if (inSales.has(u.entra.id) && syncable) mi.member(sales, u.mi!);
      // The acting user is never written, so MI may hold it in the group either way (an admin put it there).
      if (u.variant === "acting" && random() < 0.5) mi.member(sales, u.mi!);
    }
    const changed = pick(users);
    const adding = !inSales.has(changed.entra.id);
    if (adding) inSales.add(changed.entra.id);
    else inSales.delete(changed.entra.id);

    const members = users.filter((u) => inSales.has(u.entra.id) && u.variant !== "gone").map((u) => u.entra);
    const after = entra({ Sales: members });
    const snapshot = mi.snapshot();
    snapshot.knownUserIds = new Map(users.flatMap((u) => (u.mi ? [[u.entra.id, u.mi.id] as const] : [])));
    const opts = options({
      autoCreate: pick(["all", "all", "off", "groups"] as const),
      defaultGroup: pick(["add", "skip"] as const),
    });
    const full = planSync(after, snapshot, opts, "partial");
    const expected = full.operations
      .filter((op) =>
        op.op === "removeMember" || op.op === "updateUser" || op.op === "enableUser" || op.op === "disableUser"
          ? op.miUserId === changed.mi?.id
          : op.op === "createUser"
            ? op.entraUserId === changed.entra.id
            : op.op === "addMember"
              ? "miUserId" in op.user
                ? op.user.miUserId === changed.mi?.id
                : op.user.entraUserId === changed.entra.id
              : false,
      )
      .map(key)
      .sort();

    const delta: MembershipDelta = {
      group: { entraGroupId: after.groups[0]!.id, miGroupId: sales.id, name: "Sales" },
      added: adding
        ? [
            {
              entraUserId: changed.entra.id,
              entra: changed.variant === "gone" ? null : changed.entra,
              // As the worker asks MI: through the id map, or by a lookup that may find nobody, or not at all.
              mi: changed.mi
                ? { how: random() < 0.5 ? ("id-map" as const) : ("lookup" as const), user: changed.mi }
                : random() < 0.7
                  ? { how: "lookup" as const, user: undefined }
                  : undefined,
            },
          ]
        : [],
      removed: adding
        ? []
        : [
            {
              entraUserId: changed.entra.id,
              miUserId: changed.mi?.id,
              rows: snapshot.memberships.get(sales.id)!.filter((r) => r.userId === changed.mi?.id),
            },
          ],
    };
    const fast = planMembershipDelta([delta], opts, { userId: mi.users[0]!.id, username: "admin" });
    if (fast.kind === "full") {
      handedOver++;
      continue;
    }
    planned++;
    assert.deepEqual(
      fast.plan.operations.map(key).sort(),
      expected,
      `seed ${seed}: ${adding ? "add" : "remove"} ${changed.variant} user`,
    );
  }
  // Both outcomes must really have been exercised for the comparison to mean anything.
  assert.ok(planned > 150, `the fast path planned ${planned} of 400 trials`);
  assert.ok(handedOver > 40, `the fast path handed over ${handedOver} of 400 trials`);
});

test("planMembershipDelta hands over under options the delta cannot decide", () => {
  const delta: MembershipDelta = {
    group: { entraGroupId: "g", miGroupId: "7", name: "Sales" },
    added: [],
    removed: [],
  };
  const cases: [Partial<SyncOptions>, string][] = [
    [{ command: "deprovision" }, "deprovision"],
    [{ targetGroup: "All" }, "--target-group"],
    [{ mapAttrToGroup: ["department"] }, "--map-attr-to-group"],
    [{ selectUsers: ["ann@contoso.com"] }, "--process-users"],
    [{ customAttributes: ["costCenter"] }, "managed extras"],
  ];
  for (const [overrides, reason] of cases) {
    assert.deepEqual(planMembershipDelta([delta], options(overrides), { userId: undefined, username: undefined }), {
      kind: "full",
      reason,
    });
  }
});

test("planMembershipDelta: a removal is one removeMember per row of the group; a percentage guard has no base", () => {
  const mi = new MiBuilder();
  const sales = mi.group("Sales");
  const other = mi.group("Ops");
  const bob = mi.user("bob@contoso.com");
  const row = mi.member(sales, bob);
  mi.member(other, bob);
  const result = planMembershipDelta(
    [
      {
        group: { entraGroupId: "g", miGroupId: sales.id, name: "Sales" },
        added: [],
        removed: [{ entraUserId: "e-bob", miUserId: bob.id, rows: mi.rows.filter((r) => r.userId === bob.id) }],
      },
    ],
    options({ maxRemovals: parseMaxRemovals("10%") }),
    { userId: undefined, username: undefined },
  );
  assert.equal(result.kind, "plan");
  if (result.kind !== "plan") return;
  assert.deepEqual(result.plan.operations.map(key), [`remove ${bob.id} <- ${sales.id} (row ${row.id})`]);
  assert.equal(result.plan.removals, 1);
  assert.equal(result.plan.managedMemberships, 0);
});
