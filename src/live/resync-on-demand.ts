import { createHash } from "node:crypto";
import { SyncError } from "../errors/sync-error.js";
import type { SyncOptions } from "../sync/sync-options.js";
import type { SyncCounts, SyncResult } from "../sync/sync-result.js";
import type { LiveDeps } from "./live-deps.js";
import { runRecordOf } from "./run-record.js";
import { syncEverything, syncGroupScope } from "./sync-group-scope.js";
import { LeaseSet, withLeases } from "./with-lease.js";

/**
 * What to resync: one synced Entra group (by object id, or by display name, case-insensitively), or one user (UPN,
 * mail or MI username).
 */
export type ResyncRequest = { kind: "group"; group: string } | { kind: "user"; user: string };

/** One operation of the plan or of the applied result. */
export interface ResyncOperation {
  op: string;
  status: "planned" | "applied" | "failed" | "skipped";
  reason: string;
  description: string;
  error?: string;
}

/** The engine's result as plain data, for the status endpoint and page. */
export interface ResyncOutcome {
  request: ResyncRequest;
  mode: "plan" | "apply";
  /**
   * `planned`: plan mode, nothing written. `applied`: the plan was applied (see operations for failures).
   * `refused`: the removal guard refused the plan, nothing written. `plan-changed`: apply was asked for a plan that is
   * no longer the current one; nothing written, `operations` is the new plan to look at.
   */
  outcome: "planned" | "applied" | "refused" | "plan-changed";
  /** True when nothing was written (plan mode, refused, plan changed, or SYNC_DRY_RUN). */
  dryRun: boolean;
  /** Identifies the plan's operations; pass it back as `expectedPlan` to apply exactly what was shown. */
  planDigest: string;
  /** MI groups the run covered. */
  groups: string[];
  operations: ResyncOperation[];
  counts: SyncCounts;
  errors: string[];
  warnings: string[];
  /** The run record's id (apply mode only). */
  runId?: string;
}

/** The group is not one this app syncs (or the user is outside SYNC_PROCESS_USERS): nothing was read or written. */
export class NotSyncedError extends SyncError {
  override readonly name = "NotSyncedError";
  constructor(code: string, message: string) {
    super("usage", code, message);
  }
}

/**
 * Entra's "provision on demand", with the diff first. For a group: a whole-group resync of it (and of every group
 * feeding the same MI group); for a user: the configured sync restricted to that user, as the CLI's `--username`.
 * Both plan with the same rules as every other path (`syncGroupScope`, `syncEverything`).
 *
 * `plan` reads both sides and writes nothing anywhere (no MI write, no state write, no lease, no run record).
 * `apply` holds the leases of the chains it reads (ScopeBusyError if a worker holds one), applies, records the users
 * in the ledger and a run (`kind: "worker"`, trigger `on-demand`). With `expectedPlan` (a `planDigest` from plan
 * mode), apply first re-plans and writes nothing if the plan differs (`plan-changed`). SYNC_DRY_RUN turns apply into
 * plan, as for every other trigger.
 *
 * Throws NotSyncedError for a group or user outside the configured sync; other typed errors (auth, unavailable) only
 * before anything was written.
 */
export async function resyncOnDemand(
  deps: LiveDeps,
  request: ResyncRequest,
  mode: "plan" | "apply",
  options: { expectedPlan?: string } = {},
): Promise<ResyncOutcome> {
  const target = await targetOf(deps, request);
  const extraWarnings = target.warnings;
  const runOnce = (leases: LeaseSet, runMode: "plan" | "apply", as: LiveDeps = deps): Promise<SyncResult> =>
    (target.kind === "group"
      ? syncGroupScope(as, [target.groupId], leases, { mode: runMode })
      : syncEverything(as, leases, { mode: runMode, options: target.options })
    ).then((outcome) => outcome.result);
  if (mode === "plan" || deps.config.mode === "plan") {
    const leases = new LeaseSet(deps.state, deps.owner);
    const result = await runOnce(leases, "plan");
    return render(request, mode, result, "planned", extraWarnings);
  }
  const startedAt = deps.now().toISOString();
  const base = { runId: deps.newId(), kind: "worker" as const, trigger: "on-demand", startedAt };
  const recorded: LiveDeps = { ...deps, run: { runId: base.runId, path: "resync" } };
  const detail: Record<string, string> =
    request.kind === "group"
      ? { request: "group", group: request.group.toLowerCase() }
      : { request: "user", user: request.user };
  return withLeases(deps, [], async (leases) => {
    if (options.expectedPlan !== undefined) {
      const fresh = await runOnce(leases, "plan");
      if (digestOf(fresh) !== options.expectedPlan) {
        return render(request, mode, fresh, "plan-changed", [
          ...extraWarnings,
          "The plan changed since it was shown; nothing was written. Look at this plan, then apply it.",
        ]);
      }
    }
    let result: SyncResult;
    try {
      result = await runOnce(leases, "apply", recorded);
    } catch (error) {
      await deps.state.recordRun(
        runRecordOf({ ...base, finishedAt: deps.now().toISOString(), detail }, undefined, error),
      );
      throw error;
    }
    const run = runRecordOf({ ...base, finishedAt: deps.now().toISOString(), detail }, result);
    await deps.state.recordRun(run);
    const outcome = result.outcome === "refused" ? "refused" : "applied";
    return { ...render(request, mode, result, outcome, extraWarnings), runId: run.runId };
  });
}

