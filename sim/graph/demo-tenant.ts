import type { NewSimUser } from "./directory-types.js";
import type { SimDirectory } from "./sim-directory.js";

export interface DemoTenantOptions {
  /** PRNG seed; the same seed always builds the same tenant (ids included). Default 1. */
  seed?: number;
  /** Ordinary users to generate besides the notable ones; default 290. */
  users?: number;
}

/** What `buildDemoTenant` created, for printing and for tests that mutate the tenant. */
export interface DemoTenant {
  domain: string;
  /** App id (no dashes) owning the demo directory extensions, e.g. `extension_<id>_miRole`. */
  extensionAppId: string;
  /** Group display name → id. */
  groups: Record<string, string>;
  notableUsers: {
    guest: string;
    disabled: string;
    unicode: string[];
    nullMail: string[];
    longGivenName: string;
    withExtensionAttribute1: string;
    withDirectoryExtension: string;
  };
  userCount: number;
  /** Display-name prefix shared by the groups meant for syncing: `"MI "`. */
  prefix: string;
  /** One line for printing, e.g. `300 users, 12 groups (10 named "MI …"), nested Engineering ⊃ Platform ⊃ SRE, …`. */
  summary: string;
  /**
   * Applies a fixed set of directory changes (new user in MI Sales, one leaves MI Marketing, a rename, a disabled
   * account, a deleted user, a new group "MI Support") and returns one line per change. Call it once.
   */
  applyChanges(): string[];
}

const DOMAIN = "contoso.onmicrosoft.com";
const EXTENSION_APP_ID = "b7d8e648520f41d3b9c0fdeb91768a0a";
const GIVEN = [
  "Adele",
  "Alex",
  "Megan",
  "Lee",
  "Nestor",
  "Patti",
  "Pradeep",
  "Lidia",
  "Grady",
  "Isaiah",
  "Johanna",
  "Joni",
];
const SURNAMES = ["Vance", "Wilber", "Bowen", "Gu", "Wilke", "Fernandez", "Gupta", "Holloway", "Archie", "Langer"];
const DEPARTMENTS = ["Sales", "Marketing", "Engineering", "Finance", null];

/**
 * Fills `directory` with a deterministic demo tenant: about 300 users; groups "MI Sales", "MI Marketing",
 * "MI Engineering" ⊃ "MI Platform" ⊃ "MI SRE", "MI Leadership", "MI All Staff" (every user, for paging), a cycle
 * "MI Cycle A" ⊃ "MI Cycle B" ⊃ "MI Cycle A", "MI O'Brien Fans" (quote escaping) and two non-"MI " groups; plus a
 * `#EXT#` guest, a disabled account, unicode names, users without mail, an `extensionAttribute1`, a directory
 * extension, and a given name longer than 100 code points.
 */
