import { serveDirectoryObjects } from "./directory-object-list.js";
import type { MemberKind } from "./directory-types.js";
import { badRequest, type GraphResponse, unsupportedQuery } from "./graph-response.js";
import type { ODataQuery } from "./odata-query.js";
import type { GraphRequest, SimContext } from "./sim-context.js";

/** Which list: `/memberOf` (groups holding the object directly) or `/transitiveMemberOf` (directly or nested). */
export type MemberOfListKind = "memberOf" | "transitiveMemberOf";

/**
 * `GET /groups|users/{id}/memberOf|transitiveMemberOf[/microsoft.graph.group][/$count]`: the groups that contain a
 * group or a user. A user may also be named by its userPrincipalName. The simulator holds groups only (no directory
 * roles or administrative units), so every item is a group. Same query rules, shapes and paging as the member lists
 * (contract §1.2): mixed lists carry `@odata.type`, the cast list does not; cycles in nesting terminate and the
 * object itself is never listed; an unknown object is 404 `Request_ResourceNotFound`.
 */
export function listMemberOf(
  ctx: SimContext,
  req: GraphRequest,
  query: ODataQuery,
  target: { owner: MemberKind; key: string; list: MemberOfListKind; cast: "group" | undefined; countOnly: boolean },
): GraphResponse {
  const { directory } = ctx;
  return serveDirectoryObjects(ctx, req, query, {
    ownerKey: target.key,
    cast: target.cast,
    countOnly: target.countOnly,
    references: () => {
      const id =
        target.owner === "group"
          ? directory.getGroup(target.key)?.id
          : (directory.getUser(target.key) ?? directory.findUserByUpn(target.key))?.id;
      if (id === undefined) return undefined;
      return target.list === "memberOf" ? directory.groupsContaining(id) : directory.ancestorGroupsOf(id);
    },
  });
}

/**
 * Maps a cast segment of a memberOf list: `microsoft.graph.group` is served; a type that can never contain members
 * (user, service principal, contact, device, application) is 400 `Request_UnsupportedQuery`; directory roles and
 * administrative units are not simulated and, like any other segment, are 400 `BadRequest`.
 */
export function parseMemberOfCast(segment: string): "group" {
  const lower = segment.toLowerCase();
  if (lower === "microsoft.graph.group") return "group";
  if (/^microsoft\.graph\.(user|serviceprincipal|orgcontact|device|application)$/.test(lower)) {
    throw unsupportedQuery(`The type '${segment}' is not a supported type for this request.`);
  }
  throw badRequest(`Resource not found for the segment '${segment}'.`, "BadRequest");
}
