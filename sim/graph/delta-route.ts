import { changesRound, type DeltaObject, initialRound, type MemberRef } from "./delta-round.js";
import { type DeltaState, decodeDeltaToken, encodeDeltaToken } from "./delta-token.js";
import { badRequest, GraphRequestError, type GraphResponse, jsonOk, unsupportedQuery } from "./graph-response.js";
import type { FilterExpr } from "./odata-filter.js";
import type { ODataQuery } from "./odata-query.js";
import { followSkipToken } from "./paged-response.js";
import { contextUrl, resolveSelect } from "./project-object.js";
import type { SimContext } from "./sim-context.js";

/** At most 50 ids in a delta `$filter` (group-delta.md, contract §2). */
const MAX_FILTER_IDS = 50;

/**
 * `GET /groups/delta` and `/users/delta` (contract §2). Initial round → pages of current state (`$skiptoken`) →
 * final page with `@odata.deltaLink`; following the deltaLink returns the changes since. `$deltatoken=latest` gives a
 * deltaLink and no data. `$top` is ignored. Tokens past their lifetime (sim clock) → 400 `syncStateNotFound`;
 * `faults.resetDeltaTokens()` → 410 Gone with `Location` set to the initial query.
 */
export function deltaRoute(ctx: SimContext, query: ODataQuery, resource: "groups" | "users"): GraphResponse {
  const plainContext = contextUrl(ctx.baseUrl, resource, undefined);
  if (query.skipToken !== undefined) {
    if (ctx.faults.takeDeltaReset()) return resetResponse(ctx, resource, ctx.pages.originOf(query.skipToken) ?? "");
    return followSkipToken(ctx, query.skipToken, plainContext);
  }
  const now = ctx.settings.now().getTime();
  if (query.deltaToken !== undefined && query.deltaToken !== "" && query.deltaToken.toLowerCase() !== "latest") {
    const state = decodeDeltaToken(query.deltaToken, resource);
    if (!state) throw badRequest("The delta token is not valid for this request.");
    if (ctx.faults.takeDeltaReset()) return resetResponse(ctx, resource, originQuery(state));
    if (now - state.issuedAt > ctx.settings.deltaTokenLifetimeMs) {
      // Directory delta tokens last seven days; then BadRequest syncStateNotFound (devblog 2020-07-03, contract §2).
      throw new GraphRequestError(
        400,
        "syncStateNotFound",
        "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
      );
    }
    const upTo = visibleSeq(ctx, state.seq, now);
    const objects = changesRound(ctx, state, upTo, ctx.faults.takeDeltaReplay());
    return serveRound(ctx, objects, { ...state, seq: upTo, issuedAt: now }, plainContext);
  }

  if (query.expand !== undefined || query.orderBy !== undefined || query.search !== undefined) {
    throw unsupportedQuery();
  }
  const kind = resource === "users" ? "user" : "group";
  const select = resolveSelect(query.select, [kind], resource === "groups" ? ["members"] : []) ?? null;
  const ids = query.filter ? filterIds(query.filter) : null;
  const state: DeltaState = { resource, select, ids, seq: ctx.directory.currentSeq, issuedAt: now };
  const context = contextUrl(ctx.baseUrl, resource, select ?? undefined);
  if (query.deltaToken?.toLowerCase() === "latest") {
    return jsonOk({ "@odata.context": context, "@odata.deltaLink": deltaLink(ctx, state), value: [] });
  }
  return serveRound(ctx, initialRound(ctx, state), state, context);
}

/** Pages a round: at most `defaultPageSize` objects per page and members per object; slices of one group land on
 * different pages, so a big group repeats across pages (contract §2 "Paging through members in a large group"). */
