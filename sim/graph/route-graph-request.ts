import { handleBatch } from "./batch-route.js";
import { deltaRoute } from "./delta-route.js";
import { GraphRequestError, type GraphResponse, graphError } from "./graph-response.js";
import { countGroups, getGroup, listGroups } from "./groups-route.js";
import { parseODataQuery } from "./odata-query.js";
import { type RelationSegments, relationRoute } from "./relation-route.js";
import { resourceUnits } from "./resource-units.js";
import type { GraphRequest, SimContext } from "./sim-context.js";
import {
  createSubscription,
  deleteSubscription,
  getSubscription,
  listSubscriptions,
  reauthorizeSubscription,
  renewSubscription,
} from "./subscriptions-route.js";
import { countUsers, getUser, listUsers } from "./users-route.js";

interface RouteMatch {
  /** Normalised route for the request log, e.g. `GET /groups/{id}/members`. */
  route: string;
  method: string;
  run: () => GraphResponse | Promise<GraphResponse>;
}

/**
 * Answers one Graph request (below `/v1.0`), whether it came over HTTP or inside a `$batch`: route, charge
 * resource units, apply an injected fault if one matches, run the handler. Every outcome is a `GraphResponse`;
 * handler errors become Graph's error envelope, never a crash.
 */
export async function routeGraphRequest(ctx: SimContext, req: GraphRequest): Promise<GraphResponse> {
  let match: RouteMatch | undefined;
  try {
    match = matchRoute(ctx, req);
  } catch (error) {
    return finish(toErrorResponse(error, req), `${req.method} ${req.path}`, 1);
  }
  if (!match) {
    // Name the segment Graph could not resolve: the root when unknown, else the last one.
    const segments = req.path.split("/").filter(Boolean);
    const knownRoot = /^(groups|users|subscriptions)$/i.test(segments[0] ?? "");
    const segment = (knownRoot ? segments[segments.length - 1] : segments[0]) ?? "";
    const response = graphError(400, "BadRequest", `Resource not found for the segment '${segment}'.`, req.ids);
    return finish(response, `${req.method} ${req.path}`, 1);
  }
  const cost = resourceUnits(match.route, req.params);
  if (match.method !== req.method.toUpperCase()) {
    const response = graphError(
      405,
      "Request_BadRequest",
      "Specified HTTP method is not allowed for the request target.",
      req.ids,
    );
    return finish(response, `${req.method.toUpperCase()} ${match.route.slice(match.route.indexOf(" ") + 1)}`, cost);
  }
  const query = req.params.toString();
  const fault = ctx.faults.take(`/v1.0${req.path}${query ? `?${decodeSafely(query)}` : ""}`, true, req.ids);
  if (fault) return finish(fault, match.route, cost);
  let response: GraphResponse;
  try {
    response = await match.run();
  } catch (error) {
    response = toErrorResponse(error, req);
  }
  return finish(response, match.route, cost);
}

function finish(response: GraphResponse, route: string, cost: number): GraphResponse {
  const units = response.resourceUnits ?? cost;
  return {
    ...response,
    route: response.route ?? route,
    resourceUnits: units,
    headers: { ...response.headers, "x-ms-resource-unit": String(units) },
  };
}

function toErrorResponse(error: unknown, req: GraphRequest): GraphResponse {
  if (error instanceof GraphRequestError)
    return graphError(error.status, error.code, error.message, req.ids, error.headers);
  process.stderr.write(`graph-sim: handler failed for ${req.method} ${req.path}: ${String(error)}\n`);
  return graphError(500, "generalException", "An unspecified error has occurred.", req.ids);
}

