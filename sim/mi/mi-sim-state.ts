/**
 * The MI simulator's data: users, groups and membership rows, with MI's rules (unique username, email and group name,
 * case-insensitively, as MySQL's default collation compares them). Tests read and seed it in-process; the HTTP layer
 * (`mi-sim-routes.ts`) goes through the same methods. Every getter returns copies.
 */
import type { MiUserType } from "../../src/sync/model.js";

export interface SimUser {
  id: string;
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  type: MiUserType;
  enabled: boolean;
  ldap: boolean;
  /** Custom attribute values by External ID (see `src/mi/user-extras-wire.ts`: an unverified guess). */
  customAttributes: Record<string, string>;
  trustedServerUsername: string | null;
}

export interface SimGroup {
  id: string;
  name: string;
  description: string;
  allAccess: boolean;
  ldapOrganizationalUnit: string | null;
  externalGroupId: string | null;
}

export interface SimMembership {
  id: string;
  userId: string;
  groupId: string;
}

export interface NewSimUser {
  username: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  type?: MiUserType;
  enabled?: boolean;
}

/** The seeded Default Group's id on a fresh install (the contract's §2.1 sample). It may be deleted like any group. */
export const defaultGroupIdOnInstall = "1";

function lower(value: string): string {
  return value.toLowerCase();
}

export class MiSimState {
  readonly #users = new Map<string, SimUser>();
  readonly #groups = new Map<string, SimGroup>();
  readonly #memberships = new Map<string, SimMembership>();
  // Indexes, so that the simulator stays fast at benchmark sizes (100,000 users, 400,000 rows). Values are id sets:
  // updateUser leaves uniqueness to the caller, so two users may briefly share a key.
  readonly #byUsername = new Map<string, Set<string>>();
  readonly #byEmail = new Map<string, Set<string>>();
  readonly #byGroupName = new Map<string, Set<string>>();
  readonly #rowByPair = new Map<string, string>();
  readonly #rowsByGroup = new Map<string, Set<string>>();
  readonly #rowsByUser = new Map<string, Set<string>>();
  #nextUserId = 1;
  #nextGroupId = 1;
  #nextMembershipId = 1;

  constructor(adminUsername: string) {
    const group = this.addGroup("Default Group", { description: "Default Group - privileges accessible to all users" });
    const admin = this.addUser({
      username: adminUsername,
      email: `${adminUsername}@mi.example`,
      type: "administrator",
    });
    this.addMembership(admin.id, group.id);
  }

