import { randomUUID } from "node:crypto";
import type { DirectoryChange, MemberKind } from "./directory-types.js";
import { formatExpiry, type SimSubscription, type SubscriptionChangeType } from "./sim-subscription.js";
import type { ChangedObject } from "./subscription-resource.js";

/** One directory change as notifications describe it: which object, `updated` or `deleted`, and the member touched. */
export interface DirectoryEvent {
  object: ChangedObject;
  changeType: SubscriptionChangeType;
  /** Set for membership changes (a direct member added or removed). */
  member?: { kind: MemberKind; id: string; removed: boolean };
  /** The directory change's `seq`: grows with every change, used as `sequenceNumber`. */
  seq: number;
  /** Sim-clock ms of the change. */
  at: number;
}

/** `resourceData` of a user or group notification (contract §3.3). */
export interface NotificationResourceData {
  "@odata.type": "#Microsoft.Graph.Group" | "#Microsoft.Graph.User";
  "@odata.id": string;
  id: string;
  organizationId: string;
  eventTime: string;
  sequenceNumber: number;
  "members@delta"?: Array<Record<string, unknown>>;
}

/** One element of the `value` array POSTed to `notificationUrl` (contract §3.3). */
export interface ChangeNotification {
  id: string;
  subscriptionId: string;
  subscriptionExpirationDateTime: string;
  clientState: string | null;
  changeType: SubscriptionChangeType;
  resource: string;
  resourceData: NotificationResourceData;
  tenantId: string;
}

/** Lifecycle events; for users and groups Graph only ever sends `reauthorizationRequired` (contract §3.4). */
export type LifecycleEvent = "reauthorizationRequired" | "subscriptionRemoved" | "missed";

/** One element of the `value` array POSTed to `lifecycleNotificationUrl` (contract §3.4). */
export interface LifecycleNotification {
  subscriptionId: string;
  subscriptionExpirationDateTime: string;
  tenantId: string;
  clientState: string | null;
  lifecycleEvent: LifecycleEvent;
}

/**
 * Maps a directory change to the event Graph notifies (contract §3.1): creation, update and soft delete are
 * `updated`; only a permanent delete is `deleted`. Membership changes are `updated` on the group.
 */
export function directoryEventOf(change: DirectoryChange): DirectoryEvent {
  const stamp = { seq: change.seq, at: change.at };
  switch (change.kind) {
    case "userUpserted":
      return { object: { kind: "user", id: change.userId }, changeType: "updated", ...stamp };
    case "userRemoved":
      return { object: { kind: "user", id: change.userId }, changeType: removalType(change.reason), ...stamp };
    case "groupUpserted":
      return { object: { kind: "group", id: change.groupId }, changeType: "updated", ...stamp };
    case "groupRemoved":
      return { object: { kind: "group", id: change.groupId }, changeType: removalType(change.reason), ...stamp };
    case "memberAdded":
    case "memberRemoved":
      return {
        object: { kind: "group", id: change.groupId },
        changeType: "updated",
        member: { kind: change.memberKind, id: change.memberId, removed: change.kind === "memberRemoved" },
        ...stamp,
      };
  }
}

/**
 * The notification one subscription receives for one event, shaped as real Graph sends it (contract §3.3):
 * capitalised `Groups/{id}` / `Users/{id}` and `#Microsoft.Graph.*`. `members@delta` (direct member, `@removed`
 * when removed, as in delta) only with `includeMembersDelta`: Graph includes it sometimes, and clients must not
 * depend on it.
 */
export function changeNotification(
  subscription: SimSubscription,
  event: DirectoryEvent,
  options: { tenantId: string; includeMembersDelta: boolean },
): ChangeNotification {
  const path = `${event.object.kind === "group" ? "Groups" : "Users"}/${event.object.id}`;
  const resourceData: NotificationResourceData = {
    "@odata.type": event.object.kind === "group" ? "#Microsoft.Graph.Group" : "#Microsoft.Graph.User",
    "@odata.id": path,
    id: event.object.id,
    organizationId: options.tenantId,
    eventTime: new Date(event.at).toISOString(),
    sequenceNumber: event.seq,
  };
  if (options.includeMembersDelta && event.member) {
    const reference: Record<string, unknown> = {
      "@odata.type": `#microsoft.graph.${event.member.kind}`,
      id: event.member.id,
    };
    if (event.member.removed) reference["@removed"] = { reason: "deleted" };
    resourceData["members@delta"] = [reference];
  }
  return {
    id: randomUUID(),
    subscriptionId: subscription.id,
    subscriptionExpirationDateTime: formatExpiry(subscription.expiresAt),
    clientState: subscription.clientState,
    changeType: event.changeType,
    resource: path,
    resourceData,
    tenantId: options.tenantId,
  };
}

export function lifecycleNotification(
  subscription: SimSubscription,
  lifecycleEvent: LifecycleEvent,
  tenantId: string,
): LifecycleNotification {
  return {
    subscriptionId: subscription.id,
    subscriptionExpirationDateTime: formatExpiry(subscription.expiresAt),
    tenantId,
    clientState: subscription.clientState,
    lifecycleEvent,
  };
}

function removalType(reason: "changed" | "deleted"): SubscriptionChangeType {
  return reason === "deleted" ? "deleted" : "updated";
}
