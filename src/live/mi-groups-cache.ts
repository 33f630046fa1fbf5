import type { MiGroup } from "../sync/model.js";
import { groupKey } from "../sync/plan/target-groups.js";
import type { MiCallOptions, MiDirectory } from "../sync/ports/mi-directory.js";

/** How long a listing of MI's groups serves syncs of a few users before it is read again. */
export const MI_GROUPS_TTL_MS = 5 * 60 * 1000;

/**
 * MI's groups, listed once and kept per MI adapter (one per process) for the live path's syncs of a few users, which
 * need the MI groups only to find the synced ones by name: one MI read per change fewer. The listing is read again
 * when it is older than MI_GROUPS_TTL_MS, when a name the sync needs is not in it (a group created since), and after
 * a sync whose writes failed or that created a group (`forget`): a group deleted in MI since costs one failed write
 * and a retry, never a wrong plan.
 */
class MiGroupsCache {
  readonly #entries = new WeakMap<MiDirectory, { groups: MiGroup[]; at: number }>();

  async get(mi: MiDirectory, names: readonly string[], now: Date, options?: MiCallOptions): Promise<MiGroup[]> {
    const cached = this.#entries.get(mi);
    if (cached && now.getTime() - cached.at < MI_GROUPS_TTL_MS) {
      const known = new Set(cached.groups.map((g) => groupKey(g.name)));
      if (names.every((name) => known.has(groupKey(name)))) return cached.groups;
    }
    const groups = await mi.listGroups(options);
    this.#entries.set(mi, { groups, at: now.getTime() });
    return groups;
  }

  forget(mi: MiDirectory): void {
    this.#entries.delete(mi);
  }
}

export const miGroupsCache = new MiGroupsCache();
