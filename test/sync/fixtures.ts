import { parseMaxRemovals } from "../../src/config/max-removals.js";
import type { DirectoryUser, MiGroup, MiMembership, MiUser } from "../../src/sync/model.js";
import type { EntraSnapshot, MiSnapshot } from "../../src/sync/snapshot.js";
import type { SyncOptions } from "../../src/sync/sync-options.js";

/** Options as the CLI resolves them with no flags but a group. */
export function options(overrides: Partial<SyncOptions> = {}): SyncOptions {
  return {
    command: "provision",
    leavers: "keep",
    autoCreate: "off",
    userType: "regular",
    userTypeExplicit: false,
    updateMode: "changed",
    membership: "direct",
    defaultGroup: "add",
    attributeMap: { username: "userPrincipalName", firstName: "givenName", lastName: "surname", email: "mail" },
    customAttributes: [],
    mapAttrToGroup: [],
    customAttrAppId: undefined,
    trustedServerUsernameAttr: undefined,
    transformations: [],
    targetGroup: undefined,
    selectUsers: undefined,
    maxRemovals: parseMaxRemovals(undefined),
    ...overrides,
  };
}

let next = 0;
const guid = (): string => `00000000-0000-0000-0000-${String(++next).padStart(12, "0")}`;

/** An Entra user; `name` is the part of the UPN before @. */
export function entraUser(
  name: string,
  overrides: Partial<DirectoryUser> & { attrs?: DirectoryUser["attributes"] } = {},
): DirectoryUser {
  const { attrs, ...rest } = overrides;
  return {
    id: guid(),
    userPrincipalName: `${name}@contoso.com`,
    mail: `${name}@contoso.com`,
    accountEnabled: true,
    attributes: {
      userPrincipalName: `${name}@contoso.com`,
      givenName: cap(name),
      surname: "Tester",
      mail: `${name}@contoso.com`,
      ...attrs,
    },
    ...rest,
  };
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Entra with groups given as `{ groupName: [users] }`; every read complete unless listed in `incomplete`. */
export function entra(groups: Record<string, DirectoryUser[]>, incomplete: string[] = []): EntraSnapshot {
  const snapshot: EntraSnapshot = { groups: [], members: new Map(), users: new Map() };
  for (const [displayName, users] of Object.entries(groups)) {
    const id = guid();
    snapshot.groups.push({ id, displayName });
    const failed = incomplete.includes(displayName);
    snapshot.members.set(id, {
      userIds: users.map((u) => u.id),
      complete: !failed,
      ...(failed ? { error: "503 after 8 retries" } : {}),
    });
    for (const u of users) snapshot.users.set(u.id, u);
  }
  return snapshot;
}

/** A small MI: users by username, groups by name with member usernames. */
export class MiBuilder {
  users: MiUser[] = [];
  groups: MiGroup[] = [{ id: "1", name: "Default Group" }];
  rows: MiMembership[] = [];
  acting: string | undefined = "admin";
  private id = 100;

  constructor() {
    this.user("admin", { type: "administrator" });
  }

  user(username: string, overrides: Partial<MiUser> = {}): MiUser {
    const name = username.split("@")[0] ?? username;
    const user: MiUser = {
      id: String(++this.id),
      username,
      firstName: cap(name),
      lastName: "Tester",
      email: username.includes("@") ? username : `${username}@contoso.com`,
      type: "regular",
      enabled: true,
      ...overrides,
    };
    this.users.push(user);
    return user;
  }

  group(name: string, members: MiUser[] = []): MiGroup {
    const group = { id: String(++this.id), name };
    this.groups.push(group);
    for (const m of members) this.member(group, m);
    return group;
  }

  member(group: MiGroup, user: MiUser): MiMembership {
    const row = { id: String(++this.id), userId: user.id, groupId: group.id };
    this.rows.push(row);
    return row;
  }

  snapshot(): MiSnapshot {
    const memberships = new Map<string, MiMembership[]>();
    for (const g of this.groups)
      memberships.set(
        g.id,
        this.rows.filter((r) => r.groupId === g.id),
      );
    return { users: this.users, groups: this.groups, memberships, actingUsername: this.acting };
  }
}
