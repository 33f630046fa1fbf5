import { z } from "zod";
import type { AuditPath } from "../sync/audit-trail.js";
import type { PlanOperationKind } from "../sync/plan/plan-model.js";

/** The user an entry is about: its MI username (as the operation named it) and the ids known then. */
export interface AuditUser {
  name: string;
  miUserId?: string;
  entraUserId?: string;
}

/** The MI group an entry is about. */
export interface AuditGroup {
  name: string;
  miGroupId?: string;
}

/**
 * What one run did to one operation (or could not do: a plan problem), as the audit trail keeps it. Plain JSON; no
 * secret (names, ids, reasons and MI's error messages as the engine reports them, which are secret-free).
 */
export interface AuditItem {
  /** The plan operation, or `problem` for something planning knew could not be done (a name clash, a failed read). */
  op: PlanOperationKind | "problem";
  status: "applied" | "failed" | "skipped";
  /** Why the plan has it (the planner's reason), or the problem's message. */
  reason: string;
  /** One line for people ("add ann@contoso.com to 'Sales'"). */
  description: string;
  /** Why it failed or was skipped. */
  error?: string;
  /** The problem's code (`duplicate-email`...). */
  code?: string;
  user?: AuditUser;
  group?: AuditGroup;
}

/** An item with the run it belongs to. */
export interface AuditEntry extends AuditItem {
  runId: string;
  /** When the run recorded it (ISO 8601): once apply finished. */
  at: string;
  path: AuditPath;
}

/** One run as the trail's index has it: when, which path, what it did, and the notification-to-MI latency. */
export interface AuditRunSummary {
  runId: string;
  at: string;
  path: AuditPath;
  applied: number;
  failed: number;
  skipped: number;
  /** From the change notification to the run's record (MI written), for runs a notification started. */
  latencyMs?: number;
  /** How long writing the trail took for this run. */
  recordMs: number;
}

// ---- the compact form kept in Table Storage: short keys, absent fields left out ------------------------------------

const OPS = [
  "createGroup",
  "createUser",
  "updateUser",
  "enableUser",
  "setUserExtras",
  "addMember",
  "removeMember",
  "disableUser",
  "problem",
] as const satisfies readonly (PlanOperationKind | "problem")[];

const MAX_TEXT = 4_000;
const short = z.string().max(MAX_TEXT);
const id = z.string().max(256);

/** An item as stored: `o` op, `s` status, `r` reason, `d` description, `e` error, `c` code, `u`/`um`/`ue` the user
 * (name, MI id, Entra id), `g`/`gm` the group (name, MI id). */
export const storedItemSchema = z.object({
  o: z.enum(OPS),
  s: z.enum(["applied", "failed", "skipped"]),
  r: short,
  d: short,
  e: short.optional(),
  c: z.string().max(64).optional(),
  u: short.optional(),
  um: id.optional(),
  ue: id.optional(),
  g: short.optional(),
  gm: id.optional(),
});
export type StoredItem = z.output<typeof storedItemSchema>;

export const storedItemsSchema = z.array(storedItemSchema);

const clip = (text: string): string => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text);

/** The stored form; texts longer than 4,000 characters are cut (MI's error messages can be long). */
export function encodeItem(item: AuditItem): StoredItem {
  const stored: StoredItem = { o: item.op, s: item.status, r: clip(item.reason), d: clip(item.description) };
  if (item.error !== undefined) stored.e = clip(item.error);
  if (item.code !== undefined) stored.c = item.code.slice(0, 64);
  if (item.user) {
    stored.u = clip(item.user.name);
    if (item.user.miUserId !== undefined) stored.um = item.user.miUserId;
    if (item.user.entraUserId !== undefined) stored.ue = item.user.entraUserId;
  }
  if (item.group) {
    stored.g = clip(item.group.name);
    if (item.group.miGroupId !== undefined) stored.gm = item.group.miGroupId;
  }
  return stored;
}

export function decodeItem(stored: StoredItem): AuditItem {
  return {
    op: stored.o,
    status: stored.s,
    reason: stored.r,
    description: stored.d,
    ...(stored.e === undefined ? {} : { error: stored.e }),
    ...(stored.c === undefined ? {} : { code: stored.c }),
    ...(stored.u === undefined
      ? {}
      : {
          user: {
            name: stored.u,
            ...(stored.um === undefined ? {} : { miUserId: stored.um }),
            ...(stored.ue === undefined ? {} : { entraUserId: stored.ue }),
          },
        }),
    ...(stored.g === undefined
      ? {}
      : { group: { name: stored.g, ...(stored.gm === undefined ? {} : { miGroupId: stored.gm }) } }),
  };
}
