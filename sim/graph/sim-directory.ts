import { randomUUID } from "node:crypto";
import {
  type DirectoryChange,
  EXTENSION_ATTRIBUTE_KEYS,
  type MemberKind,
  type NewSimGroup,
  type NewSimUser,
  type OnPremisesExtensionAttributes,
  type RemovalReason,
  type SimDirectorySeed,
  type SimGroup,
  type SimGroupPatch,
  type SimUser,
  type SimUserPatch,
} from "./directory-types.js";

/** Distributes `Omit` over a union, so each change kind keeps its own fields. */
type ChangeWithoutStamp = DirectoryChange extends infer C
  ? C extends DirectoryChange
    ? Omit<C, "seq" | "at">
    : never
  : never;

/**
 * The simulated tenant: users, groups, direct memberships (users or nested groups), tombstones of deleted objects,
 * and an append-only change log from which delta rounds are computed. Every mutation appends to the log.
 *
 * Getters return copies; mutate only through the methods. Unknown ids throw `Error` (a test bug, not a Graph error).
 */
export class SimDirectory {
  private readonly users = new Map<string, SimUser>();
  private readonly groups = new Map<string, SimGroup>();
  /** groupId → member ids, in insertion order (Graph's order for paging). */
  private readonly members = new Map<string, Set<string>>();
  private readonly removedUsers = new Map<string, RemovalReason>();
  private readonly removedGroups = new Map<string, RemovalReason>();
  private readonly log: DirectoryChange[] = [];
  private readonly listeners = new Set<(change: DirectoryChange) => void>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Loads a seed: users first, then groups, then memberships (so members may reference later groups). */
  loadSeed(seed: SimDirectorySeed): void {
    for (const user of seed.users ?? []) this.addUser(user);
    const created = (seed.groups ?? []).map((group) => ({ group: this.addGroup(group), members: group.members ?? [] }));
    for (const { group, members } of created) for (const memberId of members) this.addMember(group.id, memberId);
  }

  addUser(input: NewSimUser): SimUser {
    const id = (input.id ?? randomUUID()).toLowerCase();
    if (this.users.has(id) || this.groups.has(id)) throw new Error(`object ${id} already exists`);
    const user: SimUser = {
      id,
      userPrincipalName: input.userPrincipalName,
      displayName: input.displayName ?? null,
      givenName: input.givenName ?? null,
      surname: input.surname ?? null,
      mail: input.mail ?? null,
      accountEnabled: input.accountEnabled ?? true,
      userType: input.userType ?? (input.userPrincipalName.includes("#EXT#") ? "Guest" : "Member"),
      department: input.department ?? null,
      jobTitle: input.jobTitle ?? null,
      companyName: input.companyName ?? null,
      officeLocation: input.officeLocation ?? null,
      city: input.city ?? null,
      country: input.country ?? null,
      employeeType: input.employeeType ?? null,
      mobilePhone: input.mobilePhone ?? null,
      businessPhones: [...(input.businessPhones ?? [])],
      preferredLanguage: input.preferredLanguage ?? null,
      onPremisesExtensionAttributes: fullExtensionAttributes(input.onPremisesExtensionAttributes),
      extensions: { ...(input.extensions ?? {}) },
    };
    this.users.set(id, user);
    this.removedUsers.delete(id);
    this.append({ kind: "userUpserted", userId: id, properties: Object.keys(user) });
    return cloneUser(user);
  }

  updateUser(id: string, patch: SimUserPatch): SimUser {
    const user = this.requireUser(id);
    const changed: string[] = [];
    for (const [key, value] of Object.entries(patch)) {
      if (key === "onPremisesExtensionAttributes" || key === "extensions" || value === undefined) continue;
      Object.assign(user, { [key]: value });
      changed.push(key);
    }
    if (patch.onPremisesExtensionAttributes) {
      Object.assign(user.onPremisesExtensionAttributes, patch.onPremisesExtensionAttributes);
      changed.push("onPremisesExtensionAttributes");
    }
    for (const [name, value] of Object.entries(patch.extensions ?? {})) {
      // Setting a directory extension to null deletes it (contract §1.3).
      if (value === null) delete user.extensions[name];
      else user.extensions[name] = value;
      changed.push(name);
    }
    this.append({ kind: "userUpserted", userId: user.id, properties: changed });
    return cloneUser(user);
  }

  /** Sets `accountEnabled` to false. */
  disableUser(id: string): SimUser {
    return this.updateUser(id, { accountEnabled: false });
  }

