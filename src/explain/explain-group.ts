import { describeError } from "../errors/sync-error.js";
import { describeOperation } from "../sync/apply.js";
import type { DirectoryGroup } from "../sync/model.js";
import { planSync } from "../sync/plan/plan-sync.js";
import { groupKey, syncedTargetGroups } from "../sync/plan/target-groups.js";
import { readSnapshots } from "../sync/run-sync.js";
import type { ExplainDeps, GroupExplanation } from "./explanation.js";
import { recentAudit } from "./recent-audit.js";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOUR_MS = 3_600_000;

/**
 * Explains one group (an Entra object id, an Entra group name or an MI group name): its MI group, member counts on
 * both sides, and the differences a resync of it would apply, from the plan a resync of that group makes (scope
 * `groups`: it and every synced group feeding the same MI group, read whole); with the app's state, its subscription
 * and delta chain. Undefined when nothing of that name or id is a group in Entra or MI. Writes nothing.
 */
export async function explainGroup(deps: ExplainDeps, query: string): Promise<GroupExplanation | undefined> {
  const q = query.trim();
  const generatedAt = deps.now().toISOString();
  const resolution = await deps.entra.resolveGroups(deps.selector);
  const synced = resolution.groups.map((g) => ({ id: g.id.toLowerCase(), displayName: g.displayName }));
  const targets = syncedTargetGroups({ groups: synced, members: new Map(), users: new Map() }, deps.options);
  const named = synced.filter((g) =>
    GUID.test(q) ? g.id === q.toLowerCase() : groupKey(g.displayName) === groupKey(q),
  );
  const target =
    [...targets.values()].find((t) => named.some((g) => t.entraGroupIds.includes(g.id))) ?? targets.get(groupKey(q));
  if (!target) return notSynced(deps, q, generatedAt);

  const ids = target.entraGroupIds;
  const { entra, mi } = await readSnapshots(
    { selector: { names: [], ids }, options: deps.options, unresolved: "skip" },
    deps,
  );
  const plan = planSync(entra, mi, deps.options, "groups");
  const planned = plan.groups.find((g) => groupKey(g.name) === groupKey(target.name));
  const miGroupId = planned?.miGroupId;
  const users = new Set(ids.flatMap((id) => entra.members.get(id)?.userIds ?? []));
  const enabled = [...users].filter((id) => entra.users.get(id)?.accountEnabled).length;
  const miMembers = miGroupId === undefined ? 0 : (mi.memberships.get(miGroupId)?.length ?? 0);
  const state = await stateOf(deps, ids);
  const explanation: GroupExplanation = {
    kind: "group",
    query,
    generatedAt,
    synced: true,
    entraGroups: entra.groups.map((g: DirectoryGroup) => ({ id: g.id.toLowerCase(), name: g.displayName })),
    miGroup: {
      name: planned?.name ?? target.name,
      ...(miGroupId ? { id: miGroupId } : {}),
      exists: miGroupId !== undefined,
    },
    counts: { entraUsers: users.size, entraEnabled: enabled, miMembers },
    operations: plan.operations.map((o) => ({ op: o.op, description: describeOperation(o), reason: o.reason })),
    problems: plan.problems.map((p) => ({ code: p.code, message: p.message })),
    notes: (plan.notes ?? []).map((n) => ({
      code: n.code,
      message: `${n.username}: ${n.message}`,
      ...(n.groupName ? { group: n.groupName } : {}),
    })),
    warnings: plan.warnings,
    ...state,
    summary: [],
    ...(await recentAudit(deps, "group", [planned?.name ?? target.name])),
  };
  explanation.summary = summarize(explanation);
  return explanation;
}

/** A group the sync does not select: what Entra and MI have of that name. */
async function notSynced(deps: ExplainDeps, q: string, generatedAt: string): Promise<GroupExplanation | undefined> {
  const lookup = await deps.entra.resolveGroups(GUID.test(q) ? { names: [], ids: [q] } : { names: [q], ids: [] });
  const miGroup = GUID.test(q) ? undefined : (await deps.mi.listGroups()).find((g) => groupKey(g.name) === groupKey(q));
  const entraGroups = [
    ...lookup.groups,
    ...lookup.unresolved.flatMap((u) => (u.problem === "ambiguous" ? u.candidates : [])),
  ].map((g) => ({ id: g.id.toLowerCase(), name: g.displayName }));
  if (entraGroups.length === 0 && !miGroup) return undefined;
  const miMembers = miGroup ? (await deps.mi.listGroupMembers(miGroup.id)).length : 0;
  const name = miGroup?.name ?? entraGroups[0]?.name ?? q;
  const explanation: GroupExplanation = {
    kind: "group",
    query: q,
    generatedAt,
    synced: false,
    entraGroups,
    miGroup: { name, ...(miGroup ? { id: miGroup.id } : {}), exists: miGroup !== undefined },
    counts: { entraUsers: 0, entraEnabled: 0, miMembers },
    operations: [],
    problems: [],
    notes: [],
    warnings: [],
    subscription: null,
    chain: null,
    summary: [],
    ...(await recentAudit(deps, "group", [name])),
  };
  explanation.summary = summarize(explanation);
  return explanation;
}