function serveRound(ctx: SimContext, objects: DeltaObject[], next: DeltaState, context: string): GraphResponse {
  const size = ctx.settings.defaultPageSize;
  const pages: Array<Array<Record<string, unknown>>> = [[]];
  const pageIds: Array<Set<string>> = [new Set()];
  for (const object of objects) {
    for (const item of slices(object, size)) {
      let page = pages[pages.length - 1] ?? [];
      let ids = pageIds[pageIds.length - 1] ?? new Set<string>();
      if (page.length >= size || ids.has(object.id)) {
        page = [];
        ids = new Set();
        pages.push(page);
        pageIds.push(ids);
      }
      page.push(item);
      ids.add(object.id);
    }
  }
  const resource = next.resource;
  const linkPrefix = `${ctx.baseUrl}/v1.0/${resource}/delta?$skiptoken=`;
  const page = ctx.pages.open(pages, linkPrefix, context, { deltaLink: deltaLink(ctx, next) }, originQuery(next));
  return jsonOk({
    "@odata.context": page.context,
    ...(page.nextLink ? { "@odata.nextLink": page.nextLink } : {}),
    ...(page.deltaLink ? { "@odata.deltaLink": page.deltaLink } : {}),
    value: page.value,
  });
}

function slices(object: DeltaObject, size: number): Array<Record<string, unknown>> {
  if (!object.members || object.members.length === 0) return [object.body];
  const result: Array<Record<string, unknown>> = [];
  for (let offset = 0; offset < object.members.length; offset += size) {
    result.push({ ...object.body, "members@delta": object.members.slice(offset, offset + size).map(memberJson) });
  }
  return result;
}

function memberJson(member: MemberRef): Record<string, unknown> {
  const reference: Record<string, unknown> = { "@odata.type": `#microsoft.graph.${member.kind}`, id: member.id };
  // A removed member carries @removed with reason "deleted"; an added one carries no annotation (contract §2).
  if (member.removed) reference["@removed"] = { reason: "deleted" };
  return reference;
}

function deltaLink(ctx: SimContext, state: DeltaState): string {
  return `${ctx.baseUrl}/v1.0/${state.resource}/delta?$deltatoken=${encodeDeltaToken(state)}`;
}

/** The last change-log entry old enough to be visible (contract §2 "Processing delays"). */
function visibleSeq(ctx: SimContext, fromSeq: number, now: number): number {
  let upTo = fromSeq;
  for (const change of ctx.directory.changesSince(fromSeq)) {
    if (change.at > now - ctx.settings.deltaVisibilityDelayMs) break;
    upTo = change.seq;
  }
  return upTo;
}

/** `$select=…&$filter=…&` of the query a token continues, for the 410 `Location`. */
function originQuery(state: DeltaState): string {
  const parts: string[] = [];
  if (state.select) parts.push(`$select=${state.select.join(",")}`);
  if (state.ids) parts.push(`$filter=${encodeURIComponent(state.ids.map((id) => `id eq '${id}'`).join(" or "))}`);
  return parts.map((part) => `${part}&`).join("");
}

/** 410 Gone with `Location` = the initial query and an empty `$deltatoken` (contract §2 "Synchronization reset"). */
function resetResponse(ctx: SimContext, resource: "groups" | "users", origin: string): never {
  const location = `${ctx.baseUrl}/v1.0/${resource}/delta?${origin}$deltatoken=`;
  throw new GraphRequestError(
    410,
    "resyncRequired",
    "The delta token is no longer valid. Restart synchronization from the Location URL.",
    { Location: location },
  );
}

/** Only `id eq '…' [or id eq '…']`, at most 50 ids (contract §2); anything else is 400 `Request_UnsupportedQuery`. */
function filterIds(filter: FilterExpr): string[] {
  const ids: string[] = [];
  const walk = (expr: FilterExpr): void => {
    if (expr.kind === "or") {
      walk(expr.left);
      walk(expr.right);
    } else if (
      expr.kind === "compare" &&
      expr.op === "eq" &&
      expr.property.toLowerCase() === "id" &&
      typeof expr.value === "string"
    ) {
      ids.push(expr.value.toLowerCase());
    } else {
      throw unsupportedQuery();
    }
  };
  walk(filter);
  if (ids.length > MAX_FILTER_IDS) {
    throw unsupportedQuery(`Unsupported query. The filter may name at most ${MAX_FILTER_IDS} ids.`);
  }
  return ids;
}
