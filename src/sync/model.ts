/**
 * The plain snapshots the engine works on. Adapters (src/entra, src/mi) turn wire formats into these types and
 * nothing else crosses the port boundary: MI's "Y"/"N" flags and string-or-number ids, Graph's @odata annotations and
 * extension property names all stop at the adapter.
 */

/** A value read from Entra for one requested attribute: unset is null; multi-valued attributes are arrays. */
export type AttributeValue = string | string[] | null;

/** An Entra user as the engine sees it. */
export interface DirectoryUser {
  /** Entra object id (GUID). Stable across renames. */
  id: string;
  userPrincipalName: string;
  /** `mail`, null for users without a mailbox. */
  mail: string | null;
  /** False for a disabled account. Disabled accounts are never added to MI. */
  accountEnabled: boolean;
  /**
   * Values of the attributes the run asked for, keyed by the attribute name exactly as given in the options
   * (`givenName`, `department`, `extensionAttribute3`, a custom attribute `costCenter`...). The Entra adapter resolves
   * where each one lives in Graph (`onPremisesExtensionAttributes`, `extension_<appId>_<name>`). A requested attribute
   * that is unset is present with value null.
   */
  attributes: Record<string, AttributeValue>;
}

/** An Entra group selected for sync. */
export interface DirectoryGroup {
  /** Entra object id (GUID). */
  id: string;
  displayName: string;
}

/** MI's three user types, as MI's API spells them. The CLI's `power_user` maps to `power`. */
export type MiUserType = "regular" | "power" | "administrator";

/** Values MI holds for a user beyond the standard profile; written and read through one unverified MI method. */
export interface MiUserExtras {
  /** Custom attribute values keyed by the attribute's External ID. Only the keys a run manages are compared. */
  customAttributes: Record<string, string | null>;
  /** The trusted-server username, when the run manages it. */
  trustedServerUsername?: string | null;
}

export interface MiUser {
  /** MI user id, normalised to a string. */
  id: string;
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  type: MiUserType;
  enabled: boolean;
  /** What MI returned of the extras; undefined when MI's user listing does not expose them. */
  extras?: MiUserExtras;
}

export interface MiGroup {
  /** MI group id, normalised to a string. */
  id: string;
  name: string;
}

/** One row of MI's `user_group_member`: the row id is what a removal needs. */
export interface MiMembership {
  id: string;
  userId: string;
  groupId: string;
}
