import type { MiGroup, MiUser } from "../model.js";
import type { EntraSnapshot, MiSnapshot } from "../snapshot.js";
import type { SyncOptions } from "../sync-options.js";
import type { PlanNote, PlanOperation, PlanProblem } from "./plan-model.js";
import type { PlanScope } from "./plan-scope.js";
import { groupKey } from "./target-groups.js";

/** MI as read, indexed the ways the rules look it up. On duplicates (legacy MI data) the first one listed wins. */
export interface MiIndex {
  usersById: Map<string, MiUser>;
  /** By lowercased username. */
  byUsername: Map<string, MiUser>;
  /** By lowercased email. */
  byEmail: Map<string, MiUser>;
  /** By `groupKey(name)`. */
  groupsByName: Map<string, MiGroup>;
}

/** What every phase of one plan reads and appends to. */
export interface PlanContext {
  readonly entra: EntraSnapshot;
  readonly mi: MiSnapshot;
  readonly options: SyncOptions;
  readonly scope: PlanScope;
  /** `provision` mirrors and writes users; `deprovision` only removes and disables who left. */
  readonly provision: boolean;
  readonly index: MiIndex;
  readonly operations: PlanOperation[];
  readonly problems: PlanProblem[];
  readonly warnings: string[];
  /** Why users or memberships are left as they are (see PlanNote). */
  readonly notes: PlanNote[];
  /** True for the MI user the API token acts as: never modified, memberships included (cli.md rule 3). */
  isActing(user: MiUser | undefined): boolean;
}

export const lower = (s: string): string => s.toLowerCase();

export function planContext(entra: EntraSnapshot, mi: MiSnapshot, options: SyncOptions, scope: PlanScope): PlanContext {
  const index: MiIndex = {
    usersById: new Map(mi.users.map((u) => [u.id, u])),
    byUsername: new Map(),
    byEmail: new Map(),
    groupsByName: new Map(),
  };
  for (const u of mi.users) {
    if (!index.byUsername.has(lower(u.username))) index.byUsername.set(lower(u.username), u);
    if (u.email && !index.byEmail.has(lower(u.email))) index.byEmail.set(lower(u.email), u);
  }
  for (const g of mi.groups) if (!index.groupsByName.has(groupKey(g.name))) index.groupsByName.set(groupKey(g.name), g);
  const acting = mi.actingUsername === undefined ? undefined : lower(mi.actingUsername);
  return {
    entra,
    mi,
    options,
    scope,
    provision: options.command === "provision",
    index,
    operations: [],
    problems: [],
    warnings: [],
    notes: [],
    isActing: (u) => u !== undefined && acting !== undefined && lower(u.username) === acting,
  };
}