  /**
   * Deletes a user and removes it from every group. `reason` is what delta reports: `changed` (soft delete, the
   * default, what an admin's delete does) or `deleted` (permanent).
   */
  deleteUser(id: string, options: { reason?: RemovalReason } = {}): void {
    const user = this.requireUser(id);
    for (const [groupId, set] of this.members) {
      if (set.delete(user.id)) {
        this.append({
          kind: "memberRemoved",
          groupId,
          memberId: user.id,
          memberKind: "user",
          causedByUserDeletion: true,
        });
      }
    }
    this.users.delete(user.id);
    const reason = options.reason ?? "changed";
    this.removedUsers.set(user.id, reason);
    this.append({ kind: "userRemoved", userId: user.id, reason });
  }

  addGroup(input: NewSimGroup): SimGroup {
    const id = (input.id ?? randomUUID()).toLowerCase();
    if (this.users.has(id) || this.groups.has(id)) throw new Error(`object ${id} already exists`);
    const nickname = input.mailNickname ?? input.displayName.replace(/[^A-Za-z0-9]/g, "");
    const group: SimGroup = {
      id,
      displayName: input.displayName,
      description: input.description ?? null,
      mail: input.mail ?? null,
      mailEnabled: input.mailEnabled ?? false,
      mailNickname: nickname,
      securityEnabled: input.securityEnabled ?? true,
      groupTypes: [...(input.groupTypes ?? [])],
      visibility: input.visibility ?? null,
      createdDateTime:
        input.createdDateTime ??
        this.now()
          .toISOString()
          .replace(/\.\d{3}Z$/, "Z"),
    };
    this.groups.set(id, group);
    this.members.set(id, new Set());
    this.removedGroups.delete(id);
    this.append({ kind: "groupUpserted", groupId: id, properties: Object.keys(group) });
    return { ...group, groupTypes: [...group.groupTypes] };
  }

  updateGroup(id: string, patch: SimGroupPatch): SimGroup {
    const group = this.requireGroup(id);
    const changed = Object.entries(patch).filter(([, value]) => value !== undefined);
    for (const [key, value] of changed) Object.assign(group, { [key]: value });
    this.append({ kind: "groupUpserted", groupId: group.id, properties: changed.map(([key]) => key) });
    return { ...group, groupTypes: [...group.groupTypes] };
  }

  /** Deletes a group and removes it from the groups that contained it. Delta reports it with `reason` (default `changed`). */
  deleteGroup(id: string, options: { reason?: RemovalReason } = {}): void {
    const group = this.requireGroup(id);
    for (const [parentId, set] of this.members) {
      if (parentId !== group.id && set.delete(group.id)) {
        this.append({
          kind: "memberRemoved",
          groupId: parentId,
          memberId: group.id,
          memberKind: "group",
          causedByUserDeletion: false,
        });
      }
    }
    this.groups.delete(group.id);
    this.members.delete(group.id);
    const reason = options.reason ?? "changed";
    this.removedGroups.set(group.id, reason);
    this.append({ kind: "groupRemoved", groupId: group.id, reason });
  }

  /** Adds a user or a group (nesting; cycles are allowed, as in Entra) as a direct member. Adding twice is a no-op. */
  addMember(groupId: string, memberId: string): void {
    const group = this.requireGroup(groupId);
    const memberKind = this.kindOf(memberId);
    if (!memberKind) throw new Error(`no user or group ${memberId}`);
    const set = this.members.get(group.id);
    const key = memberId.toLowerCase();
    if (!set || set.has(key)) return;
    set.add(key);
    this.append({ kind: "memberAdded", groupId: group.id, memberId: key, memberKind, causedByUserDeletion: false });
  }

  /** Removes a direct member. Removing a non-member is a no-op. */
  removeMember(groupId: string, memberId: string): void {
    const group = this.requireGroup(groupId);
    const key = memberId.toLowerCase();
    const set = this.members.get(group.id);
    const memberKind = this.kindOf(key);
    if (!set?.delete(key) || !memberKind) return;
    this.append({ kind: "memberRemoved", groupId: group.id, memberId: key, memberKind, causedByUserDeletion: false });
  }

  getUser(id: string): SimUser | undefined {
    const user = this.users.get(id.toLowerCase());
    return user ? cloneUser(user) : undefined;
  }

  /** Case-insensitive lookup by UPN, as Graph's `/users/{upn}` does. */
  findUserByUpn(userPrincipalName: string): SimUser | undefined {
    const wanted = userPrincipalName.toLowerCase();
    for (const user of this.users.values()) if (user.userPrincipalName.toLowerCase() === wanted) return cloneUser(user);
    return undefined;
  }

  getGroup(id: string): SimGroup | undefined {
    const group = this.groups.get(id.toLowerCase());
    return group ? { ...group, groupTypes: [...group.groupTypes] } : undefined;
  }

  listUsers(): SimUser[] {
    return [...this.users.values()].map(cloneUser);
  }

  listGroups(): SimGroup[] {
    return [...this.groups.values()].map((group) => ({ ...group, groupTypes: [...group.groupTypes] }));
  }