function matchRoute(ctx: SimContext, req: GraphRequest): RouteMatch | undefined {
  const segments = req.path
    .split("/")
    .filter(Boolean)
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw new GraphRequestError(400, "BadRequest", "Invalid URL encoding.");
      }
    });
  const [root, second, third, fourth, fifth, ...extra] = segments;
  const lowerRoot = root?.toLowerCase();
  const query = () => parseODataQuery(req.params, req.headers);
  const get = (route: string, run: () => GraphResponse): RouteMatch => ({ route: `GET ${route}`, method: "GET", run });

  if (lowerRoot === "$batch" && second === undefined) {
    return { route: "POST /$batch", method: "POST", run: () => handleBatch(ctx, req, routeGraphRequest) };
  }
  const keyed = /^(users|groups)\('(.+)'\)$/i.exec(root ?? "");
  if (keyed?.[2] && second === undefined) {
    const key = keyed[2].replace(/''/g, "'");
    return keyed[1]?.toLowerCase() === "users"
      ? get("/users/{id}", () => getUser(ctx, req, query(), key))
      : get("/groups/{id}", () => getGroup(ctx, req, query(), key));
  }
  if (lowerRoot === "subscriptions") return subscriptionRoute(ctx, req, second, third, fourth !== undefined);
  if (lowerRoot === "groups") {
    if (second === undefined) return get("/groups", () => listGroups(ctx, req, query()));
    const lowerSecond = second.toLowerCase();
    if (third === undefined && lowerSecond === "$count") return get("/groups/$count", () => countGroups(ctx, query()));
    if (third === undefined && (lowerSecond === "delta" || lowerSecond === "delta()")) {
      return get("/groups/delta", () => deltaRoute(ctx, query(), "groups"));
    }
    if (third === undefined) return get("/groups/{id}", () => getGroup(ctx, req, query(), second));
    return relationRoute(ctx, req, "group", second, relationSegments(third, fourth, fifth, extra));
  }
  if (lowerRoot === "users") {
    if (second === undefined) return get("/users", () => listUsers(ctx, req, query()));
    const lowerSecond = second.toLowerCase();
    if (third !== undefined) {
      return relationRoute(ctx, req, "user", second, relationSegments(third, fourth, fifth, extra));
    }
    if (lowerSecond === "$count") return get("/users/$count", () => countUsers(ctx, query()));
    if (lowerSecond === "delta" || lowerSecond === "delta()") {
      return get("/users/delta", () => deltaRoute(ctx, query(), "users"));
    }
    return get("/users/{id}", () => getUser(ctx, req, query(), second));
  }
  return undefined;
}

/**
 * `/subscriptions`: POST (create) and GET (list); `/subscriptions/{id}`: GET, PATCH, DELETE;
 * `/subscriptions/{id}/reauthorize`: POST. Another method on a known path gets 405 from the router.
 */
function subscriptionRoute(
  ctx: SimContext,
  req: GraphRequest,
  id: string | undefined,
  action: string | undefined,
  tooLong: boolean,
): RouteMatch | undefined {
  const method = req.method.toUpperCase();
  const match = (verb: string, route: string, run: () => GraphResponse | Promise<GraphResponse>): RouteMatch => ({
    route: `${verb} ${route}`,
    method: verb,
    run,
  });
  if (tooLong) return undefined;
  if (id === undefined) {
    if (method === "GET") return match("GET", "/subscriptions", () => listSubscriptions(ctx));
    return match("POST", "/subscriptions", () => createSubscription(ctx, req));
  }
  if (action === undefined) {
    if (method === "PATCH") return match("PATCH", "/subscriptions/{id}", () => renewSubscription(ctx, req, id));
    if (method === "DELETE") return match("DELETE", "/subscriptions/{id}", () => deleteSubscription(ctx, id));
    return match("GET", "/subscriptions/{id}", () => getSubscription(ctx, id));
  }
  if (action.toLowerCase() !== "reauthorize") return undefined;
  return match("POST", "/subscriptions/{id}/reauthorize", () => reauthorizeSubscription(ctx, id));
}

/** The segments after `/{groups|users}/{id}/`, for `relationRoute`. */
function relationSegments(
  relation: string,
  castOrCount: string | undefined,
  count: string | undefined,
  extra: string[],
): RelationSegments {
  return { relation, castOrCount, count, tooLong: extra.length > 0 };
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
}

/** The normalised route of a request without running it (for logging requests refused before routing). */
export function describeRoute(ctx: SimContext, req: GraphRequest): string {
  try {
    return matchRoute(ctx, req)?.route ?? `${req.method} ${req.path}`;
  } catch {
    return `${req.method} ${req.path}`;
  }
}
