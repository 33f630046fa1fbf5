import type { MiUserExtras } from "./model.js";
import type { MiUserPatch, NewMiUser } from "./ports/mi-directory.js";

/**
 * A plan is ordered, JSON-serialisable data: what apply will do, why, and what planning already knows went wrong.
 * `reason` fields explain a change to people; apply never reads them.
 */

/** A user an operation acts on: one that exists in MI, or one the plan creates (named by its Entra id). */
export type UserRef = { miUserId: string } | { entraUserId: string };
/** A group an operation acts on: one that exists in MI, or one the plan creates (named by its MI name). */
export type GroupRef = { miGroupId: string } | { newGroupName: string };

/**
 * The operations, in the order apply runs them.
 *
 * | op                | before / after                                                      |
 * |-------------------|---------------------------------------------------------------------|
 * | createGroup       | no before; `name` is the group to create                           |
 * | createUser        | no before; `user` is the profile to create                          |
 * | updateUser        | `before` holds the MI values of the fields in `after`               |
 * | enableUser        | MI user disabled before, enabled after                              |
 * | setUserExtras     | `after` holds the managed extras; `before` what MI showed (if any)  |
 * | addMember         | membership absent before, present after                             |
 * | removeMember      | membership row `membershipId` present before, absent after          |
 * | disableUser       | MI user enabled before, disabled after                              |
 */
export type PlanOperation =
  | { op: "createGroup"; name: string; entraGroupIds: string[]; reason: string }
  | { op: "createUser"; entraUserId: string; user: NewMiUser; reason: string }
  | {
      op: "updateUser";
      miUserId: string;
      username: string;
      entraUserId: string;
      before: MiUserPatch;
      after: MiUserPatch;
      reason: string;
    }
  | { op: "enableUser"; miUserId: string; username: string; reason: string }
  | {
      op: "setUserExtras";
      user: UserRef;
      username: string;
      before: MiUserExtras | undefined;
      after: MiUserExtras;
      reason: string;
    }
  | { op: "addMember"; group: GroupRef; user: UserRef; groupName: string; username: string; reason: string }
  | {
      op: "removeMember";
      membershipId: string;
      miGroupId: string;
      miUserId: string;
      groupName: string;
      username: string;
      reason: string;
    }
  | { op: "disableUser"; miUserId: string; username: string; reason: string };

export type PlanOperationKind = PlanOperation["op"];

/** The order apply runs the kinds in; operations of one kind are independent of each other. */
export const OPERATION_ORDER: readonly PlanOperationKind[] = [
  "createGroup",
  "createUser",
  "updateUser",
  "enableUser",
  "setUserExtras",
  "addMember",
  "removeMember",
  "disableUser",
];

/** Something planning knows cannot be done, reported as a failure (the run exits 1). */
export interface PlanProblem {
  /** Stable code: `read-incomplete`, `duplicate-email`, `duplicate-username`, `missing-username`... */
  code: string;
  /** What was affected: a group name or a username. */
  subject: string;
  message: string;
}

export interface Plan {
  command: "provision" | "deprovision";
  operations: PlanOperation[];
  problems: PlanProblem[];
  warnings: string[];
  /** Memberships held before the run by every MI group this run syncs: the base of `--max-removals N%`. */
  managedMemberships: number;
  /** Membership removals plus user disables: what `--max-removals` limits. */
  removals: number;
  /** MI groups this run synced, with their Entra sources; for summaries. */
  groups: { name: string; miGroupId: string | undefined; entraGroupIds: string[]; complete: boolean }[];
  /** Users considered, for summaries. */
  usersConsidered: number;
  /** Entra users matched to existing MI users, for the id map. Users the plan creates are in apply's results. */
  matches: { entraUserId: string; miUserId: string; username: string }[];
}
