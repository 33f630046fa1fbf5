import type { Logger } from "../logging/logger.js";
import type { GraphHttp } from "./graph-http.js";
import { isGone, parseIdPage } from "./id-page.js";
import { type EntraIdentity, mapGraphFailure } from "./map-graph-failure.js";

export interface ListAncestorGroupsDeps {
  http: GraphHttp;
  identity: EntraIdentity;
  logger: Logger;
}

/**
 * `EntraChangeFeed.listAncestorGroups`: the ids (lowercase, each once, in Graph's order) of every group containing
 * `groupId` directly or through nesting. GETs
 * `/groups/{id}/transitiveMemberOf/microsoft.graph.group?$select=id&$top=999`, then every `@odata.nextLink` whole
 * (also past empty pages). No ConsistencyLevel header: the eventual-consistency index may lag behind the change that
 * prompted the call (contract §1.2). `groupId` itself is never returned, even when a nesting cycle leads back to it.
 *
 * Errors: a 404 `Request_ResourceNotFound` (on any page: the group is gone) yields `[]`. Throttling and unavailability
 * (429/503/504) are retried inside `GraphHttp` with `Retry-After`; other failures, a 404 without that code included
 * (a wrong endpoint, not a missing group), map through `mapGraphFailure`. An unreadable page throws ServiceError
 * `entra.protocol`; an empty `groupId` is a programmer `RangeError`.
 */
export async function listAncestorGroups(
  groupId: string,
  options: { abortSignal?: AbortSignal },
  deps: ListAncestorGroupsDeps,
): Promise<string[]> {
  const self = groupId.trim().toLowerCase();
  if (self === "") throw new RangeError("listAncestorGroups needs a group id");
  const what = `the groups containing group ${self}`;
  const ancestors = new Set<string>();
  let url: string | undefined =
    `/groups/${encodeURIComponent(self)}/transitiveMemberOf/microsoft.graph.group?$select=id&$top=999`;
  let pages = 0;
  while (url !== undefined) {
    const outcome = await deps.http.get(url, options.abortSignal);
    pages++;
    if (!outcome.ok) {
      if (isGone(outcome.failure)) {
        deps.logger.debug(`Entra: group ${self} no longer exists; it has no ancestors`);
        return [];
      }
      throw mapGraphFailure(outcome.failure, what, deps.identity);
    }
    const page = parseIdPage(outcome.body, what);
    for (const ancestor of page.ids) if (ancestor !== self) ancestors.add(ancestor);
    url = page.nextLink;
  }
  deps.logger.debug(`Entra: group ${self} is in ${ancestors.size} group(s), read in ${pages} page(s)`);
  return [...ancestors];
}
