import type { SyncError } from "../errors/sync-error.js";
import { describeOperation, OperationOutcomes, type OperationResult } from "./apply.js";
import type { Plan, PlanOperation } from "./plan/plan-model.js";
import type { RemovalVerdict } from "./removal-guard.js";

/** The figures every summary shows (cli.md rule 15). Planned figures in a dry run, applied figures otherwise. */
export interface SyncCounts {
  groupsCreated: number;
  usersCreated: number;
  usersUpdated: number;
  usersEnabled: number;
  usersDisabled: number;
  membershipsAdded: number;
  membershipsRemoved: number;
  failed: number;
  warnings: number;
}

/** One operation as reported: the plan's data plus its status. */
export interface ReportedOperation {
  op: PlanOperation["op"];
  status: "planned" | "applied" | "failed" | "skipped";
  reason: string;
  /** One line for people. */
  description: string;
  error?: string;
  detail: PlanOperation;
}

/**
 * How a run ended. `done`: applied (possibly with failures) or dry run. `refused`: `--max-removals` refused the plan,
 * nothing written.
 */
export type SyncOutcome = "done" | "refused";

/** The one result object that feeds the text summary, `--json`, run records and logs. */
export interface SyncResult {
  outcome: SyncOutcome;
  dryRun: boolean;
  plan: Plan;
  verdict: RemovalVerdict;
  /**
   * Every operation as reported, in plan order. Built on first access (one object and one description per operation),
   * then kept: code that only walks them (the renderers) should use `reportedOperations()`, which keeps none.
   */
  readonly operations: ReportedOperation[];
  /** The operations as reported, in plan order, each built when it is reached and not kept. */
  reportedOperations(): Iterable<ReportedOperation>;
  counts: SyncCounts;
  /**
   * Failures another attempt may cure: writes that failed, and group reads that were incomplete (`read-incomplete`).
   * The other plan problems (a user without a username, two users claiming one name) stay until Entra changes.
   */
  transientFailures: number;
  errors: string[];
  warnings: string[];
  /** Set when MI became unusable mid-apply; the rest of the plan was not attempted. */
  abortedBy?: SyncError;
  /** True when at least one MI write succeeded. */
  wroteAnything: boolean;
  /**
   * Entra user ↔ MI user pairs known after the run (matched or created), for the live path's id map. Built on first
   * access.
   */
  readonly userIds: { entraUserId: string; miUserId: string }[];
  /** The run's MI groups with their ids, those it created included, by name (the plan's `groups` names). */
  groupIds: Map<string, string>;
}

/** Builds the result from a plan and, unless it is a dry run or refused, the apply results. */
export function buildResult(input: {
  plan: Plan;
  verdict: RemovalVerdict;
  dryRun: boolean;
  /** What apply did, by operation index (`ApplyOutcome.outcomes`). */
  outcomes?: OperationOutcomes;
  /** The same as a list (the form small callers build); ignored when `outcomes` is given. */
  results?: OperationResult[];
  createdUsers?: Map<string, string>;
  createdGroups?: Map<string, string>;
  abortedBy?: SyncError;
}): SyncResult {
  const { plan, verdict, dryRun } = input;
  const outcome: SyncOutcome = verdict.allowed ? "done" : "refused";
  const applied = input.outcomes ?? (input.results ? OperationOutcomes.fromResults(plan, input.results) : undefined);
  const unapplied: ReportedOperation["status"] = outcome === "refused" ? "skipped" : "planned";
  /** The reported status of operation `index`; undefined for one apply never settled (it is not reported). */
  const statusOf = (index: number): ReportedOperation["status"] | undefined =>
    applied ? applied.status(index) : unapplied;
  const report = (operation: PlanOperation, index: number): ReportedOperation | undefined => {
    const status = statusOf(index);
    if (status === undefined) return undefined;
    const error = applied?.error(index);
    return {
      op: operation.op,
      status,
      reason: operation.reason,
      description: describeOperation(operation),
      ...(error ? { error } : {}),
      detail: operation,
    };
  };
  function* reportedOperations(): Generator<ReportedOperation> {
    for (const [index, operation] of plan.operations.entries()) {
      const reported = report(operation, index);
      if (reported) yield reported;
    }
  }

  // One pass over the plan for every figure: nothing per operation is kept.
  const counted = new Map<PlanOperation["op"], number>();
  const updatedUsers = new Set<string>();
  const failures: string[] = [];
  for (const [index, operation] of plan.operations.entries()) {
    const status = statusOf(index);
    if (status === "failed") failures.push(`${describeOperation(operation)}: ${applied?.error(index)}`);
    if (status !== "applied" && status !== "planned") continue;
    counted.set(operation.op, (counted.get(operation.op) ?? 0) + 1);
    if (operation.op === "updateUser") updatedUsers.add(operation.miUserId);
    if (operation.op === "setUserExtras" && "miUserId" in operation.user) updatedUsers.add(operation.user.miUserId);
  }
  const count = (op: PlanOperation["op"]): number => counted.get(op) ?? 0;
  const errors = [...plan.problems.map((p) => `${p.subject}: ${p.message}`), ...failures];
  if (input.abortedBy) errors.push(`stopped applying: ${input.abortedBy.message}`);
  const warnings = [...plan.warnings];
  if (outcome === "refused") {
    warnings.push(
      `plan refused by --max-removals: ${verdict.removals} removals and disables, limit ${verdict.limit} ` +
        `(of ${verdict.base} managed memberships); nothing was written`,
    );
  }
  let operations: ReportedOperation[] | undefined;
  let userIds: SyncResult["userIds"] | undefined;
  const createdUsers = input.createdUsers;
  return {
    outcome,
    dryRun,
    plan,
    verdict,
    get operations() {
      operations ??= [...reportedOperations()];
      return operations;
    },
    reportedOperations,
    counts: {
      groupsCreated: count("createGroup"),
      usersCreated: count("createUser"),
      usersUpdated: updatedUsers.size,
      usersEnabled: count("enableUser"),
      usersDisabled: count("disableUser"),
      membershipsAdded: count("addMember"),
      membershipsRemoved: count("removeMember"),
      failed: plan.problems.length + failures.length,
      warnings: warnings.length,
    },
    transientFailures:
      failures.length + plan.problems.filter((p) => p.code === "read-incomplete").length + (input.abortedBy ? 1 : 0),
    errors,
    warnings,
    ...(input.abortedBy ? { abortedBy: input.abortedBy } : {}),
    wroteAnything: (applied?.count("applied") ?? 0) > 0,
    groupIds: new Map([
      ...plan.groups.flatMap((g) => (g.miGroupId === undefined ? [] : [[g.name, g.miGroupId] as const])),
      ...(input.createdGroups ?? new Map<string, string>()),
    ]),
    get userIds() {
      userIds ??= [
        ...plan.identities.flatMap((i) =>
          i.miUserId === undefined ? [] : [{ entraUserId: i.entraUserId, miUserId: i.miUserId }],
        ),
        ...[...(createdUsers ?? new Map<string, string>())].map(([entraUserId, miUserId]) => ({
          entraUserId,
          miUserId,
        })),
      ];
      return userIds;
    },
  };
}
