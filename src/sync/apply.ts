import { describeError, SyncError } from "../errors/sync-error.js";
import type { Logger } from "../logging/logger.js";
import { type GroupRef, OPERATION_ORDER, type Plan, type PlanOperation, type UserRef } from "./plan/plan-model.js";
import type { MiDirectory } from "./ports/mi-directory.js";

/** What happened to one planned operation. */
export interface OperationResult {
  operation: PlanOperation;
  status: "applied" | "failed" | "skipped";
  /** Why it failed or was skipped; never holds a secret. */
  error?: string;
}

export type OperationStatus = OperationResult["status"];

/** Status codes, one byte per operation: 0 not settled, then the three statuses, then "skipped: MI unusable". */
const APPLIED = 1;
const FAILED = 2;
const SKIPPED = 3;
const NOT_ATTEMPTED = 4;
const CODES: Record<OperationStatus, number> = { applied: APPLIED, failed: FAILED, skipped: SKIPPED };
const NAMES: readonly (OperationStatus | undefined)[] = [undefined, "applied", "failed", "skipped", "skipped"];

/**
 * What happened to each operation of one plan, by the operation's index in `plan.operations`: one byte of status per
 * operation, and a message only for those that failed or were skipped (the operations not attempted after MI became
 * unusable share one). A large apply (hundreds of thousands of memberships) thus keeps about a byte per operation
 * instead of an object and a string each.
 */
export class OperationOutcomes {
  readonly #codes: Uint8Array;
  readonly #errors = new Map<number, string>();
  readonly #counts = [0, 0, 0, 0, 0];
  #notAttempted: string | undefined;

  constructor(readonly size: number) {
    this.#codes = new Uint8Array(size);
  }

  /** The outcomes of `plan` from a list of results in any order, each matched by its operation object. */
  static fromResults(plan: Plan, results: readonly OperationResult[]): OperationOutcomes {
    const outcomes = new OperationOutcomes(plan.operations.length);
    const position = new Map(plan.operations.map((o, i) => [o, i]));
    for (const r of results) {
      const index = position.get(r.operation);
      if (index !== undefined) outcomes.set(index, r.status, r.error);
    }
    return outcomes;
  }

  set(index: number, status: OperationStatus, error?: string): void {
    this.#code(index, CODES[status]);
    if (error !== undefined) this.#errors.set(index, error);
  }

  /** Marks an operation skipped because MI became unusable; `message` is kept once for all of them. */
  setNotAttempted(index: number, message: string): void {
    this.#code(index, NOT_ATTEMPTED);
    this.#notAttempted = message;
  }

