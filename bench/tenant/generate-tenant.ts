import type { SimDirectorySeed } from "../../sim/graph/index.js";
import { Prng } from "./prng.js";

export type TenantSize = "S" | "M" | "L" | "XL";
export const TENANT_SIZES: readonly TenantSize[] = ["S", "M", "L", "XL"];

export interface SizeSpec {
  users: number;
  groups: number;
  /** Direct memberships in total (user members + nested-group members), approximately. */
  memberships: number;
  /** Share of groups that contain one or two other groups (nesting). */
  nestedShare: number;
}

/** The sizes of the issue. S and M membership counts are not given there: 3 per user, like L. */
export const SIZE_SPECS: Record<TenantSize, SizeSpec> = {
  S: { users: 1_000, groups: 50, memberships: 3_000, nestedShare: 0.1 },
  M: { users: 10_000, groups: 500, memberships: 30_000, nestedShare: 0.05 },
  L: { users: 50_000, groups: 2_000, memberships: 150_000, nestedShare: 0.05 },
  XL: { users: 100_000, groups: 5_000, memberships: 400_000, nestedShare: 0.05 },
};

/** Every synced group starts with this; the CLI selects them with `--filter`. */
export const GROUP_PREFIX = "BENCH ";
export const UPN_DOMAIN = "bench.example.com";

export interface BenchUser {
  id: string;
  userPrincipalName: string;
  mail: string;
  givenName: string;
  surname: string;
  displayName: string;
  department: string;
}

export interface BenchGroup {
  id: string;
  displayName: string;
  /** Direct user members, as indexes into `users`. */
  userMembers: Set<number>;
  /** Direct group members (nesting), as indexes into `groups`; always higher than this group's index (no cycles). */
  groupMembers: number[];
}

export interface BenchTenant {
  size: TenantSize;
  seed: number;
  prefix: string;
  users: BenchUser[];
  groups: BenchGroup[];
}

const GIVEN = ["Ada", "Bo", "Chen", "Dana", "Elif", "Femi", "Gus", "Hana", "Ines", "Jon", "Kai", "Lena", "Mo", "Nia"];
const MORE_GIVEN = ["Omar", "Pia", "Quinn", "Rui", "Sara", "Tomás", "Uma", "Vik", "Wen", "Xavi", "Yuki", "Zoë"];
const SURNAMES = ["Ahn", "Berg", "Costa", "Diaz", "Eze", "Fischer", "García", "Haas", "Ito", "Jensen", "Kowalski"];
const MORE_SURNAMES = ["Lund", "Moreau", "Novak", "Okafor", "Park", "Quist", "Rossi", "Silva", "Tan", "Ueda", "Varga"];
const DEPARTMENTS = ["Sales", "Finance", "Engineering", "Support", "Marketing", "Operations", "Legal", "HR"];

const ascii = (s: string): string => s.normalize("NFD").replace(/[^A-Za-z]/g, "");

/**
 * A synthetic tenant, fully determined by size and seed: users with UPN, mail and names; `groups` groups named
 * `BENCH g00001`...; group sizes skewed (a few big groups, many small ones: weight 1/(i+1)^0.9, capped at 30% of the
 * users, so M and larger have groups over 999 members and exercise paging); about `nestedShare` of the groups contain
 * one or two later groups (nesting without cycles). Direct memberships add up to the size's `memberships`.
 */
export function generateTenant(size: TenantSize, seed: number): BenchTenant {
  const spec = SIZE_SPECS[size];
  const rng = new Prng(seed);
  const given = [...GIVEN, ...MORE_GIVEN];
  const surnames = [...SURNAMES, ...MORE_SURNAMES];
  const users: BenchUser[] = [];
  for (let i = 0; i < spec.users; i++) {
    const givenName = rng.pick(given);
    const surname = rng.pick(surnames);
    const local = `${ascii(givenName)}.${ascii(surname)}.${i}`.toLowerCase();
    users.push({
      id: rng.guid(),
      userPrincipalName: `${local}@${UPN_DOMAIN}`,
      mail: `${local}@${UPN_DOMAIN}`,
      givenName,
      surname,
      displayName: `${givenName} ${surname}`,
      department: rng.pick(DEPARTMENTS),
    });
  }

  const groups: BenchGroup[] = [];
  const width = String(spec.groups).length + 1;
  for (let g = 0; g < spec.groups; g++) {
    groups.push({
      id: rng.guid(),
      displayName: `${GROUP_PREFIX}g${String(g + 1).padStart(width, "0")}`,
      userMembers: new Set(),
      groupMembers: [],
    });
  }

  // Nesting first (it counts towards the memberships): a group contains one or two groups of higher index.
  let nestedEdges = 0;
  const nestedCount = Math.max(1, Math.round(spec.groups * spec.nestedShare));
  for (let k = 0; k < nestedCount; k++) {
    const parent = rng.int(spec.groups - 1);
    const children = 1 + rng.int(2);
    for (let c = 0; c < children; c++) {
      const child = parent + 1 + rng.int(spec.groups - parent - 1);
      const list = groups[parent]!.groupMembers;
      if (!list.includes(child)) {
        list.push(child);
        nestedEdges++;
      }
    }
  }

  // User memberships: skewed sizes, at least 1 each, at most 30% of the users.
  const userMemberships = spec.memberships - nestedEdges;
  const cap = Math.max(1, Math.floor(spec.users * 0.3));
  const weights = groups.map((_, g) => 1 / (g + 1) ** 0.9);
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.min(cap, Math.max(1, Math.floor((w / totalWeight) * userMemberships))));
  let missing = userMemberships - sizes.reduce((a, b) => a + b, 0);
  for (let g = spec.groups - 1; missing > 0; g = g === 0 ? spec.groups - 1 : g - 1) {
    if (sizes[g]! < cap) {
      sizes[g]! += 1;
      missing--;
    }
  }
  for (const [g, group] of groups.entries()) {
    const want = sizes[g]!;
    if (want * 4 < spec.users) {
      while (group.userMembers.size < want) group.userMembers.add(rng.int(spec.users));
    } else {
      // Partial Fisher-Yates: `want` distinct indexes without rejection.
      const pool = Int32Array.from({ length: spec.users }, (_, i) => i);
      for (let i = 0; i < want; i++) {
        const j = i + rng.int(spec.users - i);
        const tmp = pool[i]!;
        pool[i] = pool[j]!;
        pool[j] = tmp;
        group.userMembers.add(pool[i]!);
      }
    }
  }
  return { size, seed, prefix: GROUP_PREFIX, users, groups };
}

