import type { NewSimUser } from "../../sim/graph/directory-types.js";
import type { Lab } from "../../sim/sandbox/lab.js";

/** A small, precise Entra tenant for integration tests. */
export interface TestTenant {
  users: Record<string, string>;
  groups: Record<string, string>;
}

/**
 * Sales: ann, bob, dis (disabled), guest; Engineering: cat + nested Platform (dan); Platform: dan.
 * Users carry department, an extension attribute and a directory extension for the attribute flags.
 */
export function seedTenant(lab: Lab, appId = "11111111-2222-3333-4444-555555555555"): TestTenant {
  const dir = lab.graph.directory;
  const ext = (name: string): string => `extension_${appId.replace(/-/g, "")}_${name}`;
  const users: Record<string, string> = {};
  const add = (key: string, upn: string, extra: Partial<NewSimUser>): void => {
    users[key] = dir.addUser({
      userPrincipalName: upn,
      mail: upn,
      givenName: key.charAt(0).toUpperCase() + key.slice(1),
      surname: "Tester",
      accountEnabled: true,
      ...extra,
    }).id;
  };
  add("ann", "ann@contoso.com", { department: "Finance", extensions: { [ext("costCenter")]: "CC-1" } });
  add("bob", "bob@contoso.com", {
    department: "Audit",
    onPremisesExtensionAttributes: { extensionAttribute3: "bobby" },
  });
  add("dis", "dis@contoso.com", { accountEnabled: false });
  add("guest", "jane_partner.com#EXT#@contoso.onmicrosoft.com", { mail: "jane@partner.com", userType: "Guest" });
  add("cat", "cat@contoso.com", {});
  add("dan", "dan@contoso.com", {});
  const groups: Record<string, string> = {};
  for (const name of ["Sales", "Engineering", "Platform"]) groups[name] = dir.addGroup({ displayName: name }).id;
  for (const u of ["ann", "bob", "dis", "guest"]) dir.addMember(groups.Sales!, users[u]!);
  dir.addMember(groups.Engineering!, users.cat!);
  dir.addMember(groups.Engineering!, groups.Platform!);
  dir.addMember(groups.Platform!, users.dan!);
  return { users, groups };
}

/** MI usernames of a group's members, sorted. */
export function miMembers(lab: Lab, group: string): string[] {
  return [...lab.mi.state.membersOfGroup(group)].sort();
}
