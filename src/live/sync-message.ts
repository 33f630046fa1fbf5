import { z } from "zod";

/**
 * A work item on the sync queue. It names a scope, never carries a notification's content as fact: the worker reads
 * the truth (delta, then the group itself) when it runs, so a duplicated, replayed or reordered message changes
 * nothing (STYLE.md habit 1).
 *
 * - `group`: the Entra group changed (or may have); resync it, and whatever else its delta chain reports.
 * - `chain`: the timer reconcile's fan-out: resync every group of one delta chain and restart its delta from now.
 * - `users`: some user changed; run the users delta and resync the groups those users are in.
 * - `lifecycle`: Graph sent a lifecycle event for a subscription; renew, reauthorize or recreate it.
 */
export const syncMessageSchema = z.discriminatedUnion("kind", [
  z.object({
    v: z.literal(1),
    kind: z.literal("group"),
    groupId: z.string().min(1).max(64),
    reason: z.enum(["notification", "reconcile", "resync"]),
    /** When the trigger happened (notification received, timer fired): for latency figures. */
    at: z.iso.datetime(),
  }),
  z.object({
    v: z.literal(1),
    kind: z.literal("chain"),
    chainId: z.string().min(1).max(64),
    reason: z.enum(["reconcile"]),
    at: z.iso.datetime(),
  }),
  z.object({
    v: z.literal(1),
    kind: z.literal("users"),
    reason: z.enum(["notification", "reconcile"]),
    at: z.iso.datetime(),
  }),
  z.object({
    v: z.literal(1),
    kind: z.literal("lifecycle"),
    subscriptionId: z.string().min(1).max(64),
    event: z.enum(["reauthorizationRequired", "subscriptionRemoved", "missed"]),
    at: z.iso.datetime(),
  }),
]);

export type SyncMessage = z.output<typeof syncMessageSchema>;

export function groupMessage(groupId: string, reason: "notification" | "reconcile" | "resync", at: Date): SyncMessage {
  return { v: 1, kind: "group", groupId, reason, at: at.toISOString() };
}

export function chainMessage(chainId: string, at: Date): SyncMessage {
  return { v: 1, kind: "chain", chainId, reason: "reconcile", at: at.toISOString() };
}

export function usersMessage(reason: "notification" | "reconcile", at: Date): SyncMessage {
  return { v: 1, kind: "users", reason, at: at.toISOString() };
}
