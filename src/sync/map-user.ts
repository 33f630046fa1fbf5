import type { AttributeValue, DirectoryUser, MiUserExtras } from "./model.js";
import type { SyncOptions } from "./sync-options.js";
import { applyTransformations } from "./transformations/apply-transformations.js";

/** MI's limit on first and last names, in Unicode code points. */
export const MI_NAME_LIMIT = 100;

/** What an Entra user should look like in MI, after attribute mapping and transformations. */
export interface DesiredUser {
  entraUserId: string;
  /** Empty when the username attribute has no value: such a user cannot be synced. */
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  enabled: boolean;
  /** Extras the run manages: only the custom attributes and trusted-server username that options name. */
  extras: MiUserExtras | undefined;
  /** MI group names from `--map-attr-to-group` attributes. */
  attributeGroups: string[];
  /** Lowercased keys `--process-users` / `--username` may name: UPN, mail and the final username. */
  selectionKeys: string[];
  /** Notes for verbose output and warnings for the summary (truncated names). */
  notes: string[];
  warnings: string[];
}

/** The raw value of one attribute, whichever way the adapter returned it. */
export function attributeValue(user: DirectoryUser, name: string): AttributeValue {
  if (name === "userPrincipalName") return user.userPrincipalName;
  if (name === "mail") return user.mail;
  if (name === "id") return user.id;
  return user.attributes[name] ?? null;
}

function firstString(value: AttributeValue): string | null {
  if (value === null) return null;
  if (Array.isArray(value)) return value.find((v) => v.trim() !== "") ?? null;
  return value.trim() === "" ? null : value;
}

function allStrings(value: AttributeValue): string[] {
  if (value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => v.trim()).filter((v) => v !== "");
}

function truncate(value: string, field: string, username: string, warnings: string[]): string {
  const points = [...value];
  if (points.length <= MI_NAME_LIMIT) return value;
  warnings.push(`${username}: ${field} is ${points.length} characters; truncated to MI's limit of ${MI_NAME_LIMIT}`);
  return points.slice(0, MI_NAME_LIMIT).join("");
}

/** Maps one Entra user to its desired MI form. Pure. */
export function mapUser(user: DirectoryUser, options: SyncOptions): DesiredUser {
  const notes: string[] = [];
  const warnings: string[] = [];
  const transform = (attribute: string, value: string): string => {
    const result = applyTransformations(attribute, value, options.transformations);
    notes.push(...result.notes);
    return result.value;
  };
  const map = options.attributeMap;

  const rawUsername = firstString(attributeValue(user, map.username)) ?? "";
  const username = rawUsername === "" ? "" : transform("username", rawUsername).trim();
  const label = username || user.userPrincipalName;

  // cli.md rule 1: the mapped email attribute, else mail, else userPrincipalName; rules apply to the value so chosen.
  const rawEmail =
    firstString(attributeValue(user, map.email)) ?? firstString(user.mail) ?? firstString(user.userPrincipalName) ?? "";
  const email = rawEmail === "" ? "" : transform("email", rawEmail).trim();

  const rawFirst = firstString(attributeValue(user, map.firstName)) ?? "";
  const rawLast = firstString(attributeValue(user, map.lastName)) ?? "";
  const firstName = truncate(rawFirst === "" ? "" : transform("first_name", rawFirst), "first name", label, warnings);
  const lastName = truncate(rawLast === "" ? "" : transform("last_name", rawLast), "last name", label, warnings);

  let extras: MiUserExtras | undefined;
  if (options.customAttributes.length > 0 || options.trustedServerUsernameAttr) {
    const customAttributes: Record<string, string | null> = {};
    for (const name of options.customAttributes) {
      const values = allStrings(attributeValue(user, name));
      const joined = values.length === 0 ? null : values.join(",");
      customAttributes[name] = joined === null ? null : transform(name, joined);
    }
    extras = { customAttributes };
    if (options.trustedServerUsernameAttr) {
      const raw = firstString(attributeValue(user, options.trustedServerUsernameAttr));
      extras.trustedServerUsername = raw === null ? null : transform("trusted_server_username", raw);
    }
  }

  const attributeGroups = [
    ...new Set(options.mapAttrToGroup.flatMap((name) => allStrings(attributeValue(user, name)))),
  ].sort();

  const selectionKeys = [user.userPrincipalName, user.mail ?? "", username]
    .filter((k) => k !== "")
    .map((k) => k.toLowerCase());

  return {
    entraUserId: user.id,
    username,
    firstName,
    lastName,
    email,
    enabled: user.accountEnabled,
    extras,
    attributeGroups,
    selectionKeys: [...new Set(selectionKeys)],
    notes,
    warnings,
  };
}
