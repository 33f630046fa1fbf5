import type { DeltaChain, SyncStateStore, UserLedgerEntry } from "../state/sync-state-store.js";

/** What the page suggests as an admin types: users the app has synced and the synced groups. */
export interface NameSuggestions {
  users: { name: string; email?: string; entraId: string; miId?: string }[];
  groups: { name: string; id: string }[];
}

/** How long one read of the ledger serves suggestions (a large tenant's ledger holds tens of thousands of users). */
export const LEDGER_NAMES_TTL_MS = 60_000;
const SHOWN = 10;

const cache = new WeakMap<object, { at: number; entries: UserLedgerEntry[] }>();

/** The ledger's entries, read once a minute per state store (per process). */
async function ledgerEntries(state: Pick<SyncStateStore, "listUserEntries">, now: Date): Promise<UserLedgerEntry[]> {
  const cached = cache.get(state);
  if (cached && now.getTime() - cached.at < LEDGER_NAMES_TTL_MS) return cached.entries;
  const entries = (await state.listUserEntries()).filter((e) => e.username !== "");
  cache.set(state, { at: now.getTime(), entries });
  return entries;
}

/** Those starting with `q` first, then those containing it; alphabetically within each. */
function rank<T>(items: T[], keys: (item: T) => string[], q: string): T[] {
  const score = (item: T): number => {
    const ks = keys(item).map((k) => k.toLowerCase());
    if (ks.some((k) => k.startsWith(q))) return 0;
    return ks.some((k) => k.includes(q)) ? 1 : 2;
  };
  return items
    .map((item) => ({ item, score: score(item), key: keys(item)[0] ?? "" }))
    .filter((x) => x.score < 2)
    .sort((a, b) => a.score - b.score || a.key.localeCompare(b.key))
    .slice(0, SHOWN)
    .map((x) => x.item);
}

/**
 * Up to ten users (the user ledger: every user the app has synced, by MI username or email) and ten synced groups
 * (their names as last read, from the delta chains) matching `q`, case-insensitively: names that start with it first.
 */
export async function suggestNames(
  deps: { state: Pick<SyncStateStore, "listUserEntries" | "listDeltaChains">; now: () => Date },
  query: string,
): Promise<NameSuggestions> {
  const q = query.trim().toLowerCase();
  const [entries, chains] = await Promise.all([
    ledgerEntries(deps.state, deps.now()),
    deps.state.listDeltaChains("groups"),
  ]);
  const groups = chains.flatMap((chain: DeltaChain) =>
    chain.groupIds.flatMap((id, i) => {
      const name = chain.groupNames?.[i];
      return name === undefined ? [] : [{ name, id }];
    }),
  );
  return {
    users: rank(entries, (e) => [e.username, e.email], q).map((e) => ({
      name: e.username,
      ...(e.email ? { email: e.email } : {}),
      entraId: e.entraId,
      ...(e.miId ? { miId: e.miId } : {}),
    })),
    groups: rank(groups, (g) => [g.name], q),
  };
}