  /** The operation's status; undefined when it was never settled. */
  status(index: number): OperationStatus | undefined {
    return NAMES[this.#codes[index] ?? 0];
  }

  /** Why it failed or was skipped. */
  error(index: number): string | undefined {
    return this.#codes[index] === NOT_ATTEMPTED ? this.#notAttempted : this.#errors.get(index);
  }

  /** How many operations ended with `status`. */
  count(status: OperationStatus): number {
    const code = CODES[status];
    return (this.#counts[code] ?? 0) + (code === SKIPPED ? (this.#counts[NOT_ATTEMPTED] ?? 0) : 0);
  }

  /** The results as objects, one per settled operation, in plan order. */
  toResults(plan: Plan): OperationResult[] {
    const results: OperationResult[] = [];
    plan.operations.forEach((operation, index) => {
      const status = this.status(index);
      if (status === undefined) return;
      const error = this.error(index);
      results.push({ operation, status, ...(error === undefined ? {} : { error }) });
    });
    return results;
  }

  #code(index: number, code: number): void {
    if (index < 0 || index >= this.size) throw new RangeError(`operation ${index} is not in the plan`);
    const previous = this.#codes[index] ?? 0;
    if (previous !== 0) this.#counts[previous] = (this.#counts[previous] ?? 1) - 1;
    this.#codes[index] = code;
    this.#counts[code] = (this.#counts[code] ?? 0) + 1;
    this.#errors.delete(index);
  }
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
  /** What happened to each operation, by its index in `plan.operations`. */
  outcomes: OperationOutcomes;
  /**
   * The same as one object per operation, in plan order; built on each access (`outcomes` is the compact form, for
   * large plans).
   */
  readonly results: OperationResult[];
  /** MI ids of the users this apply created, by Entra user id. */
  createdUsers: Map<string, string>;
  /** MI ids of the groups this apply created, by the planned name. */
  createdGroups: Map<string, string>;
  /** Set when MI became unusable (unreachable, credentials refused) and the rest of the plan was not attempted. */
  abortedBy?: SyncError;
}

/**
 * Applies a plan to MI, kind by kind in `OPERATION_ORDER` (updates wave by wave: see `sequenceEmailChanges`),
 * operations of one kind concurrently. Reads nothing but the
 * plan: no option reaches here. Every MI write is idempotent (see MiDirectory), so rerunning after a crash converges.
 * An operation whose dependency (a group or user created earlier in the plan) failed is skipped, not attempted.
 *
 * The operations stream through `concurrency` workers that each take the next operation of the kind when the previous
 * one settles: at most `concurrency` operations are in flight, and nothing is created per operation ahead of its turn
 * (a plan of several hundred thousand memberships holds a handful of promises, not one per operation).
 */
export async function applyPlan(plan: Plan, mi: MiDirectory, options: ApplyOptions): Promise<ApplyOutcome> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? mi.maxConcurrency));
  const operations = plan.operations;
  const total = operations.length;
  const outcomes = new OperationOutcomes(total);
  const createdGroups = new Map<string, string>();
  const createdUsers = new Map<string, string>();
  /** Entra ids of the users this apply's createUser made (not found already there): MI put them in its Default Group. */
  const madeHere = new Set<string>();
  let done = 0;
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
        const { user, created } = await mi.createUser(operation.user, call);
        createdUsers.set(operation.entraUserId, user.id);
        if (created && operation.user.addToDefaultGroup) madeHere.add(operation.entraUserId);
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
        // The creation made this membership, unless the user was there already (an earlier attempt's create).
        if (
          operation.by === "createUser" &&
          "entraUserId" in operation.user &&
          madeHere.has(operation.user.entraUserId)
        )
          return;
        await mi.addMember(required(groupId(operation.group), "group"), required(userId(operation.user), "user"), call);
        return;
      case "removeMember":
        return mi.removeMember(
          { id: operation.membershipId, groupId: operation.miGroupId, userId: operation.miUserId },
          call,
        );
    }
  };

  const settle = async (index: number, operation: PlanOperation): Promise<void> => {
    if (abortedBy) {
      outcomes.setNotAttempted(index, `not attempted: ${abortedBy.message}`);
    } else {
      try {
        await execute(operation);
        outcomes.set(index, "applied");
        options.logger.debug(`applied: ${describeOperation(operation)}`);
      } catch (error) {
        if (error instanceof MissingDependency) {
          outcomes.set(index, "skipped", error.message);
        } else {
          const message = describeError(error);
          outcomes.set(index, "failed", message);
          options.logger.warn(`${describeOperation(operation)}: ${message}`);
          if (error instanceof SyncError && (error.kind === "auth" || error.kind === "unavailable")) {
            abortedBy ??= error;
          }
        }
      }
    }
    done++;
    options.onProgress?.(done, total);
  };

  const waveOf = (operation: PlanOperation | undefined): number =>
    operation?.op === "updateUser" ? (operation.wave ?? 0) : 0;
  let lastWave = 0;
  for (const operation of operations) lastWave = Math.max(lastWave, waveOf(operation));
  for (const kind of OPERATION_ORDER) {
    for (let wave = 0; wave <= (kind === "updateUser" ? lastWave : 0); wave++) {
      // One cursor per kind and wave, shared by the workers: each takes the next such operation when it is free.
      let cursor = 0;
      const next = (): number => {
        while (cursor < total && (operations[cursor]?.op !== kind || waveOf(operations[cursor]) !== wave)) cursor++;
        return cursor < total ? cursor++ : -1;
      };
      const worker = async (): Promise<void> => {
        for (let index = next(); index >= 0; index = next()) await settle(index, operations[index] as PlanOperation);
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    }
  }
  const outcome: ApplyOutcome = {
    outcomes,
    get results() {
      return outcomes.toResults(plan);
    },
    createdUsers,
    createdGroups,
  };
  if (abortedBy) outcome.abortedBy = abortedBy;
  return outcome;
}

class MissingDependency extends Error {}

function required(id: string | undefined, what: "user" | "group"): string {
  if (id === undefined) throw new MissingDependency(`the ${what} it needs was not created`);
  return id;
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
