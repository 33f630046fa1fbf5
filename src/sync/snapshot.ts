import type { DirectoryGroup, DirectoryUser, MiGroup, MiMembership, MiUser } from "./model.js";

/** What a read of one Entra group's members produced. */
export interface GroupMembersRead {
  /** Entra ids of the users read (nested groups already flattened or dropped by the adapter). */
  userIds: string[];
  /** False when any page failed: the group's removals and all disables are then skipped (cli.md rule 16). */
  complete: boolean;
  /** Why the read is incomplete, for the summary. */
  error?: string;
}

/** Entra as read for one run. */
export interface EntraSnapshot {
  groups: DirectoryGroup[];
  /** By Entra group id; every group in `groups` has an entry. */
  members: Map<string, GroupMembersRead>;
  /** Every user read, by Entra id. */
  users: Map<string, DirectoryUser>;
}

/** MI as read for one run. */
export interface MiSnapshot {
  users: MiUser[];
  groups: MiGroup[];
  /** Membership rows by MI group id, for every existing MI group the run syncs (and the Default Group). */
  memberships: Map<string, MiMembership[]>;
  /** The MI username the API token acts as; that user is never modified. */
  actingUsername: string | undefined;
}
