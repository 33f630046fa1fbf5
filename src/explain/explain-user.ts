import pLimit from "p-limit";
import type { UserContext } from "../entra/entra-change-feed.js";
import { byGroup, entraSnapshot } from "../live/sync-user-scope.js";
import { describeOperation } from "../sync/apply.js";
import { mapUser } from "../sync/map-user.js";
import type { DirectoryGroup, MiGroup, MiMembership, MiUser } from "../sync/model.js";
import type { Plan, PlanOperation } from "../sync/plan/plan-model.js";
import { planSync } from "../sync/plan/plan-sync.js";
import { groupKey, syncedTargetGroups } from "../sync/plan/target-groups.js";
import { readSnapshots } from "../sync/run-sync.js";
import type { MiSnapshot } from "../sync/snapshot.js";
import type { ExplainDeps, NothingFound, PendingOperation, UserExplanation } from "./explanation.js";
import { findUser, readUserScope } from "./read-user-scope.js";
import { recentAudit } from "./recent-audit.js";

type GroupLine = UserExplanation["groups"][number];

/**
 * Explains one user: the synced Entra groups holding it (directly or through nesting), its MI account and groups,
 * and what a sync would do now with the planner's reasons, from a plan limited to that user (scope `users`, as the
 * live path plans a change of that user). Reads Entra and MI live; writes nothing.
 */
