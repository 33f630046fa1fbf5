import type { SimUser } from "./directory-types.js";
import { badRequest, type GraphResponse, jsonOk, notFound, textOk } from "./graph-response.js";
import { evaluateFilter } from "./odata-filter.js";
import { type ODataQuery, requireAdvancedWhereNeeded } from "./odata-query.js";
import { followSkipToken, matchesSearch, pagedResponse, sortBy, validateFilterProperties } from "./paged-response.js";
import { contextUrl, projectUser, resolveSelect } from "./project-object.js";
import type { GraphRequest, SimContext } from "./sim-context.js";

/** `GET /users` with `$filter`, `$select`, `$top`, `$count`, `$orderby`, `$search` (contract §1). */
export function listUsers(ctx: SimContext, req: GraphRequest, query: ODataQuery): GraphResponse {
  const select = resolveSelect(query.select, ["user"]);
  const context = contextUrl(ctx.baseUrl, "users", select);
  if (query.skipToken !== undefined) return followSkipToken(ctx, query.skipToken, context);
  const items = selectUsers(ctx, query).map((user) => projectUser(user, select));
  return pagedResponse(ctx, req, query, items, context, query.advanced ? items.length : undefined);
}

/** `GET /users/$count` (plain text; needs `ConsistencyLevel: eventual`). */
export function countUsers(ctx: SimContext, query: ODataQuery): GraphResponse {
  if (!query.consistencyEventual) throw badRequest("$count is not currently supported.");
  return textOk(String(selectUsers(ctx, { ...query, advanced: true }).length));
}

/**
 * `GET /users/{id | userPrincipalName}` (contract §1.3). The key arrives percent-decoded, so a guest UPN sent with
 * `%23EXT%23` matches; a raw `#` never reaches the server (it starts the URL fragment) and so yields a 404.
 */
export function getUser(ctx: SimContext, req: GraphRequest, query: ODataQuery, key: string): GraphResponse {
  const select = resolveSelect(query.select, ["user"]);
  const user = ctx.directory.getUser(key) ?? ctx.directory.findUserByUpn(key);
  if (!user) return notFound(key, req.ids);
  return jsonOk({
    "@odata.context": contextUrl(ctx.baseUrl, "users", select, "/$entity"),
    ...projectUser(user, select),
  });
}

function selectUsers(ctx: SimContext, query: ODataQuery): SimUser[] {
  requireAdvancedWhereNeeded(query);
  validateFilterProperties(query.filter, ["user"], query.advanced);
  const filter = query.filter;
  let users = ctx.directory.listUsers();
  if (filter) users = users.filter((user) => evaluateFilter(filter, user));
  const search = query.search;
  if (search !== undefined) users = users.filter((user) => matchesSearch(search, user));
  if (query.orderBy) sortBy(users, query.orderBy.property, query.orderBy.descending);
  return users;
}
