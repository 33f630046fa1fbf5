import { type DesiredUser, mapUser } from "../map-user.js";
import type { MiGroup } from "../model.js";
import type { EntraSnapshot } from "../snapshot.js";
import type { SyncOptions } from "../sync-options.js";

/** The name MI's Default Group has on a fresh install; it is found by name, never by id (it can be deleted). */
export const DEFAULT_GROUP_NAME = "Default Group";

/** One MI group a run syncs, before it is matched against MI. */
export interface TargetGroup {
  /** The MI group name, as the run will create it. */
  name: string;
  /** `synced`: mirrors Entra groups. `attribute`: named by `--map-attr-to-group` values. Both are mirrored. */
  sources: ("synced" | "attribute")[];
  entraGroupIds: string[];
  /** Entra user ids that belong (enabled or not; the planner filters). For attribute groups, filled by the planner. */
  entraUserIds: Set<string>;
  /** All contributing Entra reads completed. */
  complete: boolean;
}

export const groupKey = (name: string): string => name.toLowerCase();

/**
 * The MI groups the Entra groups map to: one per Entra group, or all into `--target-group`. Keyed by lowercased
 * name, since MI group names match case-insensitively (cli.md rule 4).
 */
export function syncedTargetGroups(entra: EntraSnapshot, options: SyncOptions): Map<string, TargetGroup> {
  const targets = new Map<string, TargetGroup>();
  for (const group of entra.groups) {
    const name = options.targetGroup ?? group.displayName;
    const read = entra.members.get(group.id) ?? { userIds: [], complete: false, error: "not read" };
    const key = groupKey(name);
    const target = targets.get(key) ?? {
      name,
      sources: ["synced"],
      entraGroupIds: [],
      entraUserIds: new Set<string>(),
      complete: true,
    };
    target.entraGroupIds.push(group.id);
    for (const id of read.userIds) target.entraUserIds.add(id);
    target.complete &&= read.complete;
    targets.set(key, target);
  }
  return targets;
}

/** Whether `--process-users` / `--username` let this user through. */
export function isSelected(user: DesiredUser, options: SyncOptions): boolean {
  if (!options.selectUsers) return true;
  const wanted = new Set(options.selectUsers.map((u) => u.toLowerCase()));
  return user.selectionKeys.some((k) => wanted.has(k));
}

/**
 * Names of every MI group whose memberships a run must read: the synced groups, the attribute groups the users name,
 * and the Default Group when users are added to it. The read step calls this before reading MI memberships.
 */
export function groupsToRead(entra: EntraSnapshot, options: SyncOptions, miGroups: MiGroup[]): MiGroup[] {
  const names = new Set(syncedTargetGroups(entra, options).keys());
  if (options.mapAttrToGroup.length > 0) {
    for (const user of entra.users.values()) {
      for (const name of mapUser(user, options).attributeGroups) names.add(groupKey(name));
    }
  }
  if (options.defaultGroup === "add") names.add(groupKey(DEFAULT_GROUP_NAME));
  return miGroups.filter((g) => names.has(groupKey(g.name)));
}
