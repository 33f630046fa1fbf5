import pLimit from "p-limit";
import type { GroupDeltaChange } from "../entra/entra-change-feed.js";
import type { DeltaChain } from "../state/sync-state-store.js";
import { applyPlan } from "../sync/apply.js";
import { mapUser } from "../sync/map-user.js";
import type { MiMembership } from "../sync/model.js";
import { deltaPlanUnsupported, type MembershipDelta, planMembershipDelta } from "../sync/plan-membership-delta.js";
import { checkRemovals } from "../sync/removal-guard.js";
import { requiredAttributes } from "../sync/sync-options.js";
import { buildResult, type SyncResult } from "../sync/sync-result.js";
import type { LiveDeps } from "./live-deps.js";
import { stateUserIdMap } from "./user-id-map.js";

/** The fast path's answer: the result of applying the deltas, or why the groups need the full resync. */
export type MembershipDeltaOutcome = { kind: "applied"; result: SyncResult } | { kind: "full"; reason: string };

/**
 * The live path's fast path for a delta round that only added and removed users in groups of one chain: plan those
 * memberships from the delta instead of re-reading whole groups on both sides. It reads, at most:
 *
 * - Graph: one `$batch` (per 20 inner requests) with the added users and, for transitive membership, each group's
 *   place among groups (`readChangeContext`);
 * - MI: each added user (`GET /api/user/id/<id>` when the id map knows them, else a lookup by username then email,
 *   as the planner matches), to see their profile needs nothing, and each removed user's rows
 *   (`GET /api/user_group_member?user=<id>`, for the row id), at the same time as Graph;
 *
 * then applies the plan like any other. One membership change thus costs the delta read, one `$batch`, one MI read
 * and one MI write. Whenever the delta alone cannot decide (a group created, deleted or renested; a user new to MI,
 * disabled in either, renamed or with profile changes; a percentage removal guard; an MI group fed by two Entra groups; any
 * failed write) the answer is `full` and the caller resyncs the groups the old way, so the fast path can skip work but
 * never do it differently. `planMembershipDelta` holds the rules.
 */