async function stateOf(
  deps: ExplainDeps,
  ids: readonly string[],
): Promise<Pick<GroupExplanation, "subscription" | "chain">> {
  if (!deps.state) return { subscription: null, chain: null };
  let subscriptions: Awaited<ReturnType<NonNullable<ExplainDeps["state"]>["listSubscriptions"]>>;
  let chains: Awaited<ReturnType<NonNullable<ExplainDeps["state"]>["listDeltaChains"]>>;
  try {
    [subscriptions, chains] = await Promise.all([deps.state.listSubscriptions(), deps.state.listDeltaChains("groups")]);
  } catch (error) {
    // The app's state is a bonus here (the CLI given a storage that is not the app's): the rest of the answer stands.
    deps.logger.warn(`explain: the app's subscriptions and delta chains could not be read: ${describeError(error)}`);
    return { subscription: null, chain: null };
  }
  const now = deps.now().getTime();
  const subscription =
    subscriptions.find((s) => s.groupId !== undefined && ids.includes(s.groupId.toLowerCase())) ??
    subscriptions.find((s) => s.kind === "groups");
  const chain = chains.find((c) => c.groupIds.some((id) => ids.includes(id.toLowerCase())));
  return {
    subscription: subscription
      ? {
          resource: subscription.resource,
          expires: subscription.expirationDateTime,
          hoursLeft: round1((Date.parse(subscription.expirationDateTime) - now) / HOUR_MS),
        }
      : null,
    chain: chain
      ? {
          chainId: chain.chainId,
          groupCount: chain.groupIds.length,
          deltaLinkAgeHours:
            chain.deltaLink === undefined ? "none yet" : round1((now - Date.parse(chain.updatedAt)) / HOUR_MS),
          updatedAt: chain.updatedAt,
        }
      : null,
  };
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

function summarize(e: GroupExplanation): string[] {
  const lines: string[] = [];
  const sources = e.entraGroups.map((g) => `${g.name} (${g.id})`).join(", ");
  if (!e.synced) {
    lines.push(
      sources
        ? `Entra group ${sources} is not one of the groups this sync selects (groups and --filter / SYNC_GROUPS and SYNC_FILTER).`
        : `No Entra group is named '${e.query}'.`,
    );
    if (e.miGroup.exists)
      lines.push(
        `MI group '${e.miGroup.name}' (id ${e.miGroup.id}) has ${e.counts.miMembers} member(s); the sync leaves it alone.`,
      );
    return lines;
  }
  lines.push(
    `MI group '${e.miGroup.name}'${e.miGroup.exists ? ` (id ${e.miGroup.id})` : " does not exist yet"}, fed by ${sources}.`,
  );
  lines.push(
    `Entra: ${e.counts.entraUsers} user(s), ${e.counts.entraEnabled} enabled; MI: ${e.counts.miMembers} member(s).`,
  );
  for (const p of e.problems) lines.push(`Problem: ${p.message} (${p.code}).`);
  if (e.operations.length > 0) {
    lines.push(`A resync now would make ${e.operations.length} change(s):`);
    for (const o of e.operations) lines.push(`  ${o.description} (${o.reason})`);
  } else {
    lines.push("Nothing to do: MI is in step with Entra for this group.");
  }
  for (const n of e.notes) lines.push(`Left as it is: ${n.message}.`);
  if (e.subscription) lines.push(`Subscription ${e.subscription.resource}: ${e.subscription.hoursLeft} h left.`);
  if (e.chain) {
    lines.push(
      `Delta chain ${e.chain.chainId} (${e.chain.groupCount} group(s)): link ${
        typeof e.chain.deltaLinkAgeHours === "number" ? `${e.chain.deltaLinkAgeHours} h old` : "none yet"
      }.`,
    );
  }
  return lines;
}
