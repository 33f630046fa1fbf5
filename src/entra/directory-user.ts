import { AuthError } from "../errors/sync-error.js";
import type { DirectoryUser } from "../sync/model.js";
import { type GraphAttribute, readGraphAttribute } from "./graph-attribute.js";
import type { EntraIdentity } from "./map-graph-failure.js";

/**
 * A Graph user object (as returned with `userSelect(attributes)` as `$select`) as the engine sees it: the four fixed
 * properties plus one value per requested attribute, keyed by the name as requested. Undefined when Graph hid
 * `id`, `userPrincipalName` or `accountEnabled` (the app may not read users). Used by member reads and users delta,
 * so both build users the same way.
 */
export function toDirectoryUser(
  item: Readonly<Record<string, unknown>>,
  attributes: readonly GraphAttribute[],
): DirectoryUser | undefined {
  const { id, userPrincipalName, mail, accountEnabled } = item;
  if (typeof id !== "string" || typeof userPrincipalName !== "string" || typeof accountEnabled !== "boolean") {
    return undefined;
  }
  // `mail` is often the UPN spelled again, and attributes repeat both: equal values share one string, so that a large
  // tenant's users (and the MI usernames and emails planned from them) do not hold each address two or three times.
  const share = <T>(value: T): T | string =>
    typeof value === "string" && value === userPrincipalName ? userPrincipalName : value;
  const values: DirectoryUser["attributes"] = {};
  for (const attribute of attributes) values[attribute.requested] = share(readGraphAttribute(item, attribute));
  return {
    id,
    userPrincipalName,
    mail: typeof mail === "string" ? share(mail) : null,
    accountEnabled,
    attributes: values,
  };
}

/** The error for a user object Graph returned without its selected properties; `where` says where ("of group …"). */
export function limitedUserError(userId: unknown, where: string, identity: EntraIdentity): AuthError {
  return new AuthError(
    "entra",
    "entra.forbidden",
    `Microsoft Graph returned user ${String(userId)}${where} without userPrincipalName or accountEnabled: client ${identity.clientId} may not read users. Grant the app the User.Read.All application permission with admin consent.`,
    { hint: "Grant GroupMember.Read.All and User.Read.All application permissions with admin consent." },
  );
}
