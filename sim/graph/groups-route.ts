import type { SimGroup } from "./directory-types.js";
import { badRequest, type GraphResponse, jsonOk, notFound, textOk } from "./graph-response.js";
import { evaluateFilter } from "./odata-filter.js";
import { type ODataQuery, requireAdvancedWhereNeeded } from "./odata-query.js";
import { followSkipToken, matchesSearch, pagedResponse, sortBy, validateFilterProperties } from "./paged-response.js";
import { contextUrl, projectGroup, projectUser, resolveSelect, withODataType } from "./project-object.js";
import type { GraphRequest, SimContext } from "./sim-context.js";

/** `$expand=members` returns at most 20 members and no nextLink (contract §1.1). */
const EXPAND_LIMIT = 20;

/** `GET /groups`: `$filter`, `$select`, `$top`, `$count`, `$orderby`, `$search`, `$expand=members` (contract §1.1). */
export function listGroups(ctx: SimContext, req: GraphRequest, query: ODataQuery): GraphResponse {
  const select = resolveSelect(query.select, ["group"]);
  const context = contextUrl(ctx.baseUrl, "groups", select);
  if (query.skipToken !== undefined) return followSkipToken(ctx, query.skipToken, context);
  const groups = selectGroups(ctx, query);
  const expand = expandMembers(query);
  const items = groups.map((group) => {
    const body = projectGroup(group, select);
    return expand ? { ...body, members: expandedMembers(ctx, group.id) } : body;
  });
  return pagedResponse(ctx, req, query, items, context, query.advanced ? items.length : undefined);
}

/** `GET /groups/$count`: plain-text count, only with `ConsistencyLevel: eventual` (contract §1.1). */
export function countGroups(ctx: SimContext, query: ODataQuery): GraphResponse {
  if (!query.consistencyEventual) throw badRequest("$count is not currently supported.");
  return textOk(String(selectGroups(ctx, { ...query, advanced: true }).length));
}

/** `GET /groups/{id}`. */
export function getGroup(ctx: SimContext, req: GraphRequest, query: ODataQuery, id: string): GraphResponse {
  const select = resolveSelect(query.select, ["group"]);
  const group = ctx.directory.getGroup(id);
  if (!group) return notFound(id, req.ids);
  const body = projectGroup(group, select);
  const expanded = expandMembers(query) ? { members: expandedMembers(ctx, group.id) } : {};
  return jsonOk({ "@odata.context": contextUrl(ctx.baseUrl, "groups", select, "/$entity"), ...body, ...expanded });
}

function selectGroups(ctx: SimContext, query: ODataQuery): SimGroup[] {
  requireAdvancedWhereNeeded(query);
  validateFilterProperties(query.filter, ["group"], query.advanced);
  const filter = query.filter;
  let groups = ctx.directory.listGroups();
  if (filter) groups = groups.filter((group) => evaluateFilter(filter, group));
  const search = query.search;
  if (search !== undefined) groups = groups.filter((group) => matchesSearch(search, group));
  if (query.orderBy) sortBy(groups, query.orderBy.property, query.orderBy.descending);
  return groups;
}

function expandMembers(query: ODataQuery): boolean {
  if (query.expand === undefined) return false;
  if (query.expand.trim().toLowerCase() !== "members") {
    throw badRequest(`Could not find a property named '${query.expand}' on type 'microsoft.graph.group'.`);
  }
  return true;
}

function expandedMembers(ctx: SimContext, groupId: string): Array<Record<string, unknown>> {
  return ctx.directory
    .membersOf(groupId)
    .slice(0, EXPAND_LIMIT)
    .flatMap((member) => {
      const user = member.kind === "user" ? ctx.directory.getUser(member.id) : undefined;
      const group = member.kind === "group" ? ctx.directory.getGroup(member.id) : undefined;
      if (user) return [withODataType("user", projectUser(user, undefined))];
      if (group) return [withODataType("group", projectGroup(group, undefined))];
      return [];
    });
}
