import type { SyncStateStore, UserLedgerEntry } from "../state/sync-state-store.js";
import type { Plan, PlannedIdentity } from "../sync/plan/plan-model.js";
import type { IdentityLedger } from "../sync/run-sync.js";
import type { SyncResult } from "../sync/sync-result.js";

/**
 * The entry of one user as a plan left it: what it claims, and the MI user it is (matched, or created by apply), else
 * the one it was before (so that the account of a user who left, or whom Graph no longer has, can still be found).
 */
export function entryOf(
  entraId: string,
  identity: PlannedIdentity | undefined,
  previous: UserLedgerEntry | undefined,
  createdUsers: ReadonlyMap<string, string>,
  now: string,
): UserLedgerEntry {
  const miId = identity?.miUserId ?? createdUsers.get(entraId) ?? previous?.miId;
  if (identity === undefined) return { entraId, miId, username: "", email: "", claims: false, updatedAt: now };
  return {
    entraId,
    miId,
    username: identity.username,
    email: identity.email,
    claims: identity.claims,
    updatedAt: now,
  };
}

/** Entra ids lowercase, as the ledger keys them. */
const key = (id: string): string => id.toLowerCase();

/**
 * The ledger a run records into. `users` are the Entra users the snapshot covered whole (processed or not: a user in
 * none of the synced groups, or gone, claims nothing); with `forgetOthers` (a full snapshot), every other entry that
 * still claims something is cleared too, since nobody outside a full snapshot is in a synced group.
 */
export function stateLedger(
  state: SyncStateStore,
  now: () => Date,
  scope: { users: Iterable<string>; previous: ReadonlyMap<string, UserLedgerEntry>; forgetOthers?: boolean },
): IdentityLedger {
  return {
    async record(plan: Plan, result: SyncResult): Promise<void> {
      const at = now().toISOString();
      const identities = new Map(plan.identities.map((i) => [key(i.entraUserId), i]));
      const created = new Map([...result.userIds].map((p) => [key(p.entraUserId), p.miUserId]));
      const covered = new Set([...scope.users].map(key));
      for (const id of identities.keys()) covered.add(id);
      const entries: UserLedgerEntry[] = [];
      for (const id of covered) {
        const fresh = entryOf(id, identities.get(id), scope.previous.get(id), created, at);
        if (!sameEntry(fresh, scope.previous.get(id))) entries.push(fresh);
      }
      if (scope.forgetOthers) {
        for (const [id, entry] of scope.previous) {
          if (!covered.has(id) && entry.claims) entries.push({ ...entry, claims: false, updatedAt: at });
        }
      }
      if (entries.length > 0) await state.saveUserEntries(entries, scope.previous);
    },
  };
}

/** Equal but for `updatedAt`. */
export function sameEntry(a: UserLedgerEntry, b: UserLedgerEntry | undefined): boolean {
  return (
    b !== undefined &&
    a.miId === b.miId &&
    a.claims === b.claims &&
    (!a.claims ||
      (a.username.toLowerCase() === b.username.toLowerCase() && a.email.toLowerCase() === b.email.toLowerCase()))
  );
}
