import pLimit from "p-limit";
import { UsageError } from "../errors/sync-error.js";
import type { Logger } from "../logging/logger.js";
import type { DirectoryGroup, DirectoryUser, MiMembership } from "./model.js";
import { groupsToRead } from "./plan/target-groups.js";
import type { EntraDirectory, GroupSelector } from "./ports/entra-directory.js";
import type { MiDirectory } from "./ports/mi-directory.js";
import type { EntraSnapshot, GroupMembersRead, MiSnapshot } from "./snapshot.js";
import { requiredAttributes, type SyncOptions } from "./sync-options.js";

export interface ReadOptions {
  logger: Logger;
  /** `fail` (default): a group that does not resolve is a usage error. `skip`: it is left out with a warning (the
   * live path, where a group named by a notification may have been deleted since). */
  unresolved?: "fail" | "skip";
  abortSignal?: AbortSignal;
  /** Concurrent MI membership reads. Default: what the MI adapter allows (`maxConcurrency`). */
  miConcurrency?: number;
}

/**
 * The selected Entra groups. A selector that matches no group, or a name that matches several, is a usage error
 * naming the candidates: nothing has been written at that point. With `unresolved: "skip"` the groups that do not
 * resolve are left out and the list may be empty.
 */
export async function resolveEntraGroups(
  entra: EntraDirectory,
  selector: GroupSelector,
  read: ReadOptions,
): Promise<DirectoryGroup[]> {
  const resolution = await entra.resolveGroups(selector, { abortSignal: read.abortSignal });
  if (resolution.unresolved.length > 0 && read.unresolved === "skip") {
    for (const u of resolution.unresolved) read.logger.warn(`Entra: group '${u.selector}' is ${u.problem}; skipped`);
    if (resolution.groups.length === 0) return [];
  } else if (resolution.unresolved.length > 0) {
    const lines = resolution.unresolved.map((u) => {
      const candidates = u.candidates.map((c) => `'${c.displayName}' (${c.id})`).join(", ");
      return u.problem === "ambiguous"
        ? `'${u.selector}' matches ${u.candidates.length} Entra groups: ${candidates}; give the object id instead`
        : `no Entra group '${u.selector}'${candidates ? `; did you mean ${candidates}?` : ""}`;
    });
    throw new UsageError("entra.group_unresolved", lines.join("; "));
  }
  if (resolution.groups.length === 0) {
    throw new UsageError(
      "entra.no_groups",
      selector.prefix !== undefined
        ? `no Entra group's name starts with '${selector.prefix}' (--filter)`
        : "no Entra group selected: name groups or give --filter",
    );
  }
  read.logger.info(
    `Entra: ${resolution.groups.length} group(s) selected: ${resolution.groups.map((g) => g.displayName).join(", ")}`,
  );
  return resolution.groups;
}

/** The users of the resolved Entra groups. */
export async function readEntraMembers(
  entra: EntraDirectory,
  groups: DirectoryGroup[],
  options: SyncOptions,
  read: ReadOptions,
): Promise<EntraSnapshot> {
  if (groups.length === 0) return { groups: [], members: new Map(), users: new Map() };
  const members = new Map<string, GroupMembersRead>(groups.map((g) => [g.id, { userIds: [], complete: false }]));
  const users = new Map<string, DirectoryUser>();
  const pages = entra.listMembersOfGroups(
    groups.map((g) => g.id),
    {
      membership: options.membership,
      attributes: requiredAttributes(options),
      ...(options.customAttrAppId ? { customAttrAppId: options.customAttrAppId } : {}),
      ...(read.abortSignal ? { abortSignal: read.abortSignal } : {}),
    },
  );
  for await (const page of pages) {
    const entry = members.get(page.groupId);
    if (!entry) continue;
    if ("error" in page) {
      entry.complete = false;
      entry.error = page.error.message;
      read.logger.warn(`Entra: reading members of group ${page.groupId} failed: ${page.error.message}`);
      continue;
    }
    for (const user of page.users) {
      // A user in several groups arrives once per group: keep the first copy and its id string, so that the groups'
      // member lists share one string per user instead of holding a copy per membership.
      const known = users.get(user.id);
      if (known === undefined) users.set(user.id, user);
      entry.userIds.push(known?.id ?? user.id);
    }
    if (page.last && entry.error === undefined) entry.complete = true;
  }
  for (const [id, entry] of members) {
    if (!entry.complete && entry.error === undefined) entry.error = `the read of group ${id} ended early`;
  }
  read.logger.info(`Entra: ${users.size} distinct user(s) read`);
  return { groups, members, users };
}

/** Reads MI's users and groups once, then the memberships of the groups the run syncs. */
export async function readMi(
  mi: MiDirectory,
  entra: EntraSnapshot,
  options: SyncOptions,
  read: ReadOptions,
): Promise<MiSnapshot> {
  const call = { abortSignal: read.abortSignal };
  // Extras are only read when the run manages some: otherwise every MI user would carry an object nothing reads.
  const extras = options.customAttributes.length > 0 || options.trustedServerUsernameAttr !== undefined;
  // The membership reads need only the groups: they start while the users list (MI's largest answer) is still on its
  // way, so that MI's side of a reconcile is its membership reads, not the users list plus them.
  const usersRead = mi.listUsers({ ...call, extras });
  usersRead.catch(() => {}); // awaited below; a failing groups read must not leave it unhandled meanwhile
  const groups = await mi.listGroups(call);
  const limit = pLimit(read.miConcurrency ?? mi.maxConcurrency);
  const wanted = groupsToRead(entra, options, groups);
  const [users, rows] = await Promise.all([
    usersRead,
    Promise.all(wanted.map((g) => limit(async () => [g.id, await mi.listGroupMembers(g.id, call)] as const))),
  ]);
  // Membership rows name their user by id: each row shares the id string of that MI user instead of holding its own.
  const userIds = new Map(users.map((u) => [u.id, u.id]));
  for (const [, groupRows] of rows) {
    for (const row of groupRows) row.userId = userIds.get(row.userId) ?? row.userId;
  }
  const memberships = new Map<string, MiMembership[]>(rows);
  read.logger.info(`MI: ${users.length} user(s), ${groups.length} group(s); memberships of ${wanted.length} read`);
  return { users, groups, memberships, actingUsername: mi.actingUsername };
}