  /** Direct members of a group, in insertion order, with their kind. Throws for an unknown group. */
  membersOf(groupId: string): Array<{ id: string; kind: MemberKind }> {
    const group = this.requireGroup(groupId);
    const result: Array<{ id: string; kind: MemberKind }> = [];
    for (const id of this.members.get(group.id) ?? []) {
      const kind = this.kindOf(id);
      if (kind) result.push({ id, kind });
    }
    return result;
  }

  /**
   * Every member reachable through nested groups, breadth first, each once; nested groups are listed too
   * (contract §1.2). Cycles terminate because each group is expanded once.
   */
  transitiveMembersOf(groupId: string): Array<{ id: string; kind: MemberKind }> {
    const root = this.requireGroup(groupId);
    const seen = new Set<string>([root.id]);
    const result: Array<{ id: string; kind: MemberKind }> = [];
    const queue = [root.id];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      for (const member of this.membersOf(next)) {
        if (seen.has(member.id)) continue;
        seen.add(member.id);
        result.push(member);
        if (member.kind === "group") queue.push(member.id);
      }
    }
    return result;
  }

  /**
   * The groups holding a user or group as a direct member (`/memberOf`), in group creation order. Throws for an id
   * that is neither a user nor a group.
   */
  groupsContaining(memberId: string): Array<{ id: string; kind: "group" }> {
    const key = memberId.toLowerCase();
    if (!this.kindOf(key)) throw new Error(`no user or group ${memberId}`);
    const result: Array<{ id: string; kind: "group" }> = [];
    for (const [groupId, set] of this.members) if (set.has(key)) result.push({ id: groupId, kind: "group" });
    return result;
  }

  /**
   * Every group holding a user or group directly or through nesting (`/transitiveMemberOf`), nearest first (breadth
   * first), each once. Cycles terminate because each group is climbed once; the object itself is never listed, even
   * when a cycle leads back to it. Throws for an id that is neither a user nor a group.
   */
  ancestorGroupsOf(memberId: string): Array<{ id: string; kind: "group" }> {
    const start = memberId.toLowerCase();
    const seen = new Set<string>([start]);
    const result: Array<{ id: string; kind: "group" }> = [];
    const queue = [start];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      for (const parent of this.groupsContaining(next)) {
        if (seen.has(parent.id)) continue;
        seen.add(parent.id);
        result.push(parent);
        queue.push(parent.id);
      }
    }
    return result;
  }

  /** `user`, `group`, or `undefined` for an id that is neither (deleted or never existed). */
  kindOf(id: string): MemberKind | undefined {
    const key = id.toLowerCase();
    if (this.users.has(key)) return "user";
    if (this.groups.has(key)) return "group";
    return undefined;
  }

  /** Ids of deleted users and groups with the reason delta reports for them. */
  tombstones(kind: MemberKind): Map<string, RemovalReason> {
    return new Map(kind === "user" ? this.removedUsers : this.removedGroups);
  }

  /** The change log from `afterSeq` (exclusive) on. */
  changesSince(afterSeq: number): DirectoryChange[] {
    return this.log.filter((change) => change.seq > afterSeq);
  }

  /** Sequence number of the latest change (0 before any). */
  get currentSeq(): number {
    return this.log.length;
  }

  /**
   * Calls `listener` synchronously with every change appended from now on (the notification emitter's feed).
   * A throwing listener is reported on stderr and never undoes or blocks the mutation. Returns the unsubscribe.
   */
  onChange(listener: (change: DirectoryChange) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private append(change: ChangeWithoutStamp): void {
    const stamped = { ...change, seq: this.log.length + 1, at: this.now().getTime() } as DirectoryChange;
    this.log.push(stamped);
    for (const listener of this.listeners) {
      try {
        listener(stamped);
      } catch (error) {
        process.stderr.write(`graph-sim: change listener failed: ${String(error)}\n`);
      }
    }
  }

  private requireUser(id: string): SimUser {
    const user = this.users.get(id.toLowerCase());
    if (!user) throw new Error(`no user ${id}`);
    return user;
  }

  private requireGroup(id: string): SimGroup {
    const group = this.groups.get(id.toLowerCase());
    if (!group) throw new Error(`no group ${id}`);
    return group;
  }
}

function fullExtensionAttributes(partial: Partial<OnPremisesExtensionAttributes> = {}): OnPremisesExtensionAttributes {
  const result = {} as OnPremisesExtensionAttributes;
  for (const key of EXTENSION_ATTRIBUTE_KEYS) result[key] = partial[key] ?? null;
  return result;
}

function cloneUser(user: SimUser): SimUser {
  return {
    ...user,
    businessPhones: [...user.businessPhones],
    onPremisesExtensionAttributes: { ...user.onPremisesExtensionAttributes },
    extensions: structuredClone(user.extensions),
  };
}
