import { z } from "zod";

/** How often a message was put back: waiting for a busy scope, after a failed attempt, out of the poison queue. */
const retries = {
  /** Times it waited for a busy scope or a recent round (backs off, never poisons). */
  deferrals: z.number().int().min(0).max(1_000).optional(),
  /** Failed attempts so far (each sent back later, with a longer delay, until the poison queue). */
  failures: z.number().int().min(0).max(1_000).optional(),
  /** Times taken back out of the poison queue. */
  redriven: z.number().int().min(0).max(1_000).optional(),
};

const entraId = z.string().min(1).max(64);

/** At most this many user ids in one `users` message (a queue message holds 64 KiB). */
export const MAX_USERS_IN_MESSAGE = 200;

/**
 * A work item on the sync queue. It names a scope, never carries a notification's content as fact: the worker reads
 * the truth (delta, then the users or groups it names) when it runs, so a duplicated, replayed or reordered message
 * changes nothing (STYLE.md habit 1).
 *
 * - `group`: the Entra group changed (or may have); run its chain's delta and sync what it reports.
 * - `chain`: the timer reconcile's fan-out: resync every group of one delta chain and restart its delta from now.
 * - `users`: some users changed: with `userIds`, sync those users (a notification named them, or a resync that ran
 *   alongside their own sync re-checks them); without, run the users delta and sync the users it reports.
 * - `lifecycle`: Graph sent a lifecycle event for a subscription; renew, reauthorize or recreate it.
 */
export const syncMessageSchema = z.discriminatedUnion("kind", [
  z.object({
    v: z.literal(1),
    kind: z.literal("group"),
    groupId: entraId,
    reason: z.enum(["notification", "reconcile", "resync"]),
    /** When the trigger happened (notification received, timer fired): for latency figures. */
    at: z.iso.datetime(),
    /** Times an empty delta round right after the notification was read again (Graph may lag behind it). */
    recheck: z.number().int().min(0).max(10).optional(),
    /** Set on the message booked as its chain's wake: it carries every waiting notification up to `at`. */
    wake: z.string().min(1).max(64).optional(),
    ...retries,
  }),
  z.object({
    v: z.literal(1),
    kind: z.literal("chain"),
    chainId: z.string().min(1).max(64),
    reason: z.enum(["reconcile"]),
    at: z.iso.datetime(),
    ...retries,
  }),
  z.object({
    v: z.literal(1),
    kind: z.literal("users"),
    reason: z.enum(["notification", "reconcile", "resync"]),
    at: z.iso.datetime(),
    userIds: z.array(entraId).max(MAX_USERS_IN_MESSAGE).optional(),
    ...retries,
  }),
  z.object({
    v: z.literal(1),
    kind: z.literal("lifecycle"),
    subscriptionId: z.string().min(1).max(64),
    event: z.enum(["reauthorizationRequired", "subscriptionRemoved", "missed"]),
    at: z.iso.datetime(),
    ...retries,
  }),
]);

export type SyncMessage = z.output<typeof syncMessageSchema>;
export type UsersMessage = Extract<SyncMessage, { kind: "users" }>;

export function groupMessage(groupId: string, reason: "notification" | "reconcile" | "resync", at: Date): SyncMessage {
  return { v: 1, kind: "group", groupId, reason, at: at.toISOString() };
}

export function chainMessage(chainId: string, at: Date): SyncMessage {
  return { v: 1, kind: "chain", chainId, reason: "reconcile", at: at.toISOString() };
}

/** A `users` message: the users delta, or (with `userIds`) those users, split into messages of at most 200. */
export function usersMessages(
  reason: "notification" | "reconcile" | "resync",
  at: Date,
  userIds?: readonly string[],
): SyncMessage[] {
  const base = usersMessage(reason, at);
  if (userIds === undefined) return [base];
  const ids = [...new Set(userIds.map((id) => id.toLowerCase()))];
  const messages: SyncMessage[] = [];
  for (let i = 0; i < ids.length; i += MAX_USERS_IN_MESSAGE) {
    messages.push({ ...base, userIds: ids.slice(i, i + MAX_USERS_IN_MESSAGE) });
  }
  return messages;
}

/** One `users` message without ids: run the users delta. */
export function usersMessage(reason: "notification" | "reconcile" | "resync", at: Date): UsersMessage {
  return { v: 1, kind: "users", reason, at: at.toISOString() };
}