/** What an on-demand resync covers, after checking it is within the configured sync. */
async function targetOf(
  deps: LiveDeps,
  request: ResyncRequest,
): Promise<({ kind: "group"; groupId: string } | { kind: "user"; options: SyncOptions }) & { warnings: string[] }> {
  if (request.kind === "user") {
    const configured = deps.config.sync.selectUsers;
    if (configured && !configured.some((u) => u.toLowerCase() === request.user.toLowerCase())) {
      throw new NotSyncedError(
        "status.user_not_selected",
        `user '${request.user}' is not in SYNC_PROCESS_USERS / SYNC_USERNAME, so this app does not sync it`,
      );
    }
    return { kind: "user", options: { ...deps.config.sync, selectUsers: [request.user] }, warnings: [] };
  }
  const wanted = request.group.trim().toLowerCase();
  const resolution = await deps.entra.resolveGroups(deps.config.selector);
  const synced = resolution.groups.map((g) => g.id.toLowerCase());
  const named = resolution.groups.filter(
    (g) => g.id.toLowerCase() === wanted || g.displayName.toLowerCase() === wanted,
  );
  if (named.length === 0) {
    throw new NotSyncedError(
      "status.group_not_synced",
      `Entra group ${wanted} is not one of the groups this app syncs (SYNC_GROUPS / SYNC_FILTER); nothing was done`,
    );
  }
  // Two synced groups of one name land in one MI group, which a resync of either reads whole anyway.
  const id = named[0]!.id.toLowerCase();
  const all = Boolean(deps.config.sync.targetGroup);
  return {
    kind: "group",
    groupId: id,
    warnings: all
      ? [`SYNC_TARGET_GROUP puts every synced group in one MI group, so all ${synced.length} synced groups were read.`]
      : [],
  };
}

/** A stable digest of a plan's operations (the planner's order is deterministic). */
export function digestOf(result: SyncResult): string {
  return createHash("sha256").update(JSON.stringify(result.plan.operations)).digest("base64url").slice(0, 22);
}

function render(
  request: ResyncRequest,
  mode: "plan" | "apply",
  result: SyncResult,
  outcome: ResyncOutcome["outcome"],
  extraWarnings: string[],
): ResyncOutcome {
  const warnings = [...extraWarnings, ...result.warnings];
  if (request.kind === "user" && result.plan.usersConsidered === 0) {
    warnings.push(
      `No member of a synced group matches '${request.user}' (by UPN, mail or MI username); nothing to do for it.`,
    );
  }
  return {
    request,
    mode,
    outcome: outcome !== "plan-changed" && result.outcome === "refused" ? "refused" : outcome,
    dryRun: outcome !== "applied",
    planDigest: digestOf(result),
    groups: result.plan.groups.map((g) => g.name),
    operations: result.operations.map((o) => ({
      op: o.op,
      status: o.status,
      reason: o.reason,
      description: o.description,
      ...(o.error ? { error: o.error } : {}),
    })),
    counts: { ...result.counts },
    errors: [...result.errors],
    warnings,
  };
}

/** True for errors an admin's request caused (400 range), as opposed to a service failing. */
export function isRequestError(error: unknown): error is SyncError {
  return error instanceof SyncError && (error.kind === "usage" || error.kind === "guard");
}
