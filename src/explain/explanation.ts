import type { AuditEntry } from "../audit/audit-entry.js";
import type { AuditLog } from "../audit/audit-log.js";
import type { EntraChangeFeed } from "../entra/entra-change-feed.js";
import type { Logger } from "../logging/logger.js";
import type { SyncStateStore } from "../state/sync-state-store.js";
import type { PlanOperationKind } from "../sync/plan/plan-model.js";
import type { EntraDirectory, GroupSelector } from "../sync/ports/entra-directory.js";
import type { MiDirectory } from "../sync/ports/mi-directory.js";
import type { SyncOptions } from "../sync/sync-options.js";

/**
 * What `explain` reads: both directories live, the sync as configured, and (in the app, or the CLI given the app's
 * storage) the user ledger, subscriptions, delta chains and the audit trail. It writes nothing anywhere.
 */
export interface ExplainDeps {
  entra: EntraDirectory & Pick<EntraChangeFeed, "readUserContext">;
  mi: MiDirectory;
  selector: GroupSelector;
  options: SyncOptions;
  /**
   * How a user's plan is read. `ledger` (the app): the user, and every other Entra user the user ledger says claims
   * one of its names, as the live path plans a change of that user; a few requests. `full` (the command line, which
   * has no ledger of its own): every synced group whole, as `provision --dry-run`.
   */
  userPlan: "ledger" | "full";
  logger: Logger;
  /** The app's state: the user ledger (`userPlan: "ledger"`), and a group's subscription and delta chain. */
  state?: Pick<SyncStateStore, "getUserEntries" | "findClaimants" | "listSubscriptions" | "listDeltaChains">;
  audit?: AuditLog;
  now: () => Date;
}

/** An operation a sync would run now, with the planner's reason. */
export interface PendingOperation {
  op: PlanOperationKind;
  description: string;
  reason: string;
}

/** Something planning knows it cannot do (a name clash, a failed read), from the plan's problems. */
export interface ExplainedProblem {
  code: string;
  message: string;
}

/** A rule that leaves something as it is, from the plan's notes. */
export interface ExplainedNote {
  code: string;
  message: string;
  group?: string;
}

/** What every explanation carries: the answer in sentences first, then the plan's own words. */
interface ExplanationBase {
  query: string;
  generatedAt: string;
  /** Plain sentences, the answer first. */
  summary: string[];
  /** What a sync would do now, in plan order. */
  operations: PendingOperation[];
  problems: ExplainedProblem[];
  notes: ExplainedNote[];
  warnings: string[];
  /** The newest audit entries; null when no trail was given (the note says why). */
  audit: AuditEntry[] | null;
  auditNote?: string;
}

export interface UserExplanation extends ExplanationBase {
  kind: "user";
  entra: { id: string; userPrincipalName: string; mail: string | null; accountEnabled: boolean } | null;
  /**
   * The synced Entra groups holding the user, directly or through nesting; `counts` is whether the sync's membership
   * mode counts it (nested ones count only with --process-child-groups); `miGroup` is the MI group it lands in.
   */
  syncedGroups: { id: string; name: string; via: "direct" | "nested"; counts: boolean; miGroup: string }[];
  /** The MI account the user is (or, when no Entra user was found, the one the query names). */
  mi: { id: string; username: string; email: string; type: string; enabled: boolean } | null;
  miMemberships: { groupId: string; name: string; synced: boolean }[];
  /** Why the user is (or is not) in each MI group it is, or should be, in: Entra's side, MI's side, the plan's word. */
  groups: {
    group: string;
    inEntra: "direct" | "nested" | "nested, not counted" | "no";
    inMi: boolean;
    verdict: string;
  }[];
  /** Other Entra users the plan weighed because they claim the same username or email. */
  alsoWeighed: string[];
}

export interface GroupExplanation extends ExplanationBase {
  kind: "group";
  /** Whether the group is one of those the sync selects. */
  synced: boolean;
  /** The Entra groups that land in this MI group (one, unless names repeat or --target-group). */
  entraGroups: { id: string; name: string }[];
  miGroup: { name: string; id?: string; exists: boolean };
  /** Entra: users of those groups as the sync reads them; MI: rows of the MI group. */
  counts: { entraUsers: number; entraEnabled: number; miMembers: number };
  subscription: { resource: string; expires: string; hoursLeft: number } | null;
  chain: { chainId: string; groupCount: number; deltaLinkAgeHours: number | "none yet"; updatedAt: string } | null;
}

export interface NothingFound extends ExplanationBase {
  kind: "none";
}

export type Explanation = UserExplanation | GroupExplanation | NothingFound;
