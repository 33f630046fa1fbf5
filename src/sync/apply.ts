import pLimit from "p-limit";
import { describeError, SyncError } from "../errors/sync-error.js";
import type { Logger } from "../logging/logger.js";
import type { MiDirectory } from "../mi/mi-directory.js";
import { type GroupRef, OPERATION_ORDER, type Plan, type PlanOperation, type UserRef } from "./plan-model.js";

/** What happened to one planned operation. */
export interface OperationResult {
  operation: PlanOperation;
  status: "applied" | "failed" | "skipped";
  /** Why it failed or was skipped; never holds a secret. */
  error?: string;
}

export interface ApplyOptions {
  /** Concurrent MI writes within one kind of operation. Default: what the MI adapter allows (`maxConcurrency`). */
  concurrency?: number;
  logger: Logger;
  /** Called after each operation settles. */
  onProgress?: (done: number, total: number) => void;
  abortSignal?: AbortSignal;
}

export interface ApplyOutcome {
  results: OperationResult[];
  /** MI ids of the users this apply created, by Entra user id. */
  createdUsers: Map<string, string>;
  /** MI ids of the groups this apply created, by the planned name. */
  createdGroups: Map<string, string>;
  /** Set when MI became unusable (unreachable, credentials refused) and the rest of the plan was not attempted. */
  abortedBy?: SyncError;
}

/**
 * Applies a plan to MI, kind by kind in `OPERATION_ORDER`, operations of one kind concurrently. Reads nothing but the
 * plan: no option reaches here. Every MI write is idempotent (see MiDirectory), so rerunning after a crash converges.
 * An operation whose dependency (a group or user created earlier in the plan) failed is skipped, not attempted.
 */
export async function applyPlan(plan: Plan, mi: MiDirectory, options: ApplyOptions): Promise<ApplyOutcome> {
  const limit = pLimit(options.concurrency ?? mi.maxConcurrency);
  const createdGroups = new Map<string, string>();
  const createdUsers = new Map<string, string>();
  const results: OperationResult[] = [];
  const total = plan.operations.length;
  let abortedBy: SyncError | undefined;
  const call = { abortSignal: options.abortSignal };

  const groupId = (ref: GroupRef): string | undefined =>
    "miGroupId" in ref ? ref.miGroupId : createdGroups.get(ref.newGroupName);
  const userId = (ref: UserRef): string | undefined =>
    "miUserId" in ref ? ref.miUserId : createdUsers.get(ref.entraUserId);

  const execute = async (operation: PlanOperation): Promise<void> => {
    switch (operation.op) {
      case "createGroup": {
        const group = await mi.createGroup(operation.name, call);
        createdGroups.set(operation.name, group.id);
        return;
      }
      case "createUser": {
        const user = await mi.createUser(operation.user, call);
        createdUsers.set(operation.entraUserId, user.id);
        return;
      }
      case "updateUser":
        return mi.updateUser(operation.miUserId, operation.after, call);
      case "enableUser":
        return mi.updateUser(operation.miUserId, { enabled: true }, call);
      case "disableUser":
        return mi.updateUser(operation.miUserId, { enabled: false }, call);
      case "setUserExtras":
        return mi.setUserExtras(required(userId(operation.user), "user"), operation.after, call);
      case "addMember":
        await mi.addMember(required(groupId(operation.group), "group"), required(userId(operation.user), "user"), call);
        return;
      case "removeMember":
        return mi.removeMember(
          { id: operation.membershipId, groupId: operation.miGroupId, userId: operation.miUserId },
          call,
        );
    }
  };

  for (const kind of OPERATION_ORDER) {
    const batch = plan.operations.filter((o) => o.op === kind);
    await Promise.all(
      batch.map((operation) =>
        limit(async () => {
          const result = await settle(operation, abortedBy, execute);
          if (result.status === "failed") {
            options.logger.warn(`${describeOperation(operation)}: ${result.error}`);
            if (
              result.cause instanceof SyncError &&
              (result.cause.kind === "auth" || result.cause.kind === "unavailable")
            ) {
              abortedBy ??= result.cause;
            }
          } else if (result.status === "applied") {
            options.logger.debug(`applied: ${describeOperation(operation)}`);
          }
          results.push({ operation, status: result.status, ...(result.error ? { error: result.error } : {}) });
          options.onProgress?.(results.length, total);
        }),
      ),
    );
  }
  // Keep the plan's order in the report, whatever order the concurrent writes finished in.
  const position = new Map(plan.operations.map((o, i) => [o, i]));
  results.sort((a, b) => (position.get(a.operation) ?? 0) - (position.get(b.operation) ?? 0));
  return abortedBy ? { results, createdUsers, createdGroups, abortedBy } : { results, createdUsers, createdGroups };
}

class MissingDependency extends Error {}

function required(id: string | undefined, what: "user" | "group"): string {
  if (id === undefined) throw new MissingDependency(`the ${what} it needs was not created`);
  return id;
}

async function settle(
  operation: PlanOperation,
  abortedBy: SyncError | undefined,
  execute: (operation: PlanOperation) => Promise<void>,
): Promise<{ status: OperationResult["status"]; error?: string; cause?: unknown }> {
  if (abortedBy) return { status: "skipped", error: `not attempted: ${abortedBy.message}` };
  try {
    await execute(operation);
    return { status: "applied" };
  } catch (error) {
    if (error instanceof MissingDependency) return { status: "skipped", error: error.message };
    return { status: "failed", error: describeError(error), cause: error };
  }
}

/** One line naming an operation, for logs and summaries. */
export function describeOperation(operation: PlanOperation): string {
  switch (operation.op) {
    case "createGroup":
      return `create group '${operation.name}'`;
    case "createUser":
      return `create user ${operation.user.username} (${operation.user.type})`;
    case "updateUser":
      return `update user ${operation.username}: ${Object.entries(operation.after)
        .map(
          ([k, v]) => `${k} '${String(operation.before[k as keyof typeof operation.before] ?? "")}' -> '${String(v)}'`,
        )
        .join(", ")}`;
    case "enableUser":
      return `enable user ${operation.username}`;
    case "disableUser":
      return `disable user ${operation.username}`;
    case "setUserExtras":
      return `set custom attributes of ${operation.username}`;
    case "addMember":
      return `add ${operation.username} to '${operation.groupName}'`;
    case "removeMember":
      return `remove ${operation.username} from '${operation.groupName}'`;
  }
}
