import type { MemberKind } from "./directory-types.js";
import { badRequest, type GraphResponse, notFound, textOk, unsupportedQuery } from "./graph-response.js";
import { evaluateFilter } from "./odata-filter.js";
import { type ODataQuery, requireAdvancedWhereNeeded } from "./odata-query.js";
import { followSkipToken, pagedResponse, validateFilterProperties } from "./paged-response.js";
import { contextUrl, projectGroup, projectUser, resolveSelect, withODataType } from "./project-object.js";
import type { GraphRequest, SimContext } from "./sim-context.js";

/** Which member list: `/members` (direct) or `/transitiveMembers` (flattened, nested groups included). */
export type MemberListKind = "members" | "transitiveMembers";

/**
 * `GET /groups/{id}/members|transitiveMembers[/microsoft.graph.user|group][/$count]` (contract §1.2).
 * Mixed lists carry `@odata.type`; cast lists do not. `$filter` on members needs advanced query parameters.
 */
export function listMembers(
  ctx: SimContext,
  req: GraphRequest,
  query: ODataQuery,
  target: { groupId: string; list: MemberListKind; cast: MemberKind | undefined; countOnly: boolean },
): GraphResponse {
  const kinds: MemberKind[] = target.cast ? [target.cast] : ["user", "group"];
  const select = resolveSelect(query.select, kinds);
  const entitySet = target.cast ? `${target.cast}s` : "directoryObjects";
  const context = contextUrl(ctx.baseUrl, entitySet, select);
  if (query.skipToken !== undefined && !target.countOnly) return followSkipToken(ctx, query.skipToken, context);

  requireAdvancedWhereNeeded(query);
  if (query.filter && !query.advanced) {
    throw unsupportedQuery(
      "Filter is not supported on this relationship without advanced query parameters. Try adding $count=true query parameter and ConsistencyLevel:eventual header.",
    );
  }
  validateFilterProperties(query.filter, kinds, query.advanced);
  if (!ctx.directory.getGroup(target.groupId)) return notFound(target.groupId, req.ids);

  const references =
    target.list === "members"
      ? ctx.directory.membersOf(target.groupId)
      : ctx.directory.transitiveMembersOf(target.groupId);
  const filter = query.filter;
  const items: Array<Record<string, unknown>> = [];
  for (const reference of references) {
    if (target.cast && reference.kind !== target.cast) continue;
    const user = reference.kind === "user" ? ctx.directory.getUser(reference.id) : undefined;
    const group = reference.kind === "group" ? ctx.directory.getGroup(reference.id) : undefined;
    const stored = user ?? group;
    if (!stored || (filter && !evaluateFilter(filter, stored))) continue;
    const body = user ? projectUser(user, select) : group ? projectGroup(group, select) : {};
    items.push(target.cast ? body : withODataType(reference.kind, body));
  }

  if (target.countOnly) {
    if (!query.consistencyEventual) throw badRequest("$count is not currently supported.");
    return textOk(String(items.length));
  }
  return pagedResponse(ctx, req, query, items, context, query.advanced ? items.length : undefined);
}

/** Maps a cast segment to a member kind; other directory types are unsupported member casts (contract §1.2). */
export function parseMemberCast(segment: string): MemberKind {
  const lower = segment.toLowerCase();
  if (lower === "microsoft.graph.user") return "user";
  if (lower === "microsoft.graph.group") return "group";
  if (/^microsoft\.graph\.(serviceprincipal|orgcontact|device|application)$/.test(lower)) {
    throw unsupportedQuery(`The type '${segment}' is not a supported member type for this request.`);
  }
  throw badRequest(`Resource not found for the segment '${segment}'.`, "BadRequest");
}
