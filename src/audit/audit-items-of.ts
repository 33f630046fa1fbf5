import type { PlanOperation, UserRef } from "../sync/plan/plan-model.js";
import type { SyncResult } from "../sync/sync-result.js";
import type { AuditGroup, AuditItem, AuditUser } from "./audit-entry.js";

/**
 * The trail's items of one applied (or refused) plan, in plan order: each operation apply settled, with its status,
 * then each plan problem (as `failed`). Users carry every id the run knew (the MI id apply created included); groups
 * their MI id. Built one at a time: an initial sync of a large tenant has hundreds of thousands.
 */
export function* auditItemsOf(result: SyncResult): Generator<AuditItem> {
  const ids = idsOf(result);
  const refused =
    result.outcome === "refused"
      ? `refused by --max-removals: ${result.verdict.removals} removals and disables, limit ${result.verdict.limit}`
      : undefined;
  for (const reported of result.reportedOperations()) {
    if (reported.status === "planned") continue;
    const error = reported.error ?? refused;
    yield {
      op: reported.op,
      status: reported.status,
      reason: reported.reason,
      description: reported.description,
      ...(error === undefined ? {} : { error }),
      ...subjectsOf(reported.detail, ids),
    };
  }
  for (const problem of result.plan.problems) {
    // A problem names a group (a failed read) or a user (its mapped username, or its Entra id when it has none).
    const entraId = /^Entra user (\S+)$/.exec(problem.subject)?.[1];
    const subject =
      problem.code === "read-incomplete"
        ? { group: { name: problem.subject } }
        : { user: entraId ? { name: problem.subject, entraUserId: entraId } : { name: problem.subject } };
    yield {
      op: "problem",
      status: "failed",
      reason: problem.message,
      description: problem.message,
      code: problem.code,
      ...subject,
    };
  }
}

interface KnownIds {
  entraByMi: Map<string, string>;
  miByEntra: Map<string, string>;
  groups: Map<string, string>;
}

function idsOf(result: SyncResult): KnownIds {
  const entraByMi = new Map<string, string>();
  const miByEntra = new Map<string, string>();
  for (const pair of result.userIds) {
    entraByMi.set(pair.miUserId, pair.entraUserId);
    miByEntra.set(pair.entraUserId, pair.miUserId);
  }
  return { entraByMi, miByEntra, groups: result.groupIds };
}

function userOf(name: string, ref: UserRef, ids: KnownIds): AuditUser {
  const miUserId = "miUserId" in ref ? ref.miUserId : ids.miByEntra.get(ref.entraUserId);
  const entraUserId = "entraUserId" in ref ? ref.entraUserId : ids.entraByMi.get(ref.miUserId);
  return {
    name,
    ...(miUserId === undefined ? {} : { miUserId }),
    ...(entraUserId === undefined ? {} : { entraUserId }),
  };
}

function groupOf(name: string, miGroupId: string | undefined): AuditGroup {
  return miGroupId === undefined ? { name } : { name, miGroupId };
}

function subjectsOf(operation: PlanOperation, ids: KnownIds): { user?: AuditUser; group?: AuditGroup } {
  switch (operation.op) {
    case "createGroup":
      return { group: groupOf(operation.name, ids.groups.get(operation.name)) };
    case "createUser":
      return { user: userOf(operation.user.username, { entraUserId: operation.entraUserId }, ids) };
    case "updateUser":
      // A renamed user is found under its new name.
      return { user: userOf(operation.after.username ?? operation.username, { miUserId: operation.miUserId }, ids) };
    case "enableUser":
    case "disableUser":
      return { user: userOf(operation.username, { miUserId: operation.miUserId }, ids) };
    case "setUserExtras":
      return { user: userOf(operation.username, operation.user, ids) };
    case "addMember": {
      const group = operation.group;
      const miGroupId = "miGroupId" in group ? group.miGroupId : ids.groups.get(group.newGroupName);
      return { user: userOf(operation.username, operation.user, ids), group: groupOf(operation.groupName, miGroupId) };
    }
    case "removeMember":
      return {
        user: userOf(operation.username, { miUserId: operation.miUserId }, ids),
        group: groupOf(operation.groupName, operation.miGroupId),
      };
  }
}
