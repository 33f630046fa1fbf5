import type { MemberKind } from "./directory-types.js";
import { badRequest, type GraphResponse, notFound, textOk, unsupportedQuery } from "./graph-response.js";
import { evaluateFilter } from "./odata-filter.js";
import { type ODataQuery, requireAdvancedWhereNeeded } from "./odata-query.js";
import { followSkipToken, pagedResponse, validateFilterProperties } from "./paged-response.js";
import { contextUrl, projectGroup, projectUser, resolveSelect, withODataType } from "./project-object.js";
import type { GraphRequest, SimContext } from "./sim-context.js";

/** One object of a directory-object relationship (a member, or a group an object is a member of). */
export interface DirectoryReference {
  id: string;
  kind: MemberKind;
}

/** What to serve: the relationship of one owner object. */
export interface DirectoryObjectListTarget {
  /** The owner's id as the request named it (quoted in the 404). */
  ownerKey: string;
  /** The relationship's objects, in Graph's order; `undefined` when the owner does not exist (→ 404). */
  references: () => DirectoryReference[] | undefined;
  /** The OData cast segment, when one was given: only that kind is listed and no `@odata.type` is added. */
  cast: MemberKind | undefined;
  /** A `/$count` segment: plain-text count, only with `ConsistencyLevel: eventual`. */
  countOnly: boolean;
}

/**
 * Serves a directory-object relationship (`/members`, `/transitiveMembers`, `/memberOf`, `/transitiveMemberOf`;
 * contract §1.2): `$select` checked against the cast type (else `directoryObject`), `$filter` only with advanced query
 * parameters, `$top` ≤ 999, pages behind absolute nextLinks. Mixed lists carry `@odata.type` on every item; cast lists
 * (`@odata.context` `#users` / `#groups`) carry none. An unknown owner is 404 `Request_ResourceNotFound`; a followed
 * `$skiptoken` serves its snapshot even after the owner was deleted.
 */
export function serveDirectoryObjects(
  ctx: SimContext,
  req: GraphRequest,
  query: ODataQuery,
  target: DirectoryObjectListTarget,
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
  const references = target.references();
  if (!references) return notFound(target.ownerKey, req.ids);

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
