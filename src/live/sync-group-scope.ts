import { UsageError } from "../errors/sync-error.js";
import type { UserLedgerEntry } from "../state/sync-state-store.js";
import type { Plan } from "../sync/plan/plan-model.js";
import { planSync } from "../sync/plan/plan-sync.js";
import { groupKey } from "../sync/plan/target-groups.js";
import type { GroupSelector } from "../sync/ports/entra-directory.js";
import { applyPlanned, readSnapshots } from "../sync/run-sync.js";
import type { MiSnapshot } from "../sync/snapshot.js";
import type { SyncOptions } from "../sync/sync-options.js";
import type { SyncResult } from "../sync/sync-result.js";
import { auditPort } from "./audit-port.js";
import type { LiveDeps } from "./live-deps.js";
import { usersMessages } from "./sync-message.js";
import { stateLedger } from "./user-ledger.js";
import type { LeaseSet } from "./with-lease.js";

export interface WholeSyncOutcome {
  result: SyncResult;
  /** `groups` (the groups named and every group feeding the same MI groups) or `full` (everything configured). */
  scope: "groups" | "full";
  /** The Entra groups read. */
  groupIds: string[];
  /** Why a `groups` sync read everything instead. */
  widenedBecause?: string;
  /** Users another scope wrote while this one ran, sent back for a sync of their own. */
  rechecked: number;
}

/**
 * A whole-group resync of some synced groups (a chain's fan-out message, a delta reset, a nested group change, a
 * resync on demand), planned by `planSync` in scope `groups`. Every Entra group that lands in the same MI group as
 * one of them (same name, or `--target-group`) is read too: a resync of one source alone would remove the members
 * the others bring. When a user of the snapshot shares a username or email with a user outside it (the ledger's
 * claims), only a full plan decides between them, and the whole configured sync is read instead.
 */
export async function syncGroupScope(
  deps: LiveDeps,
  groupIds: readonly string[],
  leases: LeaseSet,
  run: WholeSyncRun = {},
): Promise<WholeSyncOutcome> {
  const mode = run.mode ?? deps.config.mode;
  const chains = await deps.state.listDeltaChains("groups");
  const ids = cofeeding(deps.config.sync, chains, groupIds);
  // Whole groups are written by one holder at a time: their chains' leases (the caller may hold some already).
  if (mode === "apply") {
    await leases.add(chains.filter((c) => c.groupIds.some((g) => ids.includes(g))).map((c) => `chain:${c.chainId}`));
  }
  const readFrom = deps.now().toISOString();
  const request = {
    selector: { names: [], ids } satisfies GroupSelector,
    options: deps.config.sync,
    unresolved: "skip" as const,
  };
  const ledger = await ledgerByUser(deps);
  const plan = await readAndPlan(deps, request, "groups", leases);
  if (plan === undefined) return syncEverything(deps, leases, { ...run, widenedBecause: "the groups no longer exist" });
  const clash = outsideClaimant(plan.plan, plan.snapshotUsers, plan.miUsers, ledger);
  if (clash !== undefined) return syncEverything(deps, leases, { ...run, widenedBecause: clash });
  const result = await applyPlanned(
    plan.plan,
    { options: deps.config.sync, mode },
    {
      entra: deps.entra,
      mi: deps.mi,
      logger: deps.logger,
      ...auditPort(deps),
      ledger: stateLedger(deps.state, deps.now, { users: plan.snapshotUsers, previous: ledger }),
    },
    { abortSignal: leases.signal },
  );
  const rechecked = mode === "apply" ? await recheckConcurrent(deps, readFrom) : 0;
  return { result, scope: "groups", groupIds: ids, rechecked };
}

/** How a whole-group sync runs: its mode (default: the app's), and for the whole sync its selection and options. */
export interface WholeSyncRun {
  mode?: "plan" | "apply";
  /** Default: the app's configured selection. */
  selector?: GroupSelector;
  /** Default: the app's configured options. */
  options?: SyncOptions;
  /** The selection lacks a configured group that did not resolve: nobody is disabled (rule 16). */
  incompleteSelection?: boolean;
  widenedBecause?: string;
}

/**
 * The whole configured sync (the timer reconcile inline; a `groups` sync that cannot decide alone), planned in scope
 * `full`. With SYNC_DEPROVISION it also disables who left, from the same snapshot and under the same guard; a name
 * in SYNC_GROUPS that no longer resolves is left out (and reported by the caller), and then nobody is disabled (rule
 * 16: a resolution that failed is an incomplete read).
 */
