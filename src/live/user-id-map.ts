import type { SyncStateStore } from "../state/sync-state-store.js";
import type { UserIdMap } from "../sync/run-sync.js";

/** The id map in Table Storage, as the engine's optional port. */
export function stateUserIdMap(state: SyncStateStore, now: () => Date): UserIdMap {
  return {
    lookup: async (ids) => new Map([...(await state.getIdMappings("user", ids))].map(([k, v]) => [k, v.miId])),
    save: (pairs) =>
      state.saveIdMappings(
        pairs.map((p) => ({
          kind: "user",
          entraId: p.entraUserId,
          miId: p.miUserId,
          miName: "",
          updatedAt: now().toISOString(),
        })),
      ),
  };
}