export async function explainUser(deps: ExplainDeps, query: string): Promise<UserExplanation | NothingFound> {
  const generatedAt = deps.now().toISOString();
  const [resolution, found] = await Promise.all([deps.entra.resolveGroups(deps.selector), findUser(deps, query)]);
  const synced = new Map<string, DirectoryGroup>(
    resolution.groups.map((g) => [g.id.toLowerCase(), { id: g.id.toLowerCase(), displayName: g.displayName }]),
  );
  if (found.entraId === undefined && found.miByQuery === undefined) {
    return {
      kind: "none",
      query,
      generatedAt,
      summary: [`No Entra user and no MI user is named '${query}' (by object id, UPN, MI username or email).`],
      operations: [],
      problems: [],
      notes: [],
      warnings: [],
      audit: null,
    };
  }
  const entraUser = found.transitive?.user ?? null;
  const { plan, candidates, miGroups, rowsOf, weighed } =
    deps.userPlan === "ledger" ? await planFromLedger(deps, found, synced) : await planFromEverything(deps, found);

  const desired = entraUser ? mapUser(entraUser, deps.options) : undefined;
  const identity = found.entraId ? plan.identities.find((i) => i.entraUserId === found.entraId) : undefined;
  // The MI account the user is: the one it matched; for a user the plan did not write, the one with its username
  // (rule 4's first choice); without an Entra user, the one the query names.
  const account =
    (identity?.miUserId !== undefined ? candidates.get(identity.miUserId) : undefined) ??
    [...candidates.values()].find(
      (u: MiUser) => desired !== undefined && desired.username !== "" && lower(u.username) === lower(desired.username),
    ) ??
    (found.entraId === undefined ? found.miByQuery : undefined);
  const mine = relevance(plan, found.entraId, account?.id);
  const operations: PendingOperation[] = plan.operations
    .filter(mine.operation)
    .map((o) => ({ op: o.op, description: describeOperation(o), reason: o.reason }));
  const subjects = new Set([desired?.username, `Entra user ${found.entraId}`].filter((s) => s).map((s) => lower(s!)));
  const problems = plan.problems
    .filter((p) => subjects.has(lower(p.subject)))
    .map((p) => ({ code: p.code, message: p.message }));
  const notes = (plan.notes ?? [])
    .filter(
      (n) =>
        (n.entraUserId !== undefined && n.entraUserId === found.entraId) ||
        (n.miUserId !== undefined && n.miUserId === account?.id),
    )
    .map((n) => ({ code: n.code, message: n.message, ...(n.groupName ? { group: n.groupName } : {}) }));

  const targets = syncedTargetGroups(
    { groups: [...synced.values()], members: new Map(), users: new Map() },
    deps.options,
  );
  const targetName = (groupId: string): string =>
    deps.options.targetGroup ?? synced.get(groupId)?.displayName ?? groupId;
  const directIds = new Set((found.direct?.groups ?? []).map((g) => g.id.toLowerCase()));
  const syncedGroups = (found.transitive?.groups ?? [])
    .filter((g) => synced.has(g.id.toLowerCase()))
    .map((g) => {
      const via = directIds.has(g.id.toLowerCase()) ? ("direct" as const) : ("nested" as const);
      return {
        id: g.id.toLowerCase(),
        name: g.displayName,
        via,
        counts: via === "direct" || deps.options.membership === "transitive",
        miGroup: targetName(g.id.toLowerCase()),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  const miRows = account ? await rowsOf(account.id) : [];
  const nameOf = new Map(miGroups.map((g) => [g.id, g.name]));
  const miMemberships = miRows
    .map((r) => ({
      groupId: r.groupId,
      name: nameOf.get(r.groupId) ?? r.groupId,
      synced: targets.has(groupKey(nameOf.get(r.groupId) ?? "")),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));

  const groups = groupLines(
    syncedGroups,
    miMemberships,
    plan.operations.filter(mine.operation),
    notes,
    problems,
    entraUser?.accountEnabled,
  );
  const audit = await recentAudit(deps, "user", [account?.username, desired?.username, query]);
  const alsoWeighed = weighed.filter((upn) => lower(upn) !== lower(entraUser?.userPrincipalName ?? ""));
  const explanation: UserExplanation = {
    kind: "user",
    query,
    generatedAt,
    entra: entraUser
      ? {
          id: entraUser.id.toLowerCase(),
          userPrincipalName: entraUser.userPrincipalName,
          mail: entraUser.mail,
          accountEnabled: entraUser.accountEnabled,
        }
      : null,
    syncedGroups,
    mi: account
      ? {
          id: account.id,
          username: account.username,
          email: account.email,
          type: account.type,
          enabled: account.enabled,
        }
      : null,
    miMemberships,
    groups,
    operations,
    problems,
    notes,
    warnings: plan.warnings.filter((w) =>
      [desired?.username, account?.username].some((n) => n && w.startsWith(`${n}:`)),
    ),
    alsoWeighed,
    summary: [],
    ...audit,
  };
  explanation.summary = summarize(explanation, targets.size, resolution.unresolved.length > 0);
  return explanation;
}

const lower = (s: string): string => s.toLowerCase();

interface PlannedForUser {
  plan: Plan;
  /** MI users the plan knew, by id. */
  candidates: Map<string, MiUser>;
  miGroups: MiGroup[];
  /** An MI user's membership rows, in every MI group. */
  rowsOf: (miUserId: string) => Promise<MiMembership[]>;
  /** UPNs of the other Entra users a plan limited to the user weighed with it. */
  weighed: string[];
}

/**
 * The app's way, as the live path plans a change of this user: the user, the MI accounts it may be, and every other
 * Entra user the ledger says claims one of those names (scope `users`). A few requests.
 */
async function planFromLedger(
  deps: ExplainDeps,
  found: Awaited<ReturnType<typeof findUser>>,
  synced: ReadonlyMap<string, DirectoryGroup>,
): Promise<PlannedForUser> {
  const extra = found.miByQuery ? [found.miByQuery] : [];
  const scope =
    found.entraId !== undefined && found.transitive
      ? await readUserScope(
          deps,
          {
            id: found.entraId,
            context: deps.options.membership === "transitive" ? found.transitive : (found.direct ?? found.transitive),
          },
          synced,
          extra,
        )
      : { contexts: new Map<string, UserContext>(), candidates: new Map(extra.map((u) => [u.id, u])) };
  const limit = pLimit(deps.mi.maxConcurrency);
  const [miGroups, rows] = await Promise.all([
    deps.mi.listGroups(),
    Promise.all([...scope.candidates.keys()].map((id) => limit(() => deps.mi.listUserMemberships(id)))),
  ]);
  const mi: MiSnapshot = {
    users: [...scope.candidates.values()],
    groups: miGroups,
    memberships: byGroup(rows.flat()),
    actingUsername: deps.mi.actingUsername,
  };
  return {
    plan: planSync(entraSnapshot(scope.contexts, synced), mi, deps.options, "users"),
    candidates: scope.candidates,
    miGroups,
    rowsOf: async (id) => rows.flat().filter((r) => r.userId === id),
    weighed: [...scope.contexts.values()].flatMap((c) => (c.user ? [c.user.userPrincipalName] : [])),
  };
}

/**
 * Without a ledger (the command line), the plan a full sync makes (every synced group read whole, scope `full`, as
 * `provision --dry-run`): exact, since every other claimant of the user's names is in it.
 */
async function planFromEverything(
  deps: ExplainDeps,
  found: Awaited<ReturnType<typeof findUser>>,
): Promise<PlannedForUser> {
  const { entra, mi } = await readSnapshots(
    { selector: deps.selector, options: deps.options, unresolved: "skip" },
    deps,
  );
  const candidates = new Map(mi.users.map((u) => [u.id, u]));
  if (found.miByQuery && !candidates.has(found.miByQuery.id)) candidates.set(found.miByQuery.id, found.miByQuery);
  return {
    plan: planSync(entra, mi, deps.options, "full"),
    candidates,
    miGroups: mi.groups,
    rowsOf: (id) => deps.mi.listUserMemberships(id),
    weighed: [],
  };
}

/** Which of a plan's operations concern this user (its Entra id, or the MI account it is). */
function relevance(plan: Plan, entraId: string | undefined, miId: string | undefined) {
  const isUser = (ref: { miUserId: string } | { entraUserId: string }): boolean =>
    "miUserId" in ref ? ref.miUserId === miId : ref.entraUserId === entraId;
  const joined = new Set<string>();
  for (const o of plan.operations) {
    if (o.op === "addMember" && isUser(o.user) && "newGroupName" in o.group) joined.add(o.group.newGroupName);
  }
  const operation = (o: PlanOperation): boolean => {
    switch (o.op) {
      case "createGroup":
        return joined.has(o.name);
      case "createUser":
      case "updateUser":
        return o.entraUserId === entraId;
      case "enableUser":
      case "disableUser":
      case "removeMember":
        return o.miUserId === miId;
      case "setUserExtras":
      case "addMember":
        return isUser(o.user);
    }
  };
  return { operation };
}

/** One line per MI group the user is, or should be, in: Entra's side, MI's side, and the plan's word on it. */
function groupLines(
  syncedGroups: UserExplanation["syncedGroups"],
  miMemberships: UserExplanation["miMemberships"],
  operations: PlanOperation[],
  notes: UserExplanation["notes"],
  problems: UserExplanation["problems"],
  enabled: boolean | undefined,
): GroupLine[] {
  const lines = new Map<string, GroupLine>();
  const line = (name: string): GroupLine => {
    const key = groupKey(name);
    let found = lines.get(key);
    if (!found) {
      found = { group: name, inEntra: "no", inMi: false, verdict: "" };
      lines.set(key, found);
    }
    return found;
  };
  for (const g of syncedGroups) {
    const l = line(g.miGroup);
    if (l.inEntra === "direct" || l.inEntra === "nested") continue;
    l.inEntra = g.counts ? g.via : "nested, not counted";
  }
  for (const m of miMemberships) if (m.synced || lines.has(groupKey(m.name))) line(m.name).inMi = true;
  for (const o of operations) {
    if (o.op !== "addMember" && o.op !== "removeMember") continue;
    line(o.groupName).verdict = `${describeOperation(o)} (${o.reason})`;
  }
  const userNote = notes.find((n) => n.group === undefined) ?? problems[0];
  for (const l of lines.values()) {
    if (l.verdict) continue;
    const note = notes.find((n) => n.group !== undefined && groupKey(n.group) === groupKey(l.group));
    if (note) l.verdict = note.message;
    else if (userNote && l.inEntra !== "no") l.verdict = `not written: ${userNote.message}`;
    else if (l.inEntra === "nested, not counted")
      l.verdict = "only through a nested group, which this sync does not count (--process-child-groups is off)";
    else if (l.inEntra !== "no" && l.inMi) l.verdict = "in step: a member on both sides";
    else if (l.inEntra === "no" && !l.inMi) l.verdict = "not a member on either side";
    else if (enabled === false) l.verdict = "disabled in Entra: never added";
    else l.verdict = "no change planned";
  }
  return [...lines.values()].sort((a, b) => a.group.localeCompare(b.group));
}

function summarize(e: UserExplanation, syncedCount: number, incompleteSelection: boolean): string[] {
  const lines: string[] = [];
  if (e.entra) {
    lines.push(
      `${e.entra.userPrincipalName} (Entra ${e.entra.id}) is ${e.entra.accountEnabled ? "enabled" : "disabled"} in Entra.`,
    );
  } else {
    lines.push(`Entra has no user named '${e.query}'; MI has the account ${e.mi?.username ?? "?"}.`);
  }
  const counted = e.syncedGroups.filter((g) => g.counts);
  const uncounted = e.syncedGroups.filter((g) => !g.counts);
  if (counted.length > 0) {
    lines.push(
      `In the synced groups: ${counted.map((g) => `${g.name} (${g.via === "direct" ? "direct" : "through nesting"})`).join(", ")}.`,
    );
  } else if (e.entra) {
    lines.push("Not a member of any synced Entra group that this sync counts.");
  }
  if (uncounted.length > 0) {
    lines.push(
      `Only through nesting in ${uncounted.map((g) => g.name).join(", ")}: not counted, since --process-child-groups (SYNC_PROCESS_CHILD_GROUPS) is off.`,
    );
  }
  lines.push(
    e.mi
      ? `MI account ${e.mi.username} (id ${e.mi.id}, ${e.mi.type}, ${e.mi.enabled ? "enabled" : "disabled"}), in ${
          e.miMemberships.length === 0 ? "no group" : e.miMemberships.map((m) => m.name).join(", ")
        }.`
      : "No MI account yet.",
  );
  for (const p of e.problems) lines.push(`Cannot be written: ${p.message} (${p.code}).`);
  for (const n of e.notes) lines.push(`Left as it is: ${n.message}.`);
  if (e.operations.length > 0) {
    lines.push(`A sync now would make ${e.operations.length} change(s):`);
    for (const o of e.operations) lines.push(`  ${o.description} (${o.reason})`);
  } else if (e.problems.length === 0 && e.notes.length === 0) {
    lines.push(
      counted.length === 0 && e.miMemberships.every((m) => !m.synced)
        ? "Out of scope: a sync does not touch this user."
        : "Nothing to do: MI is in step with Entra for this user.",
    );
  }
  const others = syncedCount - new Set(e.groups.map((g) => g.group.toLowerCase())).size;
  if (others > 0 && e.groups.length > 0) lines.push(`Not in the other ${others} synced group(s), in Entra or in MI.`);
  if (e.alsoWeighed.length > 0)
    lines.push(`Weighed with the other claimants of its names: ${e.alsoWeighed.join(", ")}.`);

  if (incompleteSelection) lines.push("Some configured groups did not resolve in Entra; they were left out.");
  return lines;
}
