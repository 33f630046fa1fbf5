import pLimit from "p-limit";
import { z } from "zod";
import { ServiceError, SyncError } from "../errors/sync-error.js";
import type { Logger } from "../logging/logger.js";
import type { DirectoryUser } from "../sync/model.js";
import type { GroupMembersPage, ReadMembersOptions } from "../sync/ports/entra-directory.js";
import { chunk } from "./chunk.js";
import { limitedUserError, toDirectoryUser } from "./directory-user.js";
import { type GraphAttribute, resolveGraphAttribute, userSelect } from "./graph-attribute.js";
import { type GraphHttp, type GraphOutcome, MAX_BATCH } from "./graph-http.js";
import { type EntraIdentity, type GraphFailure, mapGraphFailure } from "./map-graph-failure.js";
import { PageChannel } from "./page-channel.js";
import { unknownAttributeError } from "./unknown-attribute-error.js";

const memberPageSchema = z.object({
  "@odata.nextLink": z.string().optional(),
  value: z.array(z.record(z.string(), z.unknown())),
});

const USER_TYPE = "#microsoft.graph.user";

export interface ListMembersDeps {
  http: GraphHttp;
  identity: EntraIdentity;
  concurrency: number;
  logger: Logger;
}

/**
 * Reads the users of each group. The first page of up to 20 groups goes in one `$batch`; each `@odata.nextLink` is
 * then followed whole, several groups at a time (bounded by `concurrency`), one page after the other within a group.
 * No ConsistencyLevel header: the eventual-consistency index may lag behind recent changes (contract §1.2).
 *
 * Page errors become `{groupId, error}` items that end that group only. Errors no other group could escape (refused
 * credentials, an unknown attribute) end the whole iteration.
 */
export async function* listMembersOfGroups(
  groupIds: readonly string[],
  options: ReadMembersOptions,
  deps: ListMembersDeps,
): AsyncGenerator<GroupMembersPage> {
  const attributes = options.attributes.map((name) => resolveGraphAttribute(name, options.customAttrAppId));
  const query = `$select=${userSelect(attributes).join(",")}&$top=999`;
  const relation = options.membership === "transitive" ? "transitiveMembers" : "members";
  const unique = [...new Set(groupIds)];
  if (unique.length === 0) return;

  const stop = new AbortController();
  const signal = options.abortSignal === undefined ? stop.signal : AbortSignal.any([stop.signal, options.abortSignal]);
  const channel = new PageChannel<GroupMembersPage>(Math.max(2, deps.concurrency * 2));
  const limit = pLimit(deps.concurrency);
  let outstanding = 0;

  const spawn = (task: () => Promise<void>): void => {
    outstanding++;
    limit(task)
      .catch((error: unknown) => {
        channel.fail(error);
        stop.abort();
      })
      .finally(() => {
        outstanding--;
        if (outstanding === 0) channel.close();
      });
  };

  /** Yields one page's users, then schedules its next link; or yields the group's error. */
  const handle = async (groupId: string, outcome: GraphOutcome): Promise<void> => {
    if (!outcome.ok) {
      await channel.push({ groupId, error: pageFailure(outcome.failure, groupId, attributes, options, deps.identity) });
      return;
    }
    const page = memberPageSchema.safeParse(outcome.body);
    if (!page.success) {
      const error = new ServiceError(
        "entra",
        "entra.protocol",
        `Microsoft Graph answered the members of group ${groupId} with an unreadable page.`,
        200,
        { cause: page.error },
      );
      await channel.push({ groupId, error });
      return;
    }
    const users: DirectoryUser[] = [];
    for (const item of page.data.value) {
      const type = item["@odata.type"];
      if (typeof type !== "string" || type.toLowerCase() !== USER_TYPE) continue;
      const user = toDirectoryUser(item, attributes);
      if (user === undefined) {
        await channel.push({
          groupId,
          error: limitedUserError(item.id, ` (member of group ${groupId})`, deps.identity),
        });
        return;
      }
      users.push(user);
    }
    const next = page.data["@odata.nextLink"];
    // Pages may be short or even empty and still have a next link; only the last one must be yielded regardless.
    if (users.length > 0 || next === undefined) await channel.push({ groupId, users, last: next === undefined });
    if (next !== undefined) spawn(() => follow(groupId, next));
    else deps.logger.debug(`Entra: read the last page of the ${relation} of group ${groupId}`);
  };

  const follow = async (groupId: string, nextLink: string): Promise<void> => {
    const answer = await attempt(() => deps.http.get(nextLink, signal));
    if ("error" in answer) await channel.push({ groupId, error: answer.error });
    else await handle(groupId, answer.value);
  };

  /** Network failures (no answer at all) end one group; credential and usage errors end the iteration. */
  const attempt = async <T>(read: () => Promise<T>): Promise<{ value: T } | { error: SyncError }> => {
    try {
      return { value: await read() };
    } catch (error) {
      if (error instanceof SyncError && error.kind !== "auth" && error.kind !== "usage" && !signal.aborted) {
        return { error };
      }
      throw error;
    }
  };

  const firstPages = async (ids: string[]): Promise<void> => {
    const path = (id: string) => `/groups/${encodeURIComponent(id)}/${relation}?${query}`;
    const single = ids.length === 1 ? ids[0] : undefined;
    if (single !== undefined) {
      const answer = await attempt(() => deps.http.get(path(single), signal));
      if ("error" in answer) await channel.push({ groupId: single, error: answer.error });
      else await handle(single, answer.value);
      return;
    }
    const answer = await attempt(() =>
      deps.http.batch(
        ids.map((id, i) => ({ id: String(i), url: path(id) })),
        signal,
      ),
    );
    for (const [i, id] of ids.entries()) {
      if ("error" in answer) {
        await channel.push({ groupId: id, error: answer.error });
        continue;
      }
      const outcome = answer.value.get(String(i));
      if (outcome !== undefined) await handle(id, outcome);
    }
  };

  for (const ids of chunk(unique, MAX_BATCH)) spawn(() => firstPages(ids));
  try {
    yield* channel.drain();
  } finally {
    stop.abort();
    channel.close();
  }
}

/**
 * The error for a failed members page. A 400 when an attribute is not a known user property is a usage error: Graph
 * rejects `$select` of a property it does not have.
 */
function pageFailure(
  failure: GraphFailure,
  groupId: string,
  attributes: readonly GraphAttribute[],
  options: ReadMembersOptions,
  identity: EntraIdentity,
): SyncError {
  const unknown = unknownAttributeError(failure, attributes, options.customAttrAppId);
  if (unknown !== undefined) throw unknown;
  const error = mapGraphFailure(failure, `the members of group ${groupId}`, identity);
  if (error.kind === "auth") throw error;
  return error;
}
