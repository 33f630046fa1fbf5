import { z } from "zod";
import { ServiceError, type SyncError } from "../errors/sync-error.js";
import type { Logger } from "../logging/logger.js";
import { DeltaResetError } from "./delta-reset-error.js";
import type { GraphHttp } from "./graph-http.js";
import { type EntraIdentity, type GraphFailure, mapGraphFailure } from "./map-graph-failure.js";

const deltaPageSchema = z.object({
  "@odata.nextLink": z.string().optional(),
  "@odata.deltaLink": z.string().optional(),
  value: z.array(z.record(z.string(), z.unknown())),
});

/** Error codes that mean "this delta token is no longer usable" on a 400 (contract §2, §5), lower-cased. */
const EXPIRED_CODES = new Set(["syncstatenotfound", "resyncrequired"]);

export interface DeltaRoundDeps {
  http: GraphHttp;
  identity: EntraIdentity;
  logger: Logger;
}

export interface DeltaRoundRequest {
  /** The first URL: a path relative to the version root (initial query), or a stored deltaLink (used whole). */
  url: string;
  /** What is being read, for messages ("the group delta of 3 group(s)"). */
  what: string;
  /** Called with every entry of every page, in page order. May throw to end the round. */
  onEntry: (entry: Readonly<Record<string, unknown>>) => void;
  /** Maps a failure before the default mapping; return undefined to fall through. */
  mapFailure?: (failure: GraphFailure) => SyncError | undefined;
  abortSignal?: AbortSignal;
}

/**
 * Reads one delta round to its end: GETs `url`, then every `@odata.nextLink` whole (never adding parameters, even when
 * a page is empty) until a page carries `@odata.deltaLink`, which it returns. Nothing is stored here: the caller keeps
 * the new link only after applying the changes, so a crash mid-round restarts from the old link.
 *
 * Errors: a 410 (synchronization reset) throws `DeltaResetError` "reset" — graph-client does not follow a 410, and its
 * `Location` (the initial query with an empty `$deltatoken`) is only quoted in the message; the caller restarts with
 * a full round of its own. A 400 `syncStateNotFound` (any casing) or `resyncRequired` throws `DeltaResetError`
 * "expired". Throttling (429/503/504) is retried inside `GraphHttp` with `Retry-After`; other failures map like the
 * member reads (`mapGraphFailure`). A page that is not a delta page throws ServiceError `entra.protocol`.
 */
export async function readDeltaRound(request: DeltaRoundRequest, deps: DeltaRoundDeps): Promise<string> {
  let url = request.url;
  for (let pages = 1; ; pages++) {
    const outcome = await deps.http.get(url, request.abortSignal);
    if (!outcome.ok) throw deltaFailure(outcome.failure, request, deps.identity);
    const page = deltaPageSchema.safeParse(outcome.body);
    if (!page.success) {
      throw new ServiceError(
        "entra",
        "entra.protocol",
        `Microsoft Graph answered ${request.what} with an unreadable page.`,
        200,
        {
          cause: page.error,
        },
      );
    }
    for (const entry of page.data.value) request.onEntry(entry);
    const next = page.data["@odata.nextLink"];
    if (next !== undefined) {
      url = next;
      continue;
    }
    const deltaLink = page.data["@odata.deltaLink"];
    if (deltaLink === undefined) {
      throw new ServiceError(
        "entra",
        "entra.protocol",
        `Microsoft Graph ended ${request.what} with a page that has neither @odata.nextLink nor @odata.deltaLink.`,
        200,
      );
    }
    deps.logger.debug(`Entra: read ${request.what} in ${pages} page(s)`);
    return deltaLink;
  }
}

function deltaFailure(failure: GraphFailure, request: DeltaRoundRequest, identity: EntraIdentity): SyncError {
  const detail = `${failure.status}${failure.code ? ` ${failure.code}` : ""}${failure.requestId ? `, request-id ${failure.requestId}` : ""}`;
  if (failure.status === 410) {
    const location = failure.location ? ` Graph points to the initial query ${failure.location}.` : "";
    return new DeltaResetError(
      "reset",
      `Microsoft Graph reset the delta state of ${request.what} (${detail}).${location} The scope must be read again in full and a new delta chain started.`,
    );
  }
  if (failure.status === 400 && failure.code !== undefined && EXPIRED_CODES.has(failure.code.toLowerCase())) {
    return new DeltaResetError(
      "expired",
      `Microsoft Graph no longer knows the delta token of ${request.what} (${detail}); delta tokens of directory objects last 7 days. The scope must be read again in full and a new delta chain started.`,
    );
  }
  return request.mapFailure?.(failure) ?? mapGraphFailure(failure, request.what, identity);
}
