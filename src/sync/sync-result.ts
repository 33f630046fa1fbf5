import type { SyncError } from "../errors/sync-error.js";
import { describeOperation, type OperationResult } from "./apply.js";
import type { Plan, PlanOperation } from "./plan-model.js";
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
  operations: ReportedOperation[];
  counts: SyncCounts;
  errors: string[];
  warnings: string[];
  /** Set when MI became unusable mid-apply; the rest of the plan was not attempted. */
  abortedBy?: SyncError;
  /** True when at least one MI write succeeded. */
  wroteAnything: boolean;
  /** Entra user ↔ MI user pairs known after the run (matched or created), for the live path's id map. */
  userIds: { entraUserId: string; miUserId: string }[];
  /** The run's MI groups with their ids, those it created included, by name (the plan's `groups` names). */
  groupIds: Map<string, string>;
}

/** Builds the result from a plan and, unless it is a dry run or refused, the apply results. */
export function buildResult(input: {
  plan: Plan;
  verdict: RemovalVerdict;
  dryRun: boolean;
  results?: OperationResult[];
  createdUsers?: Map<string, string>;
  createdGroups?: Map<string, string>;
  abortedBy?: SyncError;
}): SyncResult {
  const { plan, verdict, dryRun } = input;
  const outcome: SyncOutcome = verdict.allowed ? "done" : "refused";
  const operations: ReportedOperation[] = input.results
    ? input.results.map((r) => ({
        op: r.operation.op,
        status: r.status,
        reason: r.operation.reason,
        description: describeOperation(r.operation),
        ...(r.error ? { error: r.error } : {}),
        detail: r.operation,
      }))
    : plan.operations.map((o) => ({
        op: o.op,
        status: outcome === "refused" ? "skipped" : "planned",
        reason: o.reason,
        description: describeOperation(o),
        detail: o,
      }));

  const counted = operations.filter((o) => o.status === "applied" || o.status === "planned");
  const count = (op: PlanOperation["op"]): number => counted.filter((o) => o.op === op).length;
  const updatedUsers = new Set(
    counted.flatMap((o) => {
      const d = o.detail;
      if (d.op === "updateUser") return [d.miUserId];
      if (d.op === "setUserExtras" && "miUserId" in d.user) return [d.user.miUserId];
      return [];
    }),
  );
  const errors = [
    ...plan.problems.map((p) => `${p.subject}: ${p.message}`),
    ...operations.filter((o) => o.status === "failed").map((o) => `${o.description}: ${o.error}`),
  ];
  if (input.abortedBy) errors.push(`stopped applying: ${input.abortedBy.message}`);
  const warnings = [...plan.warnings];
  if (outcome === "refused") {
    warnings.push(
      `plan refused by --max-removals: ${verdict.removals} removals and disables, limit ${verdict.limit} ` +
        `(of ${verdict.base} managed memberships); nothing was written`,
    );
  }
  return {
    outcome,
    dryRun,
    plan,
    verdict,
    operations,
    counts: {
      groupsCreated: count("createGroup"),
      usersCreated: count("createUser"),
      usersUpdated: updatedUsers.size,
      usersEnabled: count("enableUser"),
      usersDisabled: count("disableUser"),
      membershipsAdded: count("addMember"),
      membershipsRemoved: count("removeMember"),
      failed: plan.problems.length + operations.filter((o) => o.status === "failed").length,
      warnings: warnings.length,
    },
    errors,
    warnings,
    ...(input.abortedBy ? { abortedBy: input.abortedBy } : {}),
    wroteAnything: operations.some((o) => o.status === "applied"),
    groupIds: new Map([
      ...plan.groups.flatMap((g) => (g.miGroupId === undefined ? [] : [[g.name, g.miGroupId] as const])),
      ...(input.createdGroups ?? new Map<string, string>()),
    ]),
    userIds: [
      ...plan.matches.map((m) => ({ entraUserId: m.entraUserId, miUserId: m.miUserId })),
      ...[...(input.createdUsers ?? new Map<string, string>())].map(([entraUserId, miUserId]) => ({
        entraUserId,
        miUserId,
      })),
    ],
  };
}