export async function applyMembershipDelta(
  deps: LiveDeps,
  chain: DeltaChain,
  changes: GroupDeltaChange[],
  synced: ReadonlySet<string>,
): Promise<MembershipDeltaOutcome> {
  const options = deps.config.sync;
  const unsupported = deltaPlanUnsupported(options);
  if (unsupported !== undefined) return { kind: "full", reason: unsupported };
  const inChain = changes.filter((c) => chain.groupIds.includes(c.groupId.toLowerCase()));
  for (const change of inChain) {
    if (change.removed !== undefined) return { kind: "full", reason: `group ${change.groupId} was deleted` };
    if (change.groupsChanged.length > 0) return { kind: "full", reason: `group ${change.groupId} changed its groups` };
  }
  const changed = inChain.filter((c) => c.usersAdded.length > 0 || c.usersRemoved.length > 0);
  const groupIds = changed.map((c) => c.groupId.toLowerCase());

  const groupMappings = await deps.state.getIdMappings("group", groupIds);
  for (const id of groupIds) {
    const mapping = groupMappings.get(id);
    if (mapping === undefined) return { kind: "full", reason: `group ${id} has no MI group on record` };
    if ((mapping.sources ?? 1) > 1) return { kind: "full", reason: `MI group '${mapping.miName}' has several sources` };
  }
  const addedIds = [...new Set(changed.flatMap((c) => c.usersAdded))];
  const removedIds = [...new Set(changed.flatMap((c) => c.usersRemoved))];
  const transitive = options.membership === "transitive";
  const userMappings = await deps.state.getIdMappings("user", [...addedIds, ...removedIds]);
  const miIdOf = (entraUserId: string): string | undefined => userMappings.get(entraUserId)?.miId;
  const limit = pLimit(deps.mi.maxConcurrency);
  // Graph and MI are asked at once: the MI reads need only the id map.
  const [context, known, miRows] = await Promise.all([
    addedIds.length > 0 || (transitive && groupIds.length > 0)
      ? deps.entra.readChangeContext({
          groupIds,
          userIds: addedIds,
          attributes: requiredAttributes(options),
          ...(options.customAttrAppId ? { customAttrAppId: options.customAttrAppId } : {}),
          nesting: transitive,
        })
      : undefined,
    Promise.all(
      addedIds.map((id) => {
        const miId = miIdOf(id);
        return miId === undefined ? undefined : limit(() => deps.mi.getUser(miId));
      }),
    ),
    Promise.all(
      removedIds.map((id) => {
        const miId = miIdOf(id);
        return miId === undefined ? [] : limit(() => deps.mi.listUserMemberships(miId));
      }),
    ),
  ]);
  if (transitive) {
    for (const id of groupIds) {
      const nesting = context?.nesting.get(id);
      if (nesting === undefined || !nesting.complete)
        return { kind: "full", reason: `group ${id}'s nesting is unread` };
      if (nesting.hasNestedGroups) return { kind: "full", reason: `group ${id} holds groups` };
      if (nesting.ancestors.some((a) => synced.has(a)))
        return { kind: "full", reason: `group ${id} is in a synced group` };
    }
  }
  // Users the id map does not know are looked up in MI as the planner matches them: by username, then email.
  const miOf = new Map<string, MembershipDelta["added"][number]["mi"]>();
  await Promise.all(
    addedIds.map(async (id, i) => {
      if (miIdOf(id) !== undefined) {
        miOf.set(id, { how: "id-map", user: known[i] });
        return;
      }
      const entra = context?.users.get(id);
      if (!entra) return;
      const desired = mapUser(entra, options);
      if (!desired.username || !desired.enabled) return;
      miOf.set(id, { how: "lookup", user: await limit(() => deps.mi.findUser(desired.username, desired.email)) });
    }),
  );
  const rowsOf = new Map<string, MiMembership[]>(removedIds.map((id, i) => [id, miRows[i] ?? []]));

  const deltas: MembershipDelta[] = changed.map((change) => {
    const mapping = groupMappings.get(change.groupId.toLowerCase())!;
    return {
      group: { entraGroupId: mapping.entraId, miGroupId: mapping.miId, name: mapping.miName },
      added: change.usersAdded.map((id) => ({
        entraUserId: id,
        entra: context?.users.get(id) ?? null,
        mi: miOf.get(id),
      })),
      removed: change.usersRemoved.map((id) => ({ entraUserId: id, miUserId: miIdOf(id), rows: rowsOf.get(id) ?? [] })),
    };
  });
  const planned = planMembershipDelta(deltas, options, {
    userId: deps.mi.actingUserId,
    username: deps.mi.actingUsername,
  });
  if (planned.kind === "full") return planned;
  const { plan } = planned;
  const verdict = checkRemovals(plan, options.maxRemovals);
  if (!verdict.allowed) return { kind: "full", reason: "the removal guard needs the groups' sizes" };
  if (deps.config.mode === "plan") return { kind: "applied", result: buildResult({ plan, verdict, dryRun: true }) };
  const outcome = await applyPlan(plan, deps.mi, { logger: deps.logger });
  const result = buildResult({
    plan,
    verdict,
    dryRun: false,
    results: outcome.results,
    createdUsers: outcome.createdUsers,
  });
  // Users matched by lookup or created are remembered, so their next change needs no lookup.
  const fresh = result.userIds.filter((pair) => miIdOf(pair.entraUserId) !== pair.miUserId);
  if (fresh.length > 0) await stateUserIdMap(deps.state, deps.now).save(fresh);
  if (result.counts.failed > 0 || outcome.abortedBy) {
    return { kind: "full", reason: `${result.counts.failed} write(s) failed: ${result.errors.slice(0, 2).join("; ")}` };
  }
  return { kind: "applied", result };
}
