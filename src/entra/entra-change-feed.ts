import type { DirectoryUser } from "../sync/model.js";

/** What one group's entries in a delta round said. Several pages about one group are merged by the adapter. */
export interface GroupDeltaChange {
  groupId: string;
  /** Set when the group itself was deleted (`changed`: soft-deleted, `deleted`: gone). */
  removed?: "changed" | "deleted";
  /** Direct user members added / removed in this round (`members@delta`, users only). */
  usersAdded: string[];
  usersRemoved: string[];
  /** Nested groups added or removed as direct members (matters with transitive membership). */
  groupsChanged: string[];
}

/** What one user's entry in a users delta round said. */
export interface UserDeltaChange {
  userId: string;
  /** Set when the user was deleted (`changed`: soft-deleted, `deleted`: gone). */
  removed?: "changed" | "deleted";
  /** The user's selected properties, when not removed. */
  user?: DirectoryUser;
}

/** What the live path's fast path asks Graph about membership changes (see `readChangeContext`). */
export interface ChangeContextInput {
  /** The groups the changes are in. */
  groupIds: readonly string[];
  /** Users to read (the ones added), each once. */
  userIds: readonly string[];
  attributes: readonly string[];
  customAttrAppId?: string;
  /** Also read, for each group, the groups that contain it and whether it holds groups (transitive membership). */
  nesting: boolean;
  abortSignal?: AbortSignal;
}

/** Where a group stands among groups. `complete` is false when a list had further pages (not read) or it is gone. */
export interface GroupNesting {
  ancestors: string[];
  hasNestedGroups: boolean;
  complete: boolean;
}

export interface ChangeContext {
  /** Each user asked for, as member reads build it; `null` when Graph no longer has the user. */
  users: Map<string, DirectoryUser | null>;
  /** With `nesting`: by group id (lowercase). */
  nesting: Map<string, GroupNesting>;
}

export interface DeltaRound<T> {
  changes: T[];
  /** The new `@odata.deltaLink`, to store once the changes are applied. */
  deltaLink: string;
}

/**
 * Graph delta queries for the live path. One production implementation: `GraphEntraDirectory`.
 * `start: "latest"` asks for `$deltatoken=latest` (a link, no data: "sync from now"); `start: "full"` runs the
 * initial round over every page. Expired or reset delta state throws `DeltaResetError` (delta-reset-error.ts).
 */
export interface EntraChangeFeed {
  readGroupDelta(input: {
    /** Up to 50 group ids (Graph's limit for `$filter=id eq ... or ...`). Ignored when `deltaLink` is given. */
    groupIds: string[];
    deltaLink?: string;
    start?: "latest" | "full";
    abortSignal?: AbortSignal;
  }): Promise<DeltaRound<GroupDeltaChange>>;

  readUserDelta(input: {
    attributes: string[];
    customAttrAppId?: string;
    deltaLink?: string;
    start?: "latest" | "full";
    abortSignal?: AbortSignal;
  }): Promise<DeltaRound<UserDeltaChange>>;

  /**
   * Ids (lowercase) of every group that contains this group, directly or through nesting
   * (`GET /groups/{id}/transitiveMemberOf/microsoft.graph.group?$select=id&$top=999`, all pages).
   * A group that no longer exists yields an empty list.
   */
  listAncestorGroups(groupId: string, options?: { abortSignal?: AbortSignal }): Promise<string[]>;

  /**
   * The users named by a membership change and (with `nesting`) the group's place among groups, in one `$batch`
   * request for up to 20 inner requests: what the live path's fast path reads instead of the whole group.
   */
  readChangeContext(input: ChangeContextInput): Promise<ChangeContext>;
}