export async function syncEverything(
  deps: LiveDeps,
  leases: LeaseSet,
  run: WholeSyncRun = {},
): Promise<WholeSyncOutcome> {
  const mode = run.mode ?? deps.config.mode;
  const { widenedBecause } = run;
  if (mode === "apply") await leases.add((await deps.state.listDeltaChains("groups")).map((c) => `chain:${c.chainId}`));
  const readFrom = deps.now().toISOString();
  const configured = run.options ?? deps.config.sync;
  const options: SyncOptions = run.incompleteSelection ? { ...configured, leavers: "keep" } : configured;
  if (run.incompleteSelection && configured.leavers === "disable") {
    deps.logger.warn("reconcile: a configured group did not resolve, so nobody is disabled this run");
  }
  const ledger = await ledgerByUser(deps);
  const selector = run.selector ?? deps.config.selector;
  const plan = await readAndPlan(deps, { selector, options, unresolved: "skip" }, "full", leases);
  if (plan === undefined) {
    throw new UsageError("live.no_groups", "none of the configured groups (SYNC_GROUPS / SYNC_FILTER) resolves");
  }
  // With a user selection (a resync of one user) the snapshot is not whole: it must not clear other users' claims.
  const forgetOthers = options.selectUsers === undefined;
  const result = await applyPlanned(
    plan.plan,
    { options, mode },
    {
      entra: deps.entra,
      mi: deps.mi,
      logger: deps.logger,
      ...auditPort(deps),
      ledger: stateLedger(deps.state, deps.now, { users: plan.snapshotUsers, previous: ledger, forgetOthers }),
    },
    { abortSignal: leases.signal },
  );
  const rechecked = mode === "apply" ? await recheckConcurrent(deps, readFrom) : 0;
  return {
    result,
    scope: "full",
    groupIds: plan.plan.groups.flatMap((g) => g.entraGroupIds),
    ...(widenedBecause === undefined ? {} : { widenedBecause }),
    rechecked,
  };
}

/** The synced groups that land in the same MI groups as `groupIds` (all of them with --target-group). */
function cofeeding(
  options: SyncOptions,
  chains: Awaited<ReturnType<LiveDeps["state"]["listDeltaChains"]>>,
  groupIds: readonly string[],
): string[] {
  const wanted = new Set(groupIds.map((id) => id.toLowerCase()));
  const all = chains.flatMap((c) => c.groupIds.map((id, i) => ({ id, name: c.groupNames?.[i] })));
  if (options.targetGroup !== undefined) return [...new Set([...wanted, ...all.map((g) => g.id)])].sort();
  const keys = new Set(
    all.filter((g) => wanted.has(g.id) && g.name !== undefined).map((g) => groupKey(g.name as string)),
  );
  for (const g of all) if (g.name !== undefined && keys.has(groupKey(g.name))) wanted.add(g.id);
  return [...wanted].sort();
}

async function readAndPlan(
  deps: LiveDeps,
  request: Parameters<typeof readSnapshots>[0],
  scope: "groups" | "full",
  leases: LeaseSet,
): Promise<{ plan: Plan; snapshotUsers: string[]; miUsers: MiSnapshot["users"] } | undefined> {
  if (
    request.selector.ids.length === 0 &&
    request.selector.names.length === 0 &&
    request.selector.prefix === undefined
  ) {
    return undefined;
  }
  await deps.mi.connect({ abortSignal: leases.signal });
  const { entra, mi } = await readSnapshots(request, deps, { abortSignal: leases.signal });
  if (entra.groups.length === 0) return undefined;
  return {
    plan: planSync(entra, mi, request.options, scope),
    snapshotUsers: [...entra.users.keys()].map((id) => id.toLowerCase()),
    miUsers: mi.users,
  };
}

/** The ledger as it stands, by Entra id. */
async function ledgerByUser(deps: LiveDeps): Promise<Map<string, UserLedgerEntry>> {
  return new Map((await deps.state.listUserEntries()).map((e) => [e.entraId, e]));
}

/**
 * Why a `groups` plan cannot decide alone: a user outside the snapshot claims (per the ledger) the username or email
 * of a user in it, or of the MI user one of them matched. Undefined when nobody does.
 */
function outsideClaimant(
  plan: Plan,
  snapshotUsers: readonly string[],
  miUsers: MiSnapshot["users"],
  ledger: ReadonlyMap<string, UserLedgerEntry>,
): string | undefined {
  const inside = new Set(snapshotUsers);
  const claims = new Map<string, string>();
  for (const entry of ledger.values()) {
    if (!entry.claims || inside.has(entry.entraId)) continue;
    claims.set(`u:${entry.username.toLowerCase()}`, entry.entraId);
    if (entry.email !== "") claims.set(`e:${entry.email.toLowerCase()}`, entry.entraId);
  }
  if (claims.size === 0) return undefined;
  const miById = new Map(miUsers.map((u) => [u.id, u]));
  for (const identity of plan.identities) {
    if (!identity.claims) continue;
    const keys = [`u:${identity.username.toLowerCase()}`, `e:${identity.email.toLowerCase()}`];
    const matched = identity.miUserId === undefined ? undefined : miById.get(identity.miUserId);
    if (matched) keys.push(`u:${matched.username.toLowerCase()}`, `e:${matched.email.toLowerCase()}`);
    for (const k of keys) {
      const other = claims.get(k);
      if (other !== undefined) return `Entra user ${other}, outside the groups read, claims '${k.slice(2)}' too`;
    }
  }
  return undefined;
}

/** Clocks of two instances may differ by this much; a recheck of a few users too many is harmless. */
const CLOCK_SKEW_MS = 5_000;

/**
 * Users that a sync limited to users wrote while this whole-group sync ran (they were touched after it began
 * reading) may have been written over with what it read before: each is sent back for a sync of its own.
 */
async function recheckConcurrent(deps: LiveDeps, readFrom: string): Promise<number> {
  const since = new Date(Date.parse(readFrom) - CLOCK_SKEW_MS).toISOString();
  const touched = await deps.state.usersTouchedSince(since);
  for (const message of usersMessages("resync", deps.now(), touched)) await deps.queue.send(message);
  return touched.length;
}
