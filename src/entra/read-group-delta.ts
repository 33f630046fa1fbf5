import type { DeltaRound, GroupDeltaChange } from "./entra-change-feed.js";
import { odataString } from "./odata-string.js";
import { type DeltaRoundDeps, readDeltaRound } from "./read-delta-round.js";
import { removalReason } from "./removal-reason.js";

/** Graph's limit on `id eq … or …` terms in a delta `$filter` (contract §2). */
export const MAX_DELTA_FILTER_IDS = 50;

const USER_TYPE = "#microsoft.graph.user";
const GROUP_TYPE = "#microsoft.graph.group";

export interface ReadGroupDeltaInput {
  groupIds: readonly string[];
  deltaLink?: string;
  start?: "latest" | "full";
  abortSignal?: AbortSignal;
}

/** One group's changes while a round is read: sets keep each id once; the latest entry about a member wins. */
interface GroupAccumulator {
  removed?: "changed" | "deleted";
  displayName?: string;
  usersAdded: Set<string>;
  usersRemoved: Set<string>;
  groupsChanged: Set<string>;
}

/**
 * One group delta round (`EntraChangeFeed.readGroupDelta`).
 *
 * Without `deltaLink`: `GET /groups/delta?$select=displayName,members&$filter=id eq '<a>' or id eq '<b>'…` over 1 to 50 distinct
 * ids (else a programmer `RangeError`), plus `$deltatoken=latest` for `start: "latest"` (a link and no data). With
 * `deltaLink`: that URL whole; `groupIds` and `start` are then ignored.
 *
 * Entries are merged by group id across pages (a big group repeats with slices of `members@delta`). In
 * `members@delta`, a `#microsoft.graph.user` without `@removed` is in `usersAdded`, with `@removed` in `usersRemoved`;
 * a `#microsoft.graph.group` (added or removed) is in `groupsChanged`; other member types are dropped. In an initial
 * round (no `deltaLink`) every `@removed` member is ignored, as Microsoft's GMM reader does: the initial round also
 * lists past removals, and the full state is the added members. A group entry with `@removed` sets `removed`.
 * Within a round, if one member is both added and removed, the entry read last wins. Rounds are not deduplicated
 * against each other: replays happen and the consumer is idempotent.
 *
 * `displayName` is the group's name as the round last gave it (Graph repeats selected properties on every change, so
 * a rename shows as an entry whose name differs from the one on record).
 *
 * Errors as `readDeltaRound`: `DeltaResetError` for an expired (400) or reset (410) token.
 */
export async function readGroupDelta(
  input: ReadGroupDeltaInput,
  deps: DeltaRoundDeps,
): Promise<DeltaRound<GroupDeltaChange>> {
  const initial = input.deltaLink === undefined;
  const url = input.deltaLink ?? initialGroupDeltaUrl(input.groupIds, input.start ?? "full");
  const groups = new Map<string, GroupAccumulator>();
  const what = initial ? `the group delta of ${new Set(input.groupIds).size} group(s)` : "a group delta link";

  const deltaLink = await readDeltaRound(
    {
      url,
      what,
      ...(input.abortSignal === undefined ? {} : { abortSignal: input.abortSignal }),
      onEntry: (entry) => {
        const { id } = entry;
        if (typeof id !== "string") return;
        let group = groups.get(id);
        if (group === undefined) {
          group = { usersAdded: new Set(), usersRemoved: new Set(), groupsChanged: new Set() };
          groups.set(id, group);
        }
        const removed = removalReason(entry["@removed"]);
        if (removed !== undefined) group.removed = removed;
        if (typeof entry.displayName === "string") group.displayName = entry.displayName;
        const members = entry["members@delta"];
        if (Array.isArray(members)) for (const member of members) addMember(group, member, initial);
      },
    },
    deps,
  );

  const changes: GroupDeltaChange[] = [];
  for (const [groupId, group] of groups) {
    changes.push({
      groupId,
      ...(group.removed === undefined ? {} : { removed: group.removed }),
      ...(group.displayName === undefined ? {} : { displayName: group.displayName }),
      usersAdded: [...group.usersAdded],
      usersRemoved: [...group.usersRemoved],
      groupsChanged: [...group.groupsChanged],
    });
  }
  return { changes, deltaLink };
}

/** The initial query for up to 50 ids. Throws RangeError for none or more than 50 (distinct, case-insensitive). */
export function initialGroupDeltaUrl(groupIds: readonly string[], start: "latest" | "full"): string {
  const ids = [...new Map(groupIds.map((id) => [id.toLowerCase(), id])).values()];
  if (ids.length === 0 || ids.length > MAX_DELTA_FILTER_IDS) {
    throw new RangeError(
      `a group delta query takes 1 to ${MAX_DELTA_FILTER_IDS} group ids (Graph's $filter limit), not ${ids.length}`,
    );
  }
  const filter = encodeURIComponent(ids.map((id) => `id eq ${odataString(id)}`).join(" or "));
  return `/groups/delta?$select=displayName,members&$filter=${filter}${start === "latest" ? "&$deltatoken=latest" : ""}`;
}

function addMember(group: GroupAccumulator, member: unknown, initial: boolean): void {
  if (typeof member !== "object" || member === null) return;
  const { id, "@odata.type": type, "@removed": removedAnnotation } = member as Record<string, unknown>;
  if (typeof id !== "string" || typeof type !== "string") return;
  const removed = removedAnnotation !== undefined && removedAnnotation !== null;
  if (removed && initial) return;
  const kind = type.toLowerCase();
  if (kind === USER_TYPE) {
    (removed ? group.usersAdded : group.usersRemoved).delete(id);
    (removed ? group.usersRemoved : group.usersAdded).add(id);
  } else if (kind === GROUP_TYPE) {
    group.groupsChanged.add(id);
  }
}
