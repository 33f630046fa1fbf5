import type { MiUserExtras } from "../model.js";
import type { MiUserPatch, NewMiUser } from "../ports/mi-directory.js";
import type { PlanScope } from "./plan-scope.js";

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
 * | addMember         | membership absent before, present after; `by: "createUser"`: the    |
 * |                   | user's creation puts it there (MI's Default Group), apply checks it |
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
      /** Updates run in waves (absent: 0): one that takes an email another gives up runs after it. */
      wave?: number;
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
  | {
      op: "addMember";
      group: GroupRef;
      user: UserRef;
      groupName: string;
      username: string;
      reason: string;
      /** Set when the createUser of this user makes the membership (MI's Default Group): no request of its own. */
      by?: "createUser";
    }
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
  // Updates before creates: an email a matched user gives up is free before a new user takes it.
  "updateUser",
  "enableUser",
  "createUser",
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

/**
 * Why the plan leaves a user (or one of its memberships) as it is where a reader might expect a change: a rule that
 * holds it, said where the rule is applied. For explanations only (`explain`, the status page); apply never reads it.
 */
export interface PlanNote {
  /**
   * Stable code: `disabled-in-entra`, `not-selected` (`--process-users`), `acting-user`, `administrator`,
   * `held-by-problem` (a user that could not be written keeps its MI account's memberships), `not-created`
   * (`--auto-create groups`).
   */
  code: string;
  /** The MI username (the mapped one for a user MI lacks). */
  username: string;
  entraUserId?: string;
  miUserId?: string;
  /** The MI group, when the rule is about a membership. */
  groupName?: string;
  message: string;
}

/**
 * What the plan knows of one Entra user it processed: the identity facts the live path keeps between runs (its user
 * ledger), so that a later plan limited to a few users can find every other user that claims the same MI account.
 */
export interface PlannedIdentity {
  entraUserId: string;
  /** The MI username and email the user maps to, as mapped (empty when the attribute is unset). */
  username: string;
  email: string;
  /**
   * True for an enabled user with a username: it claims that username and that email, whether or not it won them
   * (cli.md rules 1 and 4 decide between claimants). A disabled user claims nothing: it is never written.
   */
  claims: boolean;
  /** The MI user it is, when it won the match; undefined otherwise (a user the plan creates gets its id in apply). */
  miUserId: string | undefined;
}

export interface Plan {
  command: "provision" | "deprovision";
  /** What the snapshot covered (see PlanScope). */
  scope: PlanScope;
  operations: PlanOperation[];
  problems: PlanProblem[];
  warnings: string[];
  /**
   * Memberships held before the run by every MI group this run syncs: the base of `--max-removals N%`. Undefined when
   * the snapshot cannot tell (scope `users` reads the rows of some users only).
   */
  managedMemberships: number | undefined;
  /** Membership removals plus user disables: what `--max-removals` limits. */
  removals: number;
  /** MI groups this run synced, with their Entra sources; for summaries. */
  groups: { name: string; miGroupId: string | undefined; entraGroupIds: string[]; complete: boolean }[];
  /** Users considered, for summaries. */
  usersConsidered: number;
  /** Every Entra user processed, with what it claims and the MI user it matched. */
  identities: PlannedIdentity[];
  /** Why users or memberships are left as they are (for explanations; absent in plans built by hand). */
  notes?: PlanNote[];
}
