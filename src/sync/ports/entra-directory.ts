import type { SyncError } from "../../errors/sync-error.js";
import type { DirectoryGroup, DirectoryUser } from "../model.js";

/** How group membership is read: `direct` members only, or `transitive` (members of nested groups too). */
export type MembershipMode = "direct" | "transitive";

/** Which Entra groups a run selects. Names and prefix compare case-insensitively. */
export interface GroupSelector {
  /** Exact display names (case-insensitive). Each must match exactly one group. */
  names: string[];
  /** Object ids (GUIDs). Each must exist. */
  ids: string[];
  /** Display-name prefix (`--filter`), case-insensitive. */
  prefix?: string;
}

/** A selector that did not resolve to exactly one group. */
export interface UnresolvedGroup {
  /** The name or id as the user gave it. */
  selector: string;
  problem: "not-found" | "ambiguous";
  /** For `ambiguous`: every group with that name. For `not-found`: close matches, possibly empty. */
  candidates: DirectoryGroup[];
}

export interface GroupResolution {
  /** Every group selected, deduplicated by id, in a stable order (display name, then id). */
  groups: DirectoryGroup[];
  unresolved: UnresolvedGroup[];
}

export interface ReadMembersOptions {
  membership: MembershipMode;
  /**
   * Attribute names to read for each user, as given in the options (`givenName`, `department`, `extensionAttribute3`,
   * a custom attribute name...). `id`, `userPrincipalName`, `mail` and `accountEnabled` are always read.
   */
  attributes: string[];
  /** App id (with or without dashes) owning the directory extensions that hold custom attributes. */
  customAttrAppId?: string;
  abortSignal?: AbortSignal;
}

/**
 * One page of a group's users. Nested groups and other non-user members are dropped by the adapter; with
 * `transitive` membership the users of nested groups appear here instead. A user may appear in several pages of
 * different groups. `last` marks the group's final page. A read that fails yields an `error` item for that group
 * (after the adapter's own retries) and nothing more for it: the group is then incomplete.
 */
export type GroupMembersPage =
  | { groupId: string; users: DirectoryUser[]; last: boolean }
  | { groupId: string; error: SyncError };

/**
 * The Entra side of the sync (Microsoft Graph through MSAL and graph-client). One production implementation:
 * `GraphEntraDirectory`. Throttling (429/503/504 with Retry-After) is handled inside; a thrown error means the
 * adapter gave up.
 */
export interface EntraDirectory {
  /** Resolves names, ids and a prefix to groups. Throws AuthError on refused credentials, ServiceError if unreachable. */
  resolveGroups(selector: GroupSelector, options?: { abortSignal?: AbortSignal }): Promise<GroupResolution>;

  /**
   * Reads the users of each group, page by page, as an async iterable. Pages of different groups may interleave (the
   * adapter batches first pages with JSON batching and follows next links concurrently).
   */
  listMembersOfGroups(groupIds: string[], options: ReadMembersOptions): AsyncIterable<GroupMembersPage>;
}
