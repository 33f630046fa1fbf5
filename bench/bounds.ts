import { type BenchTenant, transitiveMembers } from "./tenant/generate-tenant.js";

/** Graph's page cap (`$top=999`) and `$batch` size (contract §1, §4). */
const PAGE = 999;
const BATCH = 20;
/** Resource units per request (sim/graph/resource-units.ts, contract §5): `GET /groups` 2 and `transitiveMembers` 5, each −1 for `$select`. */
const RU_GROUP_PAGE = 1;
const RU_TRANSITIVE_PAGE = 4;

/** What MI should hold for a tenant: one group per Entra group, its transitive user members, by user index. */
export interface MiTarget {
  groups: Map<string, Set<number>>;
  /** Users in at least one synced group (the ones `--auto-create all` creates). */
  users: Set<number>;
}

/** MI state the sync should reach: every synced group with its transitive users (`--process-child-groups`). */
export function miTarget(tenant: BenchTenant): MiTarget {
  const groups = new Map<string, Set<number>>();
  const users = new Set<number>();
  for (const [g, group] of tenant.groups.entries()) {
    const members = transitiveMembers(tenant, g).users;
    groups.set(group.displayName, members);
    for (const u of members) users.add(u);
  }
  return { groups, users };
}

export interface BoundInputs {
  tenant: BenchTenant;
  /** What MI holds before the run (undefined: an empty MI, only the Default Group and the admin). */
  before?: MiTarget;
  /** Users ever created in MI before this run (provision never deletes users: an MI user stays). */
  createdBefore?: Set<number>;
  graphLatencyMs: number;
  miLatencyMs: number;
  /** The MI concurrency cap (0: none; the bound then assumes the product's fixed apply concurrency of 4). */
  miConcurrencyCap: number;
  /** Graph resource units allowed per 10 s (contract §5; 0: no limit). */
  ruQuotaPer10s: number;
}

export interface Bounds {
  graphRequests: number;
  /** Requests carried inside `$batch`: every group's first members page. */
  graphBatchedRequests: number;
  graphResourceUnits: number;
  miReads: number;
  miWrites: number;
  miTokenRequests: number;
  wallMs: number;
  /** The parts the figures are made of, for the report. */
  detail: Record<string, number>;
}

/**
 * Lower bounds for one full read + apply (`provision --filter PREFIX --auto-create all --process-child-groups`),
 * computed from the generated data, never from what the product did:
 *
 * Graph requests = 1 token request
 *   + ceil(G / 999) pages of group resolution by prefix (`$filter=startswith(displayName,...)&$top=999`)
 *   + ceil(G / 20) `$batch` requests carrying every group's first `transitiveMembers` page (G inner requests)
 *   + Σ_g max(0, ceil(T_g / 999) − 1) further pages, T_g = transitive members of g (users and nested groups: Graph
 *     lists both).
 * Graph resource units = group pages × 1 + Σ_g max(1, ceil(T_g / 999)) × 4 (the `$batch` itself costs 0).
 * MI reads = users list + groups list + one membership read per synced group that already exists in MI
 *   + 1 for the Default Group (new users go there); the token request is counted apart (MI tokens = 1).
 * MI writes = groups to create + users to create + memberships to add + memberships to remove (each an exact
 *   difference between `before` and the target). New users join the Default Group through the create call itself
 *   (`default_group_ind: "Y"`), so it costs no write; only existing MI users missing from it would (none here).
 * Wall time = the Graph critical path, which requests depend on each other: Lg × (token + group pages in sequence +
 *   one round of `$batch` + the longest chain of further pages of one group) [Graph's concurrency is unbounded here],
 *   + ⌊(RU − 1) / quota⌋ × 10 s when the run's resource units exceed one window's quota,
 *   in parallel with MI's token + reads: Lm × (1 + ceil(reads / cap)),
 *   then MI's writes: Lm × (ceil(creates / cap) + ceil(membership writes / cap)) (memberships need their group and
 *   user first). Node's start-up and the CPU time of the sync are not in the bound.
 */
export function computeBounds(input: BoundInputs): Bounds {
  const { tenant } = input;
  const G = tenant.groups.length;
  const groupPages = Math.max(1, Math.ceil(G / PAGE));
  const batches = Math.ceil(G / BATCH);
  let extraPages = 0;
  let longestExtra = 0;
  let memberPages = 0;
  for (let g = 0; g < G; g++) {
    const t = transitiveMembers(tenant, g);
    const pages = Math.max(1, Math.ceil((t.users.size + t.groups.size) / PAGE));
    memberPages += pages;
    extraPages += pages - 1;
    longestExtra = Math.max(longestExtra, pages - 1);
  }
  const graphRequests = 1 + groupPages + batches + extraPages;
  const graphResourceUnits = groupPages * RU_GROUP_PAGE + memberPages * RU_TRANSITIVE_PAGE;

  const target = miTarget(tenant);
  const before = input.before;
  const createdBefore = input.createdBefore ?? new Set<number>();
  let groupsToCreate = 0;
  let existingGroups = 0;
  let adds = 0;
  let removes = 0;
  for (const [name, members] of target.groups) {
    const had = before?.groups.get(name);
    if (had === undefined) groupsToCreate++;
    else existingGroups++;
    for (const u of members) if (!had?.has(u)) adds++;
    if (had) for (const u of had) if (!members.has(u)) removes++;
  }
  let usersToCreate = 0;
  for (const u of target.users) if (!createdBefore.has(u)) usersToCreate++;
  const defaultGroupAdds = 0;
  const miReads = 2 + existingGroups + 1;
  const creates = groupsToCreate + usersToCreate;
  const membershipWrites = adds + removes + defaultGroupAdds;
  const miWrites = creates + membershipWrites;

  const cap = input.miConcurrencyCap > 0 ? input.miConcurrencyCap : 4;
  const Lg = input.graphLatencyMs;
  const Lm = input.miLatencyMs;
  const throttleWaitMs =
    input.ruQuotaPer10s > 0 ? Math.floor(Math.max(0, graphResourceUnits - 1) / input.ruQuotaPer10s) * 10_000 : 0;
  const graphPathMs = Lg * (1 + groupPages + 1 + longestExtra) + throttleWaitMs;
  const miReadPathMs = Lm * (1 + Math.ceil(miReads / cap));
  const miWritePathMs = Lm * (Math.ceil(creates / cap) + Math.ceil(membershipWrites / cap));
  const wallMs = Math.max(graphPathMs, miReadPathMs) + miWritePathMs;
  return {
    graphRequests,
    graphBatchedRequests: G,
    graphResourceUnits,
    miReads,
    miWrites,
    miTokenRequests: 1,
    wallMs,
    detail: {
      groupPages,
      batches,
      extraMemberPages: extraPages,
      longestExtraChain: longestExtra,
      groupsToCreate,
      usersToCreate,
      membershipsToAdd: adds,
      membershipsToRemove: removes,
      defaultGroupAdds,
      existingGroupsRead: existingGroups,
      graphPathMs,
      miReadPathMs,
      miWritePathMs,
      throttleWaitMs,
      targetUsers: target.users.size,
    },
  };
}