  users(): SimUser[] {
    return [...this.#users.values()].map(copyUser);
  }

  groups(): SimGroup[] {
    return [...this.#groups.values()].map((group) => ({ ...group }));
  }

  memberships(): SimMembership[] {
    return [...this.#memberships.values()].map((row) => ({ ...row }));
  }

  userById(id: string): SimUser | undefined {
    const user = this.#users.get(id);
    return user === undefined ? undefined : copyUser(user);
  }

  /** Case-insensitive. */
  userByUsername(username: string): SimUser | undefined {
    const user = this.#users.get(first(this.#byUsername.get(lower(username))) ?? "");
    return user === undefined ? undefined : copyUser(user);
  }

  /** Case-insensitive. */
  userByEmail(email: string): SimUser | undefined {
    if (email === "") return undefined;
    const user = this.#users.get(first(this.#byEmail.get(lower(email))) ?? "");
    return user === undefined ? undefined : copyUser(user);
  }

  groupById(id: string): SimGroup | undefined {
    const group = this.#groups.get(id);
    return group === undefined ? undefined : { ...group };
  }

  /** Case-insensitive. */
  groupByName(name: string): SimGroup | undefined {
    const group = this.#groups.get(first(this.#byGroupName.get(lower(name))) ?? "");
    return group === undefined ? undefined : { ...group };
  }

  /** The Default Group if it still exists (resolved by its install id, as MI's `default_group_ind` does). */
  defaultGroup(): SimGroup | undefined {
    return this.groupById(defaultGroupIdOnInstall);
  }

  /** Usernames of the members of the group with that name (case-insensitive), sorted; empty for an unknown group. */
  membersOfGroup(name: string): string[] {
    const group = this.groupByName(name);
    if (group === undefined) return [];
    return this.membershipsWhere({ group: group.id })
      .map((row) => this.#users.get(row.userId)?.username ?? `#${row.userId}`)
      .sort();
  }

  /** Membership rows of a group and/or a user (both null: every row), in id order. */
  membershipsWhere(filter: { group?: string | null; user?: string | null }): SimMembership[] {
    const { group = null, user = null } = filter;
    let ids: Iterable<string>;
    if (group !== null && user !== null) {
      const id = this.#rowByPair.get(pairKey(user, group));
      ids = id === undefined ? [] : [id];
    } else if (group !== null) ids = this.#rowsByGroup.get(group) ?? [];
    else if (user !== null) ids = this.#rowsByUser.get(user) ?? [];
    else ids = this.#memberships.keys();
    return [...ids]
      .map((id) => this.#memberships.get(id))
      .filter((row) => row !== undefined)
      .sort((a, b) => Number(a.id) - Number(b.id))
      .map((row) => ({ ...row }));
  }

  /** Adds a user. Throws on a duplicate username or email (case-insensitive). */
  addUser(input: NewSimUser): SimUser {
    const email = input.email ?? `${input.username}@example.test`;
    if (this.userByUsername(input.username)) throw new Error(`sim: username ${input.username} already exists`);
    if (this.userByEmail(email)) throw new Error(`sim: email ${email} already exists`);
    const user: SimUser = {
      id: String(this.#nextUserId++),
      username: input.username,
      firstName: input.firstName ?? "",
      lastName: input.lastName ?? "",
      email,
      type: input.type ?? "regular",
      enabled: input.enabled ?? true,
      ldap: false,
      customAttributes: {},
      trustedServerUsername: null,
    };
    this.#users.set(user.id, user);
    this.#indexUser(user, "add");
    return copyUser(user);
  }

  #indexUser(user: SimUser, change: "add" | "delete"): void {
    index(this.#byUsername, lower(user.username), user.id, change);
    if (user.email !== "") index(this.#byEmail, lower(user.email), user.id, change);
  }

  /** Changes fields of a user; uniqueness is the caller's job (the HTTP layer answers 400 first). */
  updateUser(id: string, patch: Partial<Omit<SimUser, "id">>): SimUser | undefined {
    const user = this.#users.get(id);
    if (user === undefined) return undefined;
    this.#indexUser(user, "delete");
    Object.assign(user, patch);
    this.#indexUser(user, "add");
    return copyUser(user);
  }

  /** Writes extras: given custom attribute keys are set (null removes one); `trustedServerUsername` if given. */
  setUserExtras(
    id: string,
    extras: { customAttributes?: Record<string, string | null>; trustedServerUsername?: string | null },
  ): SimUser | undefined {
    const user = this.#users.get(id);
    if (user === undefined) return undefined;
    for (const [key, value] of Object.entries(extras.customAttributes ?? {})) {
      if (value === null) delete user.customAttributes[key];
      else user.customAttributes[key] = value;
    }
    if (extras.trustedServerUsername !== undefined) user.trustedServerUsername = extras.trustedServerUsername;
    return copyUser(user);
  }

  /** Deletes a user and its membership rows. False when unknown. */
  removeUser(id: string): boolean {
    const user = this.#users.get(id);
    if (user === undefined) return false;
    this.#indexUser(user, "delete");
    this.#users.delete(id);
    for (const row of this.membershipsWhere({ user: id })) this.removeMembership(row.id);
    return true;
  }

  /** Adds a group. Throws on a duplicate name (case-insensitive). */
  addGroup(name: string, options: Partial<Omit<SimGroup, "id" | "name">> = {}): SimGroup {
    if (this.groupByName(name)) throw new Error(`sim: group ${name} already exists`);
    const group: SimGroup = {
      id: String(this.#nextGroupId++),
      name,
      description: options.description ?? "",
      allAccess: options.allAccess ?? false,
      ldapOrganizationalUnit: options.ldapOrganizationalUnit ?? null,
      externalGroupId: options.externalGroupId ?? null,
    };
    this.#groups.set(group.id, group);
    index(this.#byGroupName, lower(group.name), group.id, "add");
    return { ...group };
  }

  updateGroup(id: string, patch: Partial<Omit<SimGroup, "id">>): SimGroup | undefined {
    const group = this.#groups.get(id);
    if (group === undefined) return undefined;
    index(this.#byGroupName, lower(group.name), group.id, "delete");
    Object.assign(group, patch);
    index(this.#byGroupName, lower(group.name), group.id, "add");
    return { ...group };
  }

  /** Deletes a group and its membership rows. False when unknown. */
  removeGroup(id: string): boolean {
    const group = this.#groups.get(id);
    if (group === undefined) return false;
    index(this.#byGroupName, lower(group.name), group.id, "delete");
    this.#groups.delete(id);
    for (const row of this.membershipsWhere({ group: id })) this.removeMembership(row.id);
    return true;
  }

  membership(userId: string, groupId: string): SimMembership | undefined {
    const row = this.#memberships.get(this.#rowByPair.get(pairKey(userId, groupId)) ?? "");
    return row === undefined ? undefined : { ...row };
  }

  /** Adds a membership row. Throws when the user or group is unknown or the row exists. */
  addMembership(userId: string, groupId: string): SimMembership {
    if (!this.#users.has(userId)) throw new Error(`sim: no user ${userId}`);
    if (!this.#groups.has(groupId)) throw new Error(`sim: no group ${groupId}`);
    if (this.membership(userId, groupId)) throw new Error(`sim: user ${userId} already in group ${groupId}`);
    const row: SimMembership = { id: String(this.#nextMembershipId++), userId, groupId };
    this.#memberships.set(row.id, row);
    this.#rowByPair.set(pairKey(userId, groupId), row.id);
    index(this.#rowsByGroup, groupId, row.id, "add");
    index(this.#rowsByUser, userId, row.id, "add");
    return { ...row };
  }

  /** Deletes a membership row. False when unknown. */
  removeMembership(id: string): boolean {
    const row = this.#memberships.get(id);
    if (row === undefined) return false;
    this.#memberships.delete(id);
    this.#rowByPair.delete(pairKey(row.userId, row.groupId));
    index(this.#rowsByGroup, row.groupId, id, "delete");
    index(this.#rowsByUser, row.userId, id, "delete");
    return true;
  }

  membershipById(id: string): SimMembership | undefined {
    const row = this.#memberships.get(id);
    return row === undefined ? undefined : { ...row };
  }
}

const pairKey = (userId: string, groupId: string): string => `${userId}/${groupId}`;

function first(ids: Set<string> | undefined): string | undefined {
  if (ids === undefined) return undefined;
  for (const id of ids) return id;
  return undefined;
}

function index(map: Map<string, Set<string>>, key: string, id: string, change: "add" | "delete"): void {
  const ids = map.get(key);
  if (change === "add") {
    if (ids) ids.add(id);
    else map.set(key, new Set([id]));
  } else if (ids) {
    ids.delete(id);
    if (ids.size === 0) map.delete(key);
  }
}

function copyUser(user: SimUser): SimUser {
  return { ...user, customAttributes: { ...user.customAttributes } };
}
