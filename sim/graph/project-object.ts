import type { MemberKind, SimGroup, SimUser } from "./directory-types.js";
import { badRequest } from "./graph-response.js";

/** Every property a `$select` may name on users (the stored fields; `extension_*` is handled separately). */
export const USER_PROPERTIES = [
  "id",
  "userPrincipalName",
  "displayName",
  "givenName",
  "surname",
  "mail",
  "accountEnabled",
  "userType",
  "department",
  "jobTitle",
  "companyName",
  "officeLocation",
  "city",
  "country",
  "employeeType",
  "mobilePhone",
  "businessPhones",
  "preferredLanguage",
  "onPremisesExtensionAttributes",
] as const;

/** Returned without `$select` (user-get.md, contract §1.3); `accountEnabled` is not among them. */
const USER_DEFAULTS = [
  "businessPhones",
  "displayName",
  "givenName",
  "jobTitle",
  "mail",
  "mobilePhone",
  "officeLocation",
  "preferredLanguage",
  "surname",
  "userPrincipalName",
  "id",
];

export const GROUP_PROPERTIES = [
  "id",
  "displayName",
  "description",
  "mail",
  "mailEnabled",
  "mailNickname",
  "securityEnabled",
  "groupTypes",
  "visibility",
  "createdDateTime",
] as const;

const EXTENSION_NAME = /^extension_[0-9a-f]{32}_[A-Za-z0-9_]+$/i;

/**
 * The validated `$select` list, canonically cased, or `undefined` for "default properties". A name unknown on every
 * type in `kinds` is a 400 naming the type (contract §1.3); `extension_*` names are always accepted and are omitted
 * later when unset. `extra` lists additional names accepted (e.g. `members` on group delta).
 */
export function resolveSelect(
  select: string[] | undefined,
  kinds: MemberKind[],
  extra: string[] = [],
): string[] | undefined {
  if (!select) return undefined;
  const known = new Map<string, string>();
  for (const name of extra) known.set(name.toLowerCase(), name);
  if (kinds.includes("user")) for (const name of USER_PROPERTIES) known.set(name.toLowerCase(), name);
  if (kinds.includes("group")) for (const name of GROUP_PROPERTIES) known.set(name.toLowerCase(), name);
  const typeName = kinds.length === 1 ? `microsoft.graph.${kinds[0]}` : "microsoft.graph.directoryObject";
  const result: string[] = [];
  for (const raw of select) {
    const canonical = known.get(raw.toLowerCase()) ?? (EXTENSION_NAME.test(raw) ? raw : undefined);
    if (!canonical) throw badRequest(`Could not find a property named '${raw}' on type '${typeName}'.`);
    if (!result.includes(canonical)) result.push(canonical);
  }
  return result;
}

/** Graph JSON for a user: the default set without `select`, else exactly the selected properties that apply. */
export function projectUser(user: SimUser, select: string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of select ?? USER_DEFAULTS) {
    if (name.startsWith("extension_")) {
      const value = findExtension(user, name);
      // Unset directory extensions are omitted, never null ([Inference] contract §1.3).
      if (value !== undefined) out[name] = value;
    } else if (isUserProperty(name)) {
      const value = user[name];
      out[name] = typeof value === "object" && value !== null ? structuredClone(value) : value;
    }
  }
  return out;
}

/** Graph JSON for a group: every stored property without `select`, else the selected ones that apply. */
export function projectGroup(group: SimGroup, select: string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of select ?? GROUP_PROPERTIES) {
    if (isGroupProperty(name)) {
      const value = group[name];
      out[name] = Array.isArray(value) ? [...value] : value;
    }
  }
  return out;
}

/** Adds `@odata.type` first, as Graph does on mixed `directoryObject` collections (contract §1.2). */
export function withODataType(kind: MemberKind, body: Record<string, unknown>): Record<string, unknown> {
  return { "@odata.type": `#microsoft.graph.${kind}`, ...body };
}

/** `<base>/v1.0/$metadata#<set>(<select>)<suffix>`, the `@odata.context` shape of contract §1. */
export function contextUrl(baseUrl: string, entitySet: string, select: string[] | undefined, suffix = ""): string {
  const selection = select ? `(${select.join(",")})` : "";
  return `${baseUrl}/v1.0/$metadata#${entitySet}${selection}${suffix}`;
}

function findExtension(user: SimUser, name: string): SimUser["extensions"][string] | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(user.extensions))
    if (key.toLowerCase() === wanted) return structuredClone(value);
  return undefined;
}

function isUserProperty(name: string): name is (typeof USER_PROPERTIES)[number] {
  return (USER_PROPERTIES as readonly string[]).includes(name);
}

function isGroupProperty(name: string): name is (typeof GROUP_PROPERTIES)[number] {
  return (GROUP_PROPERTIES as readonly string[]).includes(name);
}
