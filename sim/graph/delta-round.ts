import type { DeltaState } from "./delta-token.js";
import type { DirectoryChange, MemberKind, RemovalReason } from "./directory-types.js";
import { projectGroup, projectUser } from "./project-object.js";
import type { SimContext } from "./sim-context.js";

/** A direct-member reference in `members@delta`: only `@odata.type` and `id` (contract §2). */
export interface MemberRef {
  kind: MemberKind;
  id: string;
  removed: boolean;
}

/** One object of a delta round, before `members@delta` is sliced into pages. */
export interface DeltaObject {
  id: string;
  body: Record<string, unknown>;
  /** `undefined`: no `members@delta` property. */
  members?: MemberRef[];
}

/**
 * The initial round: every current object (filtered by id) with all selected properties and, for groups, every
 * direct member; plus deleted objects as `@removed` and past membership removals as `@removed` members — Graph's
 * initial rounds contain both (contract §2, docs-contrib#6124). A group without members has no `members@delta`.
 */
export function initialRound(ctx: SimContext, state: DeltaState): DeltaObject[] {
  const wanted = (id: string) => state.ids === null || state.ids.includes(id);
  const directory = ctx.directory;
  const objects: DeltaObject[] = [];
  if (state.resource === "users") {
    for (const user of directory.listUsers()) {
      if (wanted(user.id)) objects.push({ id: user.id, body: userBody(user.id, ctx, state) });
    }
  } else {
    const pastRemovals = removedMembersByGroup(directory.changesSince(0));
    for (const group of directory.listGroups()) {
      if (!wanted(group.id)) continue;
      const object: DeltaObject = { id: group.id, body: groupBody(group.id, ctx, state) };
      if (tracksMembers(state)) {
        const current = directory.membersOf(group.id);
        const currentIds = new Set(current.map((member) => member.id));
        const removed = [...(pastRemovals.get(group.id) ?? new Map<string, MemberKind>())]
          .filter(([id]) => !currentIds.has(id))
          .map(([id, kind]) => ({ id, kind, removed: true }));
        const members = [...current.map((member) => ({ ...member, removed: false })), ...removed];
        if (members.length > 0) object.members = members;
      }
      objects.push(object);
    }
  }
  for (const [id, reason] of directory.tombstones(state.resource === "users" ? "user" : "group")) {
    if (wanted(id)) objects.push(removedObject(id, reason));
  }
  return objects;
}

/**
 * The changes from `state.seq` (exclusive) to `upToSeq` (inclusive), netted per object and per member. An object
 * whose change touches no selected property does not appear (contract §2: "a change to a property not in $select
 * does not surface the object at all"); updated objects repeat all selected properties.
 */
export function changesRound(ctx: SimContext, state: DeltaState, upToSeq: number, replay = 0): DeltaObject[] {
  const directory = ctx.directory;
  const wanted = (id: string) => state.ids === null || state.ids.includes(id);
  const touched = new Map<string, { changed: boolean; removed?: RemovalReason; members: Map<string, MemberRef> }>();
  const entry = (id: string) => {
    let found = touched.get(id);
    if (!found) {
      found = { changed: false, members: new Map() };
      touched.set(id, found);
    }
    return found;
  };
  const replayed =
    replay > 0 ? directory.changesSince(Math.max(0, state.seq - replay)).filter((c) => c.seq <= state.seq) : [];
  for (const change of [...directory.changesSince(state.seq).filter((c) => c.seq <= upToSeq), ...replayed]) {
    if (state.resource === "users") {
      if (change.kind === "userUpserted" && wanted(change.userId) && selects(state, change.properties)) {
        entry(change.userId).changed = true;
      } else if (change.kind === "userRemoved" && wanted(change.userId)) {
        entry(change.userId).removed = change.reason;
      }
      continue;
    }
    if (change.kind === "groupUpserted" && wanted(change.groupId) && selects(state, change.properties)) {
      entry(change.groupId).changed = true;
    } else if (change.kind === "groupRemoved" && wanted(change.groupId)) {
      entry(change.groupId).removed = change.reason;
    } else if ((change.kind === "memberAdded" || change.kind === "memberRemoved") && wanted(change.groupId)) {
      if (!tracksMembers(state)) continue;
      if (change.causedByUserDeletion && ctx.settings.hideMembershipRemovalsOfDeletedUsers) continue;
      entry(change.groupId).members.set(change.memberId, {
        id: change.memberId,
        kind: change.memberKind,
        removed: change.kind === "memberRemoved",
      });
    }
  }

  const objects: DeltaObject[] = [];
  const exists = (id: string) =>
    state.resource === "users" ? directory.getUser(id) !== undefined : directory.getGroup(id) !== undefined;
  for (const [id, change] of touched) {
    if (!exists(id)) {
      if (change.removed) objects.push(removedObject(id, change.removed));
      continue;
    }
    if (state.resource === "users") {
      objects.push({ id, body: userBody(id, ctx, state) });
      continue;
    }
    const object: DeltaObject = { id, body: groupBody(id, ctx, state) };
    if (change.members.size > 0) object.members = [...change.members.values()];
    objects.push(object);
  }
  return objects;
}

function removedObject(id: string, reason: RemovalReason): DeltaObject {
  return { id, body: { id, "@removed": { reason } } };
}

function tracksMembers(state: DeltaState): boolean {
  // Without $select, members@delta is included by default (delta-query-groups.md, contract §2).
  return state.select === null || state.select.includes("members");
}

/** Whether a change to `properties` is visible under the token's `$select` (`id` always is: a new object). */
function selects(state: DeltaState, properties: string[]): boolean {
  if (state.select === null) return true;
  const selected = new Set(["id", ...state.select].map((name) => name.toLowerCase()));
  return properties.some((name) => selected.has(name.toLowerCase()));
}

function propertySelect(state: DeltaState): string[] | undefined {
  return state.select === null
    ? undefined
    : ["id", ...state.select.filter((name) => name !== "members" && name !== "id")];
}

function groupBody(id: string, ctx: SimContext, state: DeltaState): Record<string, unknown> {
  const group = ctx.directory.getGroup(id);
  return group ? projectGroup(group, propertySelect(state)) : { id };
}

function userBody(id: string, ctx: SimContext, state: DeltaState): Record<string, unknown> {
  const user = ctx.directory.getUser(id);
  if (!user) return { id };
  const body = projectUser(user, propertySelect(state));
  return { ...body, id };
}

function removedMembersByGroup(changes: DirectoryChange[]): Map<string, Map<string, MemberKind>> {
  const result = new Map<string, Map<string, MemberKind>>();
  for (const change of changes) {
    if (change.kind !== "memberRemoved") continue;
    const removed = result.get(change.groupId) ?? new Map<string, MemberKind>();
    removed.set(change.memberId, change.memberKind);
    result.set(change.groupId, removed);
  }
  return result;
}