/** The seed the Graph simulator loads (users, then groups with their direct members, users and groups). */
export function toDirectorySeed(tenant: BenchTenant): SimDirectorySeed {
  return {
    users: tenant.users.map((u) => ({
      id: u.id,
      userPrincipalName: u.userPrincipalName,
      mail: u.mail,
      givenName: u.givenName,
      surname: u.surname,
      displayName: u.displayName,
      department: u.department,
      accountEnabled: true,
      userType: "Member" as const,
    })),
    groups: tenant.groups.map((g) => ({
      id: g.id,
      displayName: g.displayName,
      mailNickname: g.displayName.replace(/\W+/g, "-").toLowerCase(),
      securityEnabled: true,
      mailEnabled: false,
      members: [
        ...[...g.userMembers].map((u) => tenant.users[u]!.id),
        ...g.groupMembers.map((c) => tenant.groups[c]!.id),
      ],
    })),
  };
}

/** Direct memberships: user members and nested-group members. */
export function countMemberships(tenant: BenchTenant): { users: number; groups: number } {
  let users = 0;
  let groups = 0;
  for (const g of tenant.groups) {
    users += g.userMembers.size;
    groups += g.groupMembers.length;
  }
  return { users, groups };
}

/** Transitive members of a group (what `/transitiveMembers` lists): user indexes and group indexes. */
export function transitiveMembers(
  tenant: BenchTenant,
  groupIndex: number,
): { users: Set<number>; groups: Set<number> } {
  const users = new Set<number>();
  const groups = new Set<number>();
  const stack = [groupIndex];
  const seen = new Set<number>([groupIndex]);
  while (stack.length > 0) {
    const g = tenant.groups[stack.pop()!]!;
    for (const u of g.userMembers) users.add(u);
    for (const c of g.groupMembers) {
      groups.add(c);
      if (!seen.has(c)) {
        seen.add(c);
        stack.push(c);
      }
    }
  }
  return { users, groups };
}

/** One direct user-membership change. */
export interface MembershipChange {
  op: "add" | "remove";
  groupIndex: number;
  userIndex: number;
  groupId: string;
  userId: string;
}

/**
 * `fraction` of the direct user memberships changed, deterministically from `seed`: half removals of existing
 * memberships, half additions of users not yet in the group. Mutates `tenant` and returns the changes (the Graph
 * simulator child applies the same list to its directory).
 */
export function applyChurn(tenant: BenchTenant, fraction: number, seed: number): MembershipChange[] {
  const rng = new Prng(seed ^ 0x5bd1e995);
  const total = countMemberships(tenant).users;
  const count = Math.max(2, Math.round(total * fraction));
  const changes: MembershipChange[] = [];
  const touched = new Set<string>();
  while (changes.length < count) {
    const groupIndex = rng.int(tenant.groups.length);
    const group = tenant.groups[groupIndex]!;
    const removing = changes.length % 2 === 0 && group.userMembers.size > 1;
    let userIndex: number;
    if (removing) {
      const members = [...group.userMembers];
      userIndex = members[rng.int(members.length)]!;
    } else {
      userIndex = rng.int(tenant.users.length);
      if (group.userMembers.has(userIndex)) continue;
    }
    const key = `${groupIndex}:${userIndex}`;
    if (touched.has(key)) continue;
    touched.add(key);
    if (removing) group.userMembers.delete(userIndex);
    else group.userMembers.add(userIndex);
    changes.push({
      op: removing ? "remove" : "add",
      groupIndex,
      userIndex,
      groupId: group.id,
      userId: tenant.users[userIndex]!.id,
    });
  }
  return changes;
}
