import type { MemberKind } from "./directory-types.js";
import { badRequest, GraphRequestError, type GraphResponse, jsonOk, unsupportedQuery } from "./graph-response.js";
import { type FilterExpr, filterProperties, readProperty } from "./odata-filter.js";
import type { ODataQuery } from "./odata-query.js";
import { splitPages } from "./page-store.js";
import { GROUP_PROPERTIES, USER_PROPERTIES } from "./project-object.js";
import type { GraphRequest, SimContext } from "./sim-context.js";

/**
 * Serves a list: page 0 now, the rest behind `@odata.nextLink` (absolute, on the simulator's base URL, with an opaque
 * `$skiptoken`; contract §1.1). `@odata.count` appears on page 0 only, and only when `count` is given.
 */
export function pagedResponse(
  ctx: SimContext,
  req: GraphRequest,
  query: ODataQuery,
  items: unknown[],
  context: string,
  count?: number,
): GraphResponse {
  const pageSize = Math.min(query.top ?? ctx.settings.defaultPageSize, ctx.settings.maxPageSize);
  const pages = splitPages(items, pageSize, ctx.settings.shortPages);
  const page = ctx.pages.open(pages, nextLinkPrefix(ctx.baseUrl, req), context, {}, req.path);
  return jsonOk({
    "@odata.context": page.context,
    ...(count !== undefined ? { "@odata.count": count } : {}),
    ...(page.nextLink ? { "@odata.nextLink": page.nextLink } : {}),
    value: page.value,
  });
}

/** Serves the page behind `$skiptoken`; an unknown token is Entra's expired-page-token 400. */
export function followSkipToken(ctx: SimContext, token: string, context: string): GraphResponse {
  const page = ctx.pages.follow(token, context);
  if (!page) {
    throw new GraphRequestError(
      400,
      "Directory_ExpiredPageToken",
      "The specified page token value has expired and can no longer be included in your request.",
    );
  }
  return jsonOk({
    "@odata.context": page.context,
    ...(page.nextLink ? { "@odata.nextLink": page.nextLink } : {}),
    ...(page.deltaLink ? { "@odata.deltaLink": page.deltaLink } : {}),
    value: page.value,
  });
}

/** `<base>/v1.0<path>?<original options>&$skiptoken=`; option values percent-encoded, names kept as sent. */
function nextLinkPrefix(baseUrl: string, req: GraphRequest): string {
  const parts: string[] = [];
  for (const [name, value] of req.params) {
    if (name.toLowerCase() === "$skiptoken") continue;
    parts.push(`${name}=${encodeURIComponent(value)}`);
  }
  parts.push("$skiptoken=");
  return `${baseUrl}/v1.0${encodePath(req.path)}?${parts.join("&")}`;
}

function encodePath(path: string): string {
  return path
    .split("/")
    .map((segment) => encodeURIComponent(segment).replace(/%24/g, "$").replace(/%40/g, "@"))
    .join("/");
}

/**
 * Rejects filters on properties the entity type lacks (400 naming the type) and, without advanced query
 * parameters, filters on `onPremisesExtensionAttributes/*` (contract §1.3: needs advanced queries).
 */
export function validateFilterProperties(filter: FilterExpr | undefined, kinds: MemberKind[], advanced: boolean): void {
  if (!filter) return;
  const known = new Set<string>();
  if (kinds.includes("user")) for (const name of USER_PROPERTIES) known.add(name.toLowerCase());
  if (kinds.includes("group")) for (const name of GROUP_PROPERTIES) known.add(name.toLowerCase());
  const typeName = kinds.length === 1 ? `microsoft.graph.${kinds[0]}` : "microsoft.graph.directoryObject";
  for (const property of filterProperties(filter)) {
    const [head = "", child] = property.toLowerCase().split("/");
    if (!known.has(head)) throw badRequest(`Could not find a property named '${property}' on type '${typeName}'.`);
    if (child !== undefined) {
      if (head !== "onpremisesextensionattributes" || !/^extensionattribute([1-9]|1[0-5])$/.test(child)) {
        throw badRequest(`Could not find a property named '${property}' on type '${typeName}'.`);
      }
      if (!advanced) {
        throw unsupportedQuery(
          `Unsupported or invalid query filter clause specified for property '${property}' of resource 'User'.`,
        );
      }
    }
  }
}

/** Applies `$search="property:text"` (substring, case-insensitive); Entra's tokenised search is approximated. */
export function matchesSearch(search: string, item: object): boolean {
  const clauses = [...search.matchAll(/"([^":]+):([^"]*)"/g)];
  if (clauses.length === 0) throw badRequest("Syntax error: invalid $search clause.", "BadRequest");
  return clauses.some(([, property = "", text = ""]) => {
    const value = readProperty(item, property);
    return typeof value === "string" && value.toLowerCase().includes(text.toLowerCase());
  });
}

/** Sorts in place by one property, `null` first, strings case-insensitively. */
export function sortBy<T extends object>(items: T[], property: string, descending: boolean): T[] {
  const key = (item: T): string => {
    const value = readProperty(item, property);
    return value === null || value === undefined ? "" : String(value).toLowerCase();
  };
  items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) * (descending ? -1 : 1));
  return items;
}