export function buildDemoTenant(directory: SimDirectory, options: DemoTenantOptions = {}): DemoTenant {
  const random = mulberry32(options.seed ?? 1);
  const guid = (): string => {
    const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  };
  const add = (user: Omit<NewSimUser, "id">): string => directory.addUser({ id: guid(), ...user }).id;

  const guest = add({
    userPrincipalName: `jane_partner.com#EXT#@${DOMAIN}`,
    displayName: "Jane Partner",
    givenName: "Jane",
    surname: "Partner",
    mail: "jane@partner.com",
    userType: "Guest",
    companyName: "Partner Ltd",
  });
  const disabled = add({
    userPrincipalName: `former.employee@${DOMAIN}`,
    displayName: "Former Employee",
    givenName: "Former",
    surname: "Employee",
    mail: `former.employee@${DOMAIN}`,
    accountEnabled: false,
  });
  const unicode = [
    ["Zoë", "Łukasiewicz", "zoe.lukasiewicz"],
    ["José", "Müller", "jose.muller"],
    ["雷", "李", "li.lei"],
  ].map(([given = "", surname = "", nick = ""]) =>
    add({
      userPrincipalName: `${nick}@${DOMAIN}`,
      displayName: surname === "李" ? "李 雷" : `${given} ${surname}`,
      givenName: given,
      surname,
      mail: `${nick}@${DOMAIN}`,
      department: "Engineering",
      country: surname === "李" ? "CN" : "DE",
    }),
  );
  const nullMail = [
    add({ userPrincipalName: `no.mailbox@${DOMAIN}`, displayName: "No Mailbox", givenName: "No", surname: "Mailbox" }),
    add({ userPrincipalName: `service.desk@${DOMAIN}`, displayName: "Service Desk", givenName: null, surname: null }),
  ];
  const longGivenName = add({
    userPrincipalName: `long.name@${DOMAIN}`,
    displayName: "Very Long Name",
    givenName: `Wolfeschlegelsteinhausenbergerdorff${"ä".repeat(70)}`,
    surname: "Senior",
    mail: `long.name@${DOMAIN}`,
  });
  const withExtensionAttribute1 = add({
    userPrincipalName: `contractor@${DOMAIN}`,
    displayName: "Casey Contractor",
    givenName: "Casey",
    surname: "Contractor",
    mail: `contractor@${DOMAIN}`,
    employeeType: "Contractor",
    onPremisesExtensionAttributes: { extensionAttribute1: "Contractor" },
  });
  const withDirectoryExtension = add({
    userPrincipalName: `mi.admin@${DOMAIN}`,
    displayName: "MI Admin",
    givenName: "Morgan",
    surname: "Admin",
    mail: `mi.admin@${DOMAIN}`,
    department: "Finance",
    extensions: { [`extension_${EXTENSION_APP_ID}_miRole`]: "Admin" },
  });

  const ordinary: string[] = [];
  for (let i = 0; i < (options.users ?? 290); i++) {
    const given = pick(random, GIVEN);
    const surname = pick(random, SURNAMES);
    const upn = `${given.toLowerCase()}.${surname.toLowerCase()}${i}@${DOMAIN}`;
    ordinary.push(
      add({
        userPrincipalName: upn,
        displayName: `${given} ${surname}`,
        givenName: given,
        surname,
        // Every 25th user has no mailbox: mail is null (contract §1.3 [Inference]).
        mail: i % 25 === 7 ? null : upn,
        department: pick(random, DEPARTMENTS),
        jobTitle: i % 3 === 0 ? "Analyst" : null,
        city: i % 2 === 0 ? "Seattle" : "Dublin",
        country: i % 2 === 0 ? "US" : "IE",
      }),
    );
  }

  const group = (displayName: string): string => directory.addGroup({ id: guid(), displayName }).id;
  const groups: Record<string, string> = {};
  for (const name of [
    "MI Sales",
    "MI Marketing",
    "MI Engineering",
    "MI Platform",
    "MI SRE",
    "MI Leadership",
    "MI All Staff",
    "MI Cycle A",
    "MI Cycle B",
    "MI O'Brien Fans",
    "Contoso Admins",
    "All Company",
  ]) {
    groups[name] = group(name);
  }
  const id = (name: string): string => groups[name] ?? "";
  const members = (name: string, ids: string[]): void => {
    for (const memberId of ids) directory.addMember(id(name), memberId);
  };

  members("MI Sales", [...ordinary.slice(0, 80), guest, nullMail[0] ?? "", disabled]);
  members("MI Marketing", [...ordinary.slice(80, 130), withExtensionAttribute1]);
  members("MI Engineering", [...ordinary.slice(130, 150), ...unicode, longGivenName, id("MI Platform")]);
  members("MI Platform", [...ordinary.slice(150, 190), id("MI SRE")]);
  members("MI SRE", [...ordinary.slice(190, 205), unicode[0] ?? ""]);
  members("MI Leadership", [...ordinary.slice(205, 215), withDirectoryExtension]);
  members(
    "MI All Staff",
    directory.listUsers().map((user) => user.id),
  );
  // A membership cycle (A ⊃ B ⊃ A) proves transitive expansion terminates.
  members("MI Cycle A", [...ordinary.slice(215, 220), id("MI Cycle B")]);
  members("MI Cycle B", [...ordinary.slice(220, 225), id("MI Cycle A")]);
  members("MI O'Brien Fans", ordinary.slice(225, 228));
  members("Contoso Admins", [withDirectoryExtension, nullMail[1] ?? ""]);
  members("All Company", ordinary.slice(0, 50));

  const mi = Object.keys(groups).filter((name) => name.startsWith("MI ")).length;
  const userCount = directory.listUsers().length;
  return {
    domain: DOMAIN,
    prefix: "MI ",
    summary:
      `${userCount} users, ${Object.keys(groups).length} groups (${mi} named "MI …"), nested ` +
      `MI Engineering ⊃ MI Platform ⊃ MI SRE, cycle MI Cycle A ⊃ MI Cycle B ⊃ MI Cycle A, a #EXT# guest, ` +
      `a disabled account, unicode names`,
    applyChanges: () => applyDemoChanges(directory, groups, ordinary, guid),
    extensionAppId: EXTENSION_APP_ID,
    groups,
    notableUsers: {
      guest,
      disabled,
      unicode,
      nullMail,
      longGivenName,
      withExtensionAttribute1,
      withDirectoryExtension,
    },
    userCount,
  };
}

function applyDemoChanges(
  directory: SimDirectory,
  groups: Record<string, string>,
  ordinary: string[],
  guid: () => string,
): string[] {
  const group = (name: string): string => groups[name] ?? "";
  const upn = (id: string): string => directory.getUser(id)?.userPrincipalName ?? id;
  const lines: string[] = [];
  const newcomer = directory.addUser({
    id: guid(),
    userPrincipalName: `nora.newcomer@${DOMAIN}`,
    displayName: "Nora Newcomer",
    givenName: "Nora",
    surname: "Newcomer",
    mail: `nora.newcomer@${DOMAIN}`,
    department: "Sales",
  });
  directory.addMember(group("MI Sales"), newcomer.id);
  directory.addMember(group("MI All Staff"), newcomer.id);
  lines.push(`added ${newcomer.userPrincipalName} to MI Sales`);

  const leaver = ordinary[80] ?? "";
  directory.removeMember(group("MI Marketing"), leaver);
  lines.push(`removed ${upn(leaver)} from MI Marketing`);

  const renamed = ordinary[1] ?? "";
  directory.updateUser(renamed, { surname: "Renamed", displayName: "Renamed User" });
  lines.push(`renamed ${upn(renamed)} (surname → Renamed)`);

  const disabled = ordinary[205] ?? "";
  directory.disableUser(disabled);
  lines.push(`disabled ${upn(disabled)} (member of MI Leadership)`);

  const deleted = ordinary[190] ?? "";
  const deletedUpn = upn(deleted);
  directory.deleteUser(deleted);
  lines.push(`deleted ${deletedUpn} (was in MI SRE)`);

  const support = directory.addGroup({ id: guid(), displayName: "MI Support" });
  groups["MI Support"] = support.id;
  for (const id of ordinary.slice(230, 233)) directory.addMember(support.id, id);
  lines.push(`created group MI Support with 3 members`);
  return lines;
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** Small deterministic PRNG (mulberry32) so the same seed rebuilds the same tenant. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
