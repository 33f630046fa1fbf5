import { ServiceError } from "../errors/sync-error.js";
import type { DirectoryUser } from "../sync/model.js";
import { chunk } from "./chunk.js";
import { limitedUserError, toDirectoryUser } from "./directory-user.js";
import type { ChangeContext, ChangeContextInput, GroupNesting } from "./entra-change-feed.js";
import { resolveGraphAttribute, userSelect } from "./graph-attribute.js";
import { type BatchGet, type GraphOutcome, MAX_BATCH } from "./graph-http.js";
import { isGone, parseIdPage } from "./id-page.js";
import { mapGraphFailure } from "./map-graph-failure.js";
import type { DeltaRoundDeps } from "./read-delta-round.js";
import { unknownAttributeError } from "./unknown-attribute-error.js";

const userRequestId = (index: number): string => `user-${index}`;
const ancestorsRequestId = (index: number): string => `ancestors-${index}`;
const nestedRequestId = (index: number): string => `nested-${index}`;

/**
 * `EntraChangeFeed.readChangeContext`: everything the live path's fast path needs to know about one membership change
 * besides the delta itself, in as few `$batch` requests as Graph allows (one per 20 inner requests; one change needs
 * one):
 *
 * - each user: `GET /users/{id}?$select=<the run's attributes>` (the same `$select` and mapping as member reads); a
 *   404 `Request_ResourceNotFound` yields `null` (the user is gone);
 * - with `nesting`, for each group: `GET /groups/{id}/transitiveMemberOf/microsoft.graph.group?$select=id&$top=999` (the groups that
 *   contain the group) and `GET /groups/{id}/members/microsoft.graph.group?$select=id&$top=1` (whether it holds
 *   groups). A further page of either is not followed: the answer is then `complete: false` and the caller takes the
 *   full path.
 *
 * Errors: a failed inner request throws as the member reads do (`mapGraphFailure`; a 400 naming an unknown attribute
 * is UsageError `entra.unknown_attribute`); a user answer without its selected properties throws AuthError
 * `entra.forbidden`. Throttled inner requests are re-posted by `GraphHttp.batch`.
 */
export async function readChangeContext(input: ChangeContextInput, deps: DeltaRoundDeps): Promise<ChangeContext> {
  const attributes = input.attributes.map((name) => resolveGraphAttribute(name, input.customAttrAppId));
  const select = userSelect(attributes).join(",");
  const userIds = [...new Set(input.userIds)];
  const groupIds = [...new Set(input.groupIds.map((id) => id.toLowerCase()))];
  const requests: BatchGet[] = userIds.map((id, index) => ({
    id: userRequestId(index),
    url: `/users/${encodeURIComponent(id)}?$select=${select}`,
  }));
  if (input.nesting) {
    groupIds.forEach((id, index) => {
      const group = encodeURIComponent(id);
      requests.push(
        {
          id: ancestorsRequestId(index),
          url: `/groups/${group}/transitiveMemberOf/microsoft.graph.group?$select=id&$top=999`,
        },
        { id: nestedRequestId(index), url: `/groups/${group}/members/microsoft.graph.group?$select=id&$top=1` },
      );
    });
  }
  // The batches of a big round go out together: a round's latency is one $batch, not one per 20 requests.
  const outcomes = new Map<string, GraphOutcome>();
  const answers = await Promise.all(
    chunk(requests, MAX_BATCH).map((slice) => deps.http.batch(slice, input.abortSignal)),
  );
  for (const answer of answers) for (const [id, outcome] of answer) outcomes.set(id, outcome);

  const users = new Map<string, DirectoryUser | null>();
  userIds.forEach((id, index) => {
    const outcome = outcomes.get(userRequestId(index));
    const what = `user ${id}`;
    if (outcome === undefined) throw missingAnswer(what);
    if (!outcome.ok) {
      if (isGone(outcome.failure)) {
        users.set(id, null);
        return;
      }
      throw (
        unknownAttributeError(outcome.failure, attributes, input.customAttrAppId) ??
        mapGraphFailure(outcome.failure, what, deps.identity)
      );
    }
    const body = outcome.body;
    const user =
      typeof body === "object" && body !== null
        ? toDirectoryUser(body as Record<string, unknown>, attributes)
        : undefined;
    if (user === undefined) throw limitedUserError(id, "", deps.identity);
    users.set(id, user);
  });
  const nesting = new Map<string, GroupNesting>();
  if (!input.nesting) return { users, nesting };
  groupIds.forEach((self, index) => {
    const ancestors = readIdPage(outcomes.get(ancestorsRequestId(index)), `the groups containing group ${self}`, deps);
    const nested = readIdPage(outcomes.get(nestedRequestId(index)), `the groups inside group ${self}`, deps);
    nesting.set(self, {
      ancestors: ancestors.ids.filter((id) => id !== self),
      hasNestedGroups: nested.ids.length > 0,
      complete: ancestors.complete && !ancestors.gone && !nested.gone,
    });
  });
  return { users, nesting };
}

function readIdPage(
  outcome: GraphOutcome | undefined,
  what: string,
  deps: DeltaRoundDeps,
): { ids: string[]; complete: boolean; gone: boolean } {
  if (outcome === undefined) throw missingAnswer(what);
  if (!outcome.ok) {
    if (isGone(outcome.failure)) return { ids: [], complete: true, gone: true };
    throw mapGraphFailure(outcome.failure, what, deps.identity);
  }
  const page = parseIdPage(outcome.body, what);
  return { ids: page.ids, complete: page.nextLink === undefined, gone: false };
}

function missingAnswer(what: string): ServiceError {
  return new ServiceError("entra", "entra.protocol", `Microsoft Graph's $batch answer lacks ${what}.`, 200);
}
