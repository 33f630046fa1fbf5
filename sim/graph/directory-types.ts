/** The 15 `onPremisesExtensionAttributes` keys; Graph always returns all of them, unset ones as `null` (contract §1.3). */
export const EXTENSION_ATTRIBUTE_KEYS = [
  "extensionAttribute1",
  "extensionAttribute2",
  "extensionAttribute3",
  "extensionAttribute4",
  "extensionAttribute5",
  "extensionAttribute6",
  "extensionAttribute7",
  "extensionAttribute8",
  "extensionAttribute9",
  "extensionAttribute10",
  "extensionAttribute11",
  "extensionAttribute12",
  "extensionAttribute13",
  "extensionAttribute14",
  "extensionAttribute15",
] as const;

export type ExtensionAttributeKey = (typeof EXTENSION_ATTRIBUTE_KEYS)[number];

/** `onPremisesExtensionAttributes`: every key present, each a string or `null`. */
export type OnPremisesExtensionAttributes = Record<ExtensionAttributeKey, string | null>;

/** A directory-extension value; multi-valued extensions are string arrays (contract §1.3). */
export type ExtensionValue = string | string[] | number | boolean;

/** A user as the simulator stores it. Serialisation to Graph JSON applies `$select` and default-property rules. */
export interface SimUser {
  id: string;
  userPrincipalName: string;
  displayName: string | null;
  givenName: string | null;
  surname: string | null;
  /** `null` for users without a mailbox. */
  mail: string | null;
  /** Not a default property: returned only when selected (contract §1.3). */
  accountEnabled: boolean;
  userType: "Member" | "Guest";
  department: string | null;
  jobTitle: string | null;
  companyName: string | null;
  officeLocation: string | null;
  city: string | null;
  country: string | null;
  employeeType: string | null;
  mobilePhone: string | null;
  businessPhones: string[];
  preferredLanguage: string | null;
  onPremisesExtensionAttributes: OnPremisesExtensionAttributes;
  /**
   * Directory extensions keyed by full name `extension_<appIdWithoutDashes>_<name>`. Returned only when selected and
   * set; an unset extension is omitted, never `null` (contract §1.3).
   */
  extensions: Record<string, ExtensionValue>;
}

/** A group as the simulator stores it. Members are kept by the directory, not on the group. */
export interface SimGroup {
  id: string;
  displayName: string;
  description: string | null;
  mail: string | null;
  mailEnabled: boolean;
  mailNickname: string;
  securityEnabled: boolean;
  groupTypes: string[];
  visibility: string | null;
  createdDateTime: string;
}

/** What `addUser` accepts: everything but the UPN is optional; the id defaults to a random GUID. */
export type NewSimUser = Partial<Omit<SimUser, "onPremisesExtensionAttributes">> & {
  userPrincipalName: string;
  onPremisesExtensionAttributes?: Partial<OnPremisesExtensionAttributes>;
};

/** What `updateUser` accepts. `extensions` entries set to `null` delete the extension (Graph semantics). */
export type SimUserPatch = Partial<Omit<SimUser, "id" | "onPremisesExtensionAttributes" | "extensions">> & {
  onPremisesExtensionAttributes?: Partial<OnPremisesExtensionAttributes>;
  extensions?: Record<string, ExtensionValue | null>;
};

export type NewSimGroup = Partial<SimGroup> & { displayName: string };
export type SimGroupPatch = Partial<Omit<SimGroup, "id" | "createdDateTime">>;

/** A directory to start from: users, groups and memberships (`members` entries are user or group ids). */
export interface SimDirectorySeed {
  users?: NewSimUser[];
  groups?: Array<NewSimGroup & { members?: string[] }>;
}

/** Kind of a member reference, as Graph types it in `@odata.type`. */
export type MemberKind = "user" | "group";

/** Why an object left a delta: `changed` = soft-deleted (restorable), `deleted` = permanently gone (contract §2). */
export type RemovalReason = "changed" | "deleted";

/**
 * One entry of the directory's change log; delta rounds are computed from it. `seq` grows by one per entry, `at` is
 * the simulator clock when the change happened.
 */
export type DirectoryChange =
  | { seq: number; at: number; kind: "userUpserted"; userId: string; properties: string[] }
  | { seq: number; at: number; kind: "userRemoved"; userId: string; reason: RemovalReason }
  | { seq: number; at: number; kind: "groupUpserted"; groupId: string; properties: string[] }
  | { seq: number; at: number; kind: "groupRemoved"; groupId: string; reason: RemovalReason }
  | {
      seq: number;
      at: number;
      kind: "memberAdded" | "memberRemoved";
      groupId: string;
      memberId: string;
      memberKind: MemberKind;
      /** True when the removal was a side effect of deleting the member user. */
      causedByUserDeletion: boolean;
    };
