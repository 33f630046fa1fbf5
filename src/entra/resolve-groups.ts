import pLimit from "p-limit";
import { z } from "zod";
import { ServiceError } from "../errors/sync-error.js";
import type { DirectoryGroup } from "../sync/model.js";
import type { GroupResolution, GroupSelector, UnresolvedGroup } from "../sync/ports/entra-directory.js";
import { chunk } from "./chunk.js";
import { type BatchGet, type GraphHttp, type GraphOutcome, MAX_BATCH } from "./graph-http.js";
import { type EntraIdentity, mapGraphFailure } from "./map-graph-failure.js";
import { odataString } from "./odata-string.js";

const groupSchema = z.object({ id: z.string(), displayName: z.string().nullable().optional() });
const groupPageSchema = z.object({ "@odata.nextLink": z.string().optional(), value: z.array(groupSchema) });

const GROUP_SELECT = "$select=id,displayName";

export interface ResolveGroupsDeps {
  http: GraphHttp;
  identity: EntraIdentity;
  concurrency: number;
  abortSignal?: AbortSignal;
}

/**
 * Resolves exact names (`displayName eq`, compared again case-insensitively here), ids (`GET /groups/{id}`) and a
 * prefix (`startswith`, every page). Names and ids go through `$batch` when there are several. Throws a typed error
 * when Graph cannot be read; a missing id or name is reported in `unresolved`, not thrown.
 */
export async function resolveGroups(selector: GroupSelector, deps: ResolveGroupsDeps): Promise<GroupResolution> {
  const names = uniqueBy(selector.names, (n) => n.toLowerCase());
  const ids = uniqueBy(selector.ids, (i) => i.toLowerCase());
  const lookups: Array<BatchGet & { kind: "name" | "id"; selector: string }> = [
    ...names.map((name, i) => ({
      id: `n${i}`,
      kind: "name" as const,
      selector: name,
      url: `/groups?$filter=${encodeURIComponent(`displayName eq ${odataString(name)}`)}&${GROUP_SELECT}&$top=999`,
    })),
    ...ids.map((id, i) => ({
      id: `i${i}`,
      kind: "id" as const,
      selector: id,
      url: `/groups/${encodeURIComponent(id)}?${GROUP_SELECT}`,
    })),
  ];

  const limit = pLimit(deps.concurrency);
  const outcomes = new Map<string, GraphOutcome>();
  const lookUp = async (): Promise<void> => {
    const single = lookups.length === 1 ? lookups[0] : undefined;
    if (single !== undefined) {
      outcomes.set(single.id, await limit(() => deps.http.get(single.url, deps.abortSignal)));
      return;
    }
    await Promise.all(
      chunk(lookups, MAX_BATCH).map((requests) =>
        limit(async () => {
          for (const [id, outcome] of await deps.http.batch(requests, deps.abortSignal)) outcomes.set(id, outcome);
        }),
      ),
    );
  };
  const prefix = selector.prefix;
  const [prefixGroups] = await Promise.all([
    prefix === undefined ? [] : limit(() => listByPrefix(prefix, deps)),
    lookUp(),
  ]);

  const groups = new Map<string, DirectoryGroup>();
  const unresolved: UnresolvedGroup[] = [];
  for (const lookup of lookups) {
    const outcome = outcomes.get(lookup.id);
    if (outcome === undefined)
      throw new ServiceError("entra", "entra.protocol", "A group lookup got no answer.", undefined);
    if (lookup.kind === "id") {
      if (!outcome.ok) {
        // 404 for an unknown id; 400 Request_BadRequest for a string that is not an object id.
        if (outcome.failure.status === 404 || outcome.failure.status === 400) {
          unresolved.push({ selector: lookup.selector, problem: "not-found", candidates: [] });
          continue;
        }
        throw mapGraphFailure(outcome.failure, `group ${lookup.selector}`, deps.identity);
      }
      const group = toGroup(groupSchema, outcome.body);
      groups.set(group.id, group);
      continue;
    }
    if (!outcome.ok) throw mapGraphFailure(outcome.failure, `groups named "${lookup.selector}"`, deps.identity);
    const wanted = lookup.selector.toLowerCase();
    // Graph compares `eq` case-insensitively; compare again so a stricter or looser server cannot pick a wrong group.
    const matches = sortGroups(
      (await readAllPages(outcome.body, deps)).filter((g) => g.displayName.toLowerCase() === wanted),
    );
    const only = matches[0];
    if (matches.length === 1 && only !== undefined) groups.set(only.id, only);
    else
      unresolved.push({
        selector: lookup.selector,
        problem: matches.length === 0 ? "not-found" : "ambiguous",
        candidates: matches,
      });
  }
  for (const group of prefixGroups) groups.set(group.id, group);
  return { groups: sortGroups([...groups.values()]), unresolved };
}

async function listByPrefix(prefix: string, deps: ResolveGroupsDeps): Promise<DirectoryGroup[]> {
  const filter = encodeURIComponent(`startswith(displayName,${odataString(prefix)})`);
  const first = await deps.http.get(`/groups?$filter=${filter}&${GROUP_SELECT}&$top=999`, deps.abortSignal);
  if (!first.ok) throw mapGraphFailure(first.failure, `groups starting with "${prefix}"`, deps.identity);
  const wanted = prefix.toLowerCase();
  return (await readAllPages(first.body, deps)).filter((g) => g.displayName.toLowerCase().startsWith(wanted));
}

/** Reads a group collection page and every page after it (following each `@odata.nextLink` whole). */
async function readAllPages(firstBody: unknown, deps: ResolveGroupsDeps): Promise<DirectoryGroup[]> {
  const groups: DirectoryGroup[] = [];
  let body = firstBody;
  for (;;) {
    const page = groupPageSchema.safeParse(body);
    if (!page.success) {
      throw new ServiceError(
        "entra",
        "entra.protocol",
        "Microsoft Graph answered a group list with an unreadable body.",
        200,
        {
          cause: page.error,
        },
      );
    }
    for (const g of page.data.value) groups.push({ id: g.id, displayName: g.displayName ?? "" });
    const next = page.data["@odata.nextLink"];
    if (next === undefined) return groups;
    const outcome = await deps.http.get(next, deps.abortSignal);
    if (!outcome.ok) throw mapGraphFailure(outcome.failure, "the next page of groups", deps.identity);
    body = outcome.body;
  }
}

function toGroup(schema: typeof groupSchema, body: unknown): DirectoryGroup {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new ServiceError(
      "entra",
      "entra.protocol",
      "Microsoft Graph answered a group with an unreadable body.",
      200,
      {
        cause: parsed.error,
      },
    );
  }
  return { id: parsed.data.id, displayName: parsed.data.displayName ?? "" };
}

/** Display name (case-insensitive, then exact), then id: a stable order whatever order Graph answered in. */
export function sortGroups(groups: DirectoryGroup[]): DirectoryGroup[] {
  return groups.sort(
    (a, b) =>
      compare(a.displayName.toLowerCase(), b.displayName.toLowerCase()) ||
      compare(a.displayName, b.displayName) ||
      compare(a.id, b.id),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
