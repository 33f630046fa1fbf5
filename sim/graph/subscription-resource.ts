import { GraphRequestError } from "./graph-response.js";
import type { SimDirectory } from "./sim-directory.js";

/**
 * What a subscription's `resource` watches, resolved once at creation: a whole collection (`groups`, `users`), one
 * object (`groups/{id}`, `users/{id}`), or one group's direct membership (`groups/{id}/members`).
 */
export type SubscriptionTarget =
  | { kind: "group" | "user"; scope: "collection" }
  | { kind: "group" | "user"; scope: "object"; id: string }
  | { kind: "group"; scope: "members"; id: string };

/** A directory object that changed, as a notification names it. */
export interface ChangedObject {
  kind: "group" | "user";
  id: string;
}

/**
 * Parses `resource` (no base URL; a leading `/` and any casing accepted) against the live directory.
 * Supported (contract §3.1): `groups`, `groups/{id}`, `groups/{id}/members`, `users`, `users/{id | userPrincipalName}`.
 * An unknown group or user id answers 404 `Request_ResourceNotFound`, the directory's own answer for a missing
 * object (contract §5). `groups/{id}/owners` is valid on Graph but the simulator models no owners, so it is refused
 * with 400 rather than accepted and silently never notified.
 */
export function parseSubscriptionResource(
  resource: string,
  directory: SimDirectory,
): SubscriptionTarget | GraphRequestError {
  const segments = resource.replace(/^\/+/, "").replace(/\/+$/, "").split("/");
  const [root, key, relation, ...rest] = segments.map((segment) => safeDecode(segment));
  const lowerRoot = root?.toLowerCase();
  const unsupported = new GraphRequestError(
    400,
    "InvalidRequest",
    `Resource '${resource}' is not supported for change notifications on users and groups.`,
  );
  if ((lowerRoot !== "groups" && lowerRoot !== "users") || rest.length > 0 || key === "") return unsupported;
  const kind = lowerRoot === "groups" ? "group" : "user";
  if (key === undefined) return { kind, scope: "collection" };
  const found = kind === "group" ? directory.getGroup(key) : (directory.getUser(key) ?? directory.findUserByUpn(key));
  if (relation === undefined) {
    if (!found) return missing(key);
    return { kind, scope: "object", id: found.id };
  }
  if (kind === "user" || relation.toLowerCase() !== "members") return unsupported;
  if (!found) return missing(key);
  return { kind: "group", scope: "members", id: found.id };
}

/** Whether a change to `object` is one the target watches (group property and membership changes alike). */
export function targetCovers(target: SubscriptionTarget, object: ChangedObject): boolean {
  if (target.kind !== object.kind) return false;
  return target.scope === "collection" || target.id === object.id;
}

function missing(key: string): GraphRequestError {
  return new GraphRequestError(
    404,
    "Request_ResourceNotFound",
    `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
