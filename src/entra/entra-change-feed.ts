import type { DirectoryGroup, DirectoryUser } from "../sync/model.js";
import type { MembershipMode } from "../sync/ports/entra-directory.js";

/** What one group's entries in a delta round said. Several pages about one group are merged by the adapter. */
export interface GroupDeltaChange {
  groupId: string;
  /** Set when the group itself was deleted (`changed`: soft-deleted, `deleted`: gone). */
  removed?: "changed" | "deleted";
  /** The group's display name, when the round gave it. */
  displayName?: string;
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

/** What a sync limited to some users asks Graph (see `readUserContext`). */
export interface UserContextInput {
  userIds: readonly string[];
  attributes: readonly string[];
  customAttrAppId?: string;
  /** `transitive`: the groups holding each user through nesting too. */
  membership: MembershipMode;
  abortSignal?: AbortSignal;
}

/** One user as Graph has it now, and the groups holding it. */
export interface UserContext {
  /** `null` when Graph no longer has the user (deleted or soft-deleted). */
  user: DirectoryUser | null;
  /** Every group holding the user (ids lowercase, with current names); empty for a user Graph no longer has. */
  groups: DirectoryGroup[];
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
   * Each user and every group holding it, in one `$batch` per 10 users: what a sync limited to some users reads
   * instead of whole groups. Throws UserGroupsUnsupportedError where Graph lists no user's groups.
   */
  readUserContext(input: UserContextInput): Promise<Map<string, UserContext>>;
}
