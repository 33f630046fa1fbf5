import { z } from "zod";
import { ServiceError, SyncError } from "../errors/sync-error.js";
import type { DirectoryGroup, DirectoryUser } from "../sync/model.js";
import { chunk } from "./chunk.js";
import { limitedUserError, toDirectoryUser } from "./directory-user.js";
import type { UserContext, UserContextInput } from "./entra-change-feed.js";
import { resolveGraphAttribute, userSelect } from "./graph-attribute.js";
import { type BatchGet, type GraphOutcome, MAX_BATCH } from "./graph-http.js";
import { isGone, parsePage } from "./id-page.js";
import type { GraphFailure } from "./map-graph-failure.js";
import { mapGraphFailure } from "./map-graph-failure.js";
import type { DeltaRoundDeps } from "./read-delta-round.js";
import { unknownAttributeError } from "./unknown-attribute-error.js";

const groupPageSchema = z.object({
  "@odata.nextLink": z.string().optional(),
  value: z.array(z.object({ id: z.string(), displayName: z.string().nullish() })),
});

/** Graph has no such list (a gateway or test double that lacks it): the caller reads whole groups instead. */
export class UserGroupsUnsupportedError extends SyncError {
  override readonly name = "UserGroupsUnsupportedError";
  constructor(status: number) {
    super(
      "protocol",
      "entra.user_groups_unsupported",
      `Microsoft Graph does not list a user's groups here (answered ${status}); whole groups are read instead.`,
      { retryable: false },
    );
  }
}

/**
 * `EntraChangeFeed.readUserContext`: each user and every group that holds it, for a sync limited to these users.
 * One `$batch` per 20 inner requests, two per user:
 *
 * - `GET /users/{id}?$select=<the run's attributes>` (the same `$select` and mapping as member reads); 404
 *   `Request_ResourceNotFound` gives `user: null` (deleted, soft-deleted included);
 * - `GET /users/{id}/memberOf/microsoft.graph.group?$select=id,displayName&$top=999` (`transitiveMemberOf` with
 *   transitive membership): the groups, with their current names; further pages are followed whole.
 *
 * The memberOf lists are not in ../shared/contracts; real Graph documents them (user-list-memberof,
 * user-list-transitivememberof). Where the answer says the list does not exist (400 `BadRequest`, or any 404 for a
 * user that was just read), `UserGroupsUnsupportedError` tells the caller to read whole groups. Other failures
 * throw as member reads do (`mapGraphFailure`; an unknown attribute is UsageError `entra.unknown_attribute`).
 */
export async function readUserContext(
  input: UserContextInput,
  deps: DeltaRoundDeps,
): Promise<Map<string, UserContext>> {
  const attributes = input.attributes.map((name) => resolveGraphAttribute(name, input.customAttrAppId));
  const select = userSelect(attributes).join(",");
  const list = input.membership === "transitive" ? "transitiveMemberOf" : "memberOf";
  const userIds = [...new Set(input.userIds.map((id) => id.toLowerCase()))];
  const requests: BatchGet[] = userIds.flatMap((id, index) => {
    const user = encodeURIComponent(id);
    return [
      { id: `user-${index}`, url: `/users/${user}?$select=${select}` },
      { id: `groups-${index}`, url: `/users/${user}/${list}/microsoft.graph.group?$select=id,displayName&$top=999` },
    ];
  });
  const outcomes = new Map<string, GraphOutcome>();
  const answers = await Promise.all(
    chunk(requests, MAX_BATCH).map((slice) => deps.http.batch(slice, input.abortSignal)),
  );
  for (const answer of answers) for (const [id, outcome] of answer) outcomes.set(id, outcome);

  const contexts = new Map<string, UserContext>();
  await Promise.all(
    userIds.map(async (id, index) => {
      const userOutcome = answerOf(outcomes, `user-${index}`, `user ${id}`);
      let user: DirectoryUser | null;
      if (!userOutcome.ok) {
        if (!isGone(userOutcome.failure)) {
          throw (
            unknownAttributeError(userOutcome.failure, attributes, input.customAttrAppId) ??
            mapGraphFailure(userOutcome.failure, `user ${id}`, deps.identity)
          );
        }
        user = null;
      } else {
        const body = userOutcome.body;
        const read =
          typeof body === "object" && body !== null
            ? toDirectoryUser(body as Record<string, unknown>, attributes)
            : undefined;
        if (read === undefined) throw limitedUserError(id, "", deps.identity);
        user = read;
      }
      const groups = user === null ? [] : await readGroups(outcomes, index, id, input, deps);
      contexts.set(id, { user, groups });
    }),
  );
  return contexts;
}

async function readGroups(
  outcomes: Map<string, GraphOutcome>,
  index: number,
  userId: string,
  input: UserContextInput,
  deps: DeltaRoundDeps,
): Promise<DirectoryGroup[]> {
  const what = `the groups of user ${userId}`;
  const groups = new Map<string, DirectoryGroup>();
  let outcome: GraphOutcome = answerOf(outcomes, `groups-${index}`, what);
  for (;;) {
    if (!outcome.ok) {
      // The user was just read, so a 404 here (whatever its code) says the list does not exist, not that the user is
      // gone: never "no groups", which would remove them from every group.
      if (isUnsupported(outcome.failure) || outcome.failure.status === 404) {
        throw new UserGroupsUnsupportedError(outcome.failure.status);
      }
      throw mapGraphFailure(outcome.failure, what, deps.identity);
    }
    const page = parsePage(groupPageSchema, outcome.body, what);
    for (const g of page.value) {
      const id = g.id.toLowerCase();
      groups.set(id, { id, displayName: g.displayName ?? "" });
    }
    const next = page["@odata.nextLink"];
    if (next === undefined) return [...groups.values()];
    outcome = await deps.http.get(next, input.abortSignal);
  }
}

function isUnsupported(failure: GraphFailure): boolean {
  return (
    (failure.status === 400 && failure.code?.toLowerCase() === "badrequest") ||
    (failure.status === 404 && !isGone(failure))
  );
}

function answerOf(outcomes: Map<string, GraphOutcome>, id: string, what: string): GraphOutcome {
  const outcome = outcomes.get(id);
  if (outcome !== undefined) return outcome;
  throw new ServiceError("entra", "entra.protocol", `Microsoft Graph's $batch answer lacks ${what}.`, 200);
}
