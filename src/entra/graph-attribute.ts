import { UsageError } from "../errors/sync-error.js";
import type { AttributeValue } from "../sync/model.js";

/**
 * Where a requested attribute lives on a Graph `user`:
 * - `standard`: a user property of its own (`department`, `givenName`, ...);
 * - `onPremises`: one key of `onPremisesExtensionAttributes` (`extensionAttribute1`..`15`);
 * - `directoryExtension`: an `extension_<appId>_<name>` property, given in full or built from `customAttrAppId`;
 * - `unknown`: none of these, sent to Graph as written (Graph answers 400 if it does not exist).
 */
export type GraphAttributeSource = "standard" | "onPremises" | "directoryExtension" | "unknown";

export interface GraphAttribute {
  /** The name exactly as requested; the key of `DirectoryUser.attributes`. */
  requested: string;
  /** The property to put in `$select`. */
  select: string;
  /** For `onPremises`: the key inside `onPremisesExtensionAttributes`. */
  nestedKey?: string;
  source: GraphAttributeSource;
}

/** User properties of Graph v1.0 `user` that hold a plain value (string, number, boolean or array of strings). */
const STANDARD_USER_PROPERTIES = [
  "id",
  "accountEnabled",
  "ageGroup",
  "businessPhones",
  "city",
  "companyName",
  "consentProvidedForMinor",
  "country",
  "createdDateTime",
  "creationType",
  "department",
  "displayName",
  "employeeHireDate",
  "employeeId",
  "employeeLeaveDateTime",
  "employeeType",
  "externalUserState",
  "faxNumber",
  "givenName",
  "imAddresses",
  "isResourceAccount",
  "jobTitle",
  "legalAgeGroupClassification",
  "mail",
  "mailNickname",
  "mobilePhone",
  "officeLocation",
  "onPremisesDistinguishedName",
  "onPremisesDomainName",
  "onPremisesImmutableId",
  "onPremisesSamAccountName",
  "onPremisesSecurityIdentifier",
  "onPremisesSyncEnabled",
  "onPremisesUserPrincipalName",
  "otherMails",
  "passwordPolicies",
  "postalCode",
  "preferredDataLocation",
  "preferredLanguage",
  "proxyAddresses",
  "securityIdentifier",
  "showInAddressList",
  "state",
  "streetAddress",
  "surname",
  "usageLocation",
  "userPrincipalName",
  "userType",
];

const STANDARD_BY_LOWER = new Map(STANDARD_USER_PROPERTIES.map((p) => [p.toLowerCase(), p]));
const ON_PREMISES_PATTERN = /^extensionattribute([1-9]|1[0-5])$/i;
const DIRECTORY_EXTENSION_PATTERN = /^extension_[0-9a-f]{32}_[A-Za-z0-9_]+$/i;
/** What a property name may contain: it goes into a URL query unescaped. */
const PROPERTY_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * Normalises an app id given with or without dashes, in any case, to the form Graph uses in extension property names
 * (32 lowercase hex digits). Throws UsageError when it is not an app id.
 */
export function normaliseAppId(appId: string): string {
  const compact = appId.trim().replaceAll("-", "").toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(compact)) {
    throw new UsageError(
      "entra.invalid_app_id",
      `"${appId}" is not an application id: --custom-attr-app-id takes the GUID of the app that owns the directory extensions.`,
    );
  }
  return compact;
}

/**
 * Resolves one requested attribute name to the Graph property that holds it. Pure; used both to build `$select` and to
 * read values back (see `readGraphAttribute`). Throws UsageError for a name that cannot be a Graph property.
 */
export function resolveGraphAttribute(name: string, customAttrAppId?: string): GraphAttribute {
  if (!PROPERTY_NAME_PATTERN.test(name)) {
    throw new UsageError(
      "entra.invalid_attribute",
      `"${name}" is not a valid attribute name: use a Graph user property, extensionAttribute1-15 or a directory extension name.`,
    );
  }
  const onPremises = ON_PREMISES_PATTERN.exec(name);
  if (onPremises) {
    return {
      requested: name,
      select: "onPremisesExtensionAttributes",
      nestedKey: `extensionAttribute${onPremises[1]}`,
      source: "onPremises",
    };
  }
  if (DIRECTORY_EXTENSION_PATTERN.test(name)) return { requested: name, select: name, source: "directoryExtension" };
  const standard = STANDARD_BY_LOWER.get(name.toLowerCase());
  if (standard !== undefined) return { requested: name, select: standard, source: "standard" };
  if (customAttrAppId !== undefined && customAttrAppId !== "") {
    return {
      requested: name,
      select: `extension_${normaliseAppId(customAttrAppId)}_${name}`,
      source: "directoryExtension",
    };
  }
  return { requested: name, select: name, source: "unknown" };
}

/** The `$select` list for users: the four properties always read, then each attribute's property, without repeats. */
export function userSelect(attributes: readonly GraphAttribute[]): string[] {
  const select = ["id", "userPrincipalName", "mail", "accountEnabled"];
  for (const a of attributes) if (!select.includes(a.select)) select.push(a.select);
  return select;
}

/** Reads one attribute from a Graph user object as returned with `$select`. Absent or null is null. */
export function readGraphAttribute(user: Readonly<Record<string, unknown>>, attribute: GraphAttribute): AttributeValue {
  const holder = propertyOf(user, attribute.select);
  if (attribute.nestedKey === undefined) return toAttributeValue(holder);
  if (holder === null || typeof holder !== "object" || Array.isArray(holder)) return null;
  return toAttributeValue(propertyOf(holder as Record<string, unknown>, attribute.nestedKey));
}

/** Graph treats property names case-insensitively; read the exact key first, then any casing. */
function propertyOf(object: Readonly<Record<string, unknown>>, key: string): unknown {
  if (Object.hasOwn(object, key)) return object[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(object)) if (k.toLowerCase() === lower) return object[k];
  return undefined;
}

/** string → string; array → string[]; number/boolean → String(v); absent, null or an object → null. */
export function toAttributeValue(value: unknown): AttributeValue {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) {
    const out: string[] = [];
    for (const v of value) {
      if (typeof v === "string") out.push(v);
      else if (typeof v === "number" || typeof v === "boolean") out.push(String(v));
    }
    return out;
  }
  return null;
}
