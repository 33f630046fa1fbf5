import type { MemberKind } from "./directory-types.js";
import type { GraphResponse } from "./graph-response.js";
import { listMemberOf, type MemberOfListKind, parseMemberOfCast } from "./member-of-route.js";
import { listMembers, type MemberListKind, parseMemberCast } from "./members-route.js";
import { parseODataQuery } from "./odata-query.js";
import type { GraphRequest, SimContext } from "./sim-context.js";

/** A routed relationship request: the normalised route for the log and its handler. */
export interface RelationMatch {
  /** e.g. `GET /groups/{id}/transitiveMemberOf/microsoft.graph.group`. */
  route: string;
  method: "GET";
  run: () => GraphResponse;
}

/** The path segments after `/{groups|users}/{id}`. */
export interface RelationSegments {
  relation: string;
  castOrCount: string | undefined;
  count: string | undefined;
  /** More segments than `relation/cast/$count` followed. */
  tooLong: boolean;
}

const GROUP_RELATIONS: Record<string, MemberListKind | MemberOfListKind> = {
  members: "members",
  transitivemembers: "transitiveMembers",
  memberof: "memberOf",
  transitivememberof: "transitiveMemberOf",
};
const USER_RELATIONS: Record<string, MemberOfListKind> = {
  memberof: "memberOf",
  transitivememberof: "transitiveMemberOf",
};

/**
 * Routes `/groups/{id}/{members|transitiveMembers|memberOf|transitiveMemberOf}[/<cast>][/$count]` and
 * `/users/{id}/{memberOf|transitiveMemberOf}[/<cast>][/$count]`; relation names are case-insensitive. Anything else
 * is `undefined` (the router's "Resource not found for the segment" 400). An unsupported cast fails when run.
 */
export function relationRoute(
  ctx: SimContext,
  req: GraphRequest,
  owner: MemberKind,
  key: string,
  segments: RelationSegments,
): RelationMatch | undefined {
  const { relation, castOrCount, count } = segments;
  const relations: Record<string, MemberListKind | MemberOfListKind> =
    owner === "group" ? GROUP_RELATIONS : USER_RELATIONS;
  const list = Object.hasOwn(relations, relation.toLowerCase()) ? relations[relation.toLowerCase()] : undefined;
  if (!list || segments.tooLong) return undefined;
  const countOnly = castOrCount === "$count" || count === "$count";
  if (count !== undefined && count !== "$count") return undefined;
  const castSegment = castOrCount !== undefined && castOrCount !== "$count" ? castOrCount : undefined;
  const castName = castSegment?.replace(/^microsoft\.graph\./i, "microsoft.graph.");
  if (castName && !castName.startsWith("microsoft.graph.")) return undefined;
  const route = `/${owner}s/{id}/${list}${castName ? `/${castName}` : ""}${countOnly ? "/$count" : ""}`;
  const run = (): GraphResponse => {
    const query = parseODataQuery(req.params, req.headers);
    if (list === "members" || list === "transitiveMembers") {
      const cast = castName ? parseMemberCast(castName) : undefined;
      return listMembers(ctx, req, query, { groupId: key, list, cast, countOnly });
    }
    const cast = castName ? parseMemberOfCast(castName) : undefined;
    return listMemberOf(ctx, req, query, { owner, key, list, cast, countOnly });
  };
  return { route: `GET ${route}`, method: "GET", run };
}
