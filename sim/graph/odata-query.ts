import { badRequest, unsupportedQuery } from "./graph-response.js";
import { advancedOperatorIn, type FilterExpr, parseFilter } from "./odata-filter.js";

/** The system query options of one request, parsed and range-checked. */
export interface ODataQuery {
  select?: string[];
  top?: number;
  filter?: FilterExpr;
  /** `$count=true` was sent. */
  countRequested: boolean;
  /** `ConsistencyLevel: eventual` and `$count=true`: advanced query parameters are in force (contract §1.1). */
  advanced: boolean;
  consistencyEventual: boolean;
  expand?: string;
  orderBy?: { property: string; descending: boolean };
  search?: string;
  skipToken?: string;
  /** `undefined` when absent; `""` for an empty `$deltatoken=` (the 410 `Location` form, contract §2). */
  deltaToken?: string;
}

const KNOWN_OPTIONS = new Set([
  "$select",
  "$top",
  "$filter",
  "$count",
  "$expand",
  "$orderby",
  "$search",
  "$skiptoken",
  "$deltatoken",
  "$skip",
]);

/** Maximum `$top` for directory lists (contract §1.1). */
export const MAX_TOP = 999;

/** Parses the query string; option names are case-insensitive. Invalid values become Graph 400s. */
export function parseODataQuery(params: URLSearchParams, headers: Record<string, string>): ODataQuery {
  const options = new Map<string, string>();
  for (const [name, value] of params) {
    const key = name.toLowerCase();
    if (!key.startsWith("$")) continue;
    if (!KNOWN_OPTIONS.has(key)) throw badRequest(`Query option '${name}' is not allowed.`, "BadRequest");
    options.set(key, value);
  }
  if (options.has("$skip")) throw badRequest("'$skip' is not supported by the service.");

  const consistencyEventual = (headers.consistencylevel ?? "").toLowerCase() === "eventual";
  const count = options.get("$count");
  if (count !== undefined && !/^(true|false)$/i.test(count)) throw badRequest(`Invalid value '${count}' for $count.`);
  const countRequested = count?.toLowerCase() === "true";
  const advanced = consistencyEventual && countRequested;

  const query: ODataQuery = { countRequested, advanced, consistencyEventual };
  const select = options.get("$select");
  if (select !== undefined)
    query.select = select
      .split(",")
      .map((name) => name.trim())
      .filter(Boolean);
  const top = options.get("$top");
  if (top !== undefined) query.top = parseTop(top);
  const filter = options.get("$filter");
  if (filter !== undefined && filter.trim() !== "") query.filter = parseFilter(filter);
  const expand = options.get("$expand");
  if (expand !== undefined) query.expand = expand;
  const orderBy = options.get("$orderby");
  if (orderBy !== undefined) query.orderBy = parseOrderBy(orderBy);
  const search = options.get("$search");
  if (search !== undefined) query.search = search;
  const skipToken = options.get("$skiptoken");
  if (skipToken !== undefined) query.skipToken = skipToken;
  const deltaToken = options.get("$deltatoken");
  if (deltaToken !== undefined) query.deltaToken = deltaToken;
  return query;
}

/**
 * Rejects what Entra rejects without advanced query parameters (contract §1.1): `ne`/`not`/`endsWith`,
 * `$filter` with `$orderby`, and `$search` without `ConsistencyLevel: eventual`.
 */
export function requireAdvancedWhereNeeded(query: ODataQuery): void {
  if (query.filter && !query.advanced) {
    const operator = advancedOperatorIn(query.filter);
    if (operator) {
      throw unsupportedQuery(
        `Operator '${operator}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information`,
      );
    }
    if (query.orderBy) throw unsupportedQuery("Sorting not supported for current query.");
  }
  if (query.search !== undefined && !query.consistencyEventual) {
    throw badRequest(
      "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
    );
  }
}

function parseTop(raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > MAX_TOP) {
    throw unsupportedQuery(`Invalid page size specified: '${raw}'. Must be between 1 and ${MAX_TOP} inclusive.`);
  }
  return value;
}

function parseOrderBy(raw: string): { property: string; descending: boolean } {
  const match = /^\s*([A-Za-z0-9_]+)(?:\s+(asc|desc))?\s*$/i.exec(raw);
  if (!match?.[1]) throw badRequest(`Invalid $orderby value '${raw}'.`, "BadRequest");
  return { property: match[1], descending: match[2]?.toLowerCase() === "desc" };
}
