import { describeError, SyncError } from "../errors/sync-error.js";
import type { SubscriptionRecord } from "../state/sync-state-store.js";
import type { LiveDeps } from "./live-deps.js";
import { groupMessage, usersMessage } from "./sync-message.js";

/** A subscription the sync needs. */
interface WantedSubscription {
  resource: string;
  kind: SubscriptionRecord["kind"];
  groupId?: string;
}

export interface SubscriptionUpkeep {
  created: string[];
  renewed: string[];
  deleted: string[];
  failed: string[];
  /** `group`: one subscription per synced group; `collection`: one on `groups` (nested groups, or over the quota). */
  mode: "group" | "collection";
}

const CHANGE_TYPE = "updated,deleted";

/**
 * Keeps one subscription per synced group (or one on the `groups` collection when nested groups are synced or there
 * are more groups than the quota allows) plus one on `users`: creates the missing, renews those expiring within
 * `SUBSCRIPTION_RENEW_BEFORE_MINUTES`, recreates those Graph no longer knows (and resyncs their scope, since
 * notifications may have been missed), deletes those no longer wanted. A 403 quota answer switches to the collection.
 */
export async function maintainSubscriptions(
  deps: LiveDeps,
  syncedGroups: string[],
  forceCollection = false,
): Promise<SubscriptionUpkeep> {
  const { settings } = deps;
  const collection =
    forceCollection ||
    deps.config.sync.membership === "transitive" ||
    syncedGroups.length + 1 > settings.SUBSCRIPTION_QUOTA;
  const outcome: SubscriptionUpkeep = {
    created: [],
    renewed: [],
    deleted: [],
    failed: [],
    mode: collection ? "collection" : "group",
  };
  if (!settings.NOTIFICATION_URL) {
    deps.logger.warn(
      "subscriptions: NOTIFICATION_URL is not set; no change notifications (the timer reconcile still runs)",
    );
    return outcome;
  }
  const wanted = desired(syncedGroups, collection);
  const records = await deps.state.listSubscriptions();
  const renewBefore = deps.now().getTime() + settings.SUBSCRIPTION_RENEW_BEFORE_MINUTES * 60_000;

  // Deletions first: they free quota for what is created below.
  for (const record of records) {
    if (wanted.some((w) => w.resource.toLowerCase() === record.resource.toLowerCase())) continue;
    try {
      await deps.entra.deleteSubscription(record.id);
      await deps.state.deleteSubscription(record.id);
      outcome.deleted.push(record.resource);
    } catch (error) {
      outcome.failed.push(`delete ${record.resource}: ${describeError(error)}`);
    }
  }
  for (const want of wanted) {
    const record = records.find((r) => r.resource.toLowerCase() === want.resource.toLowerCase());
    if (record && new Date(record.expirationDateTime).getTime() > renewBefore) continue;
    try {
      if (record && (await renew(deps, record))) {
        outcome.renewed.push(want.resource);
        continue;
      }
      if (record) await enqueueResync(deps, want, syncedGroups);
      await create(deps, want);
      outcome.created.push(want.resource);
    } catch (error) {
      if (error instanceof SyncError && error.code === "entra.subscription_quota" && !collection) {
        deps.logger.warn(
          "subscriptions: Graph's subscription quota is reached; one subscription on all groups instead",
        );
        return maintainSubscriptions(deps, syncedGroups, true);
      }
      outcome.failed.push(`${want.resource}: ${describeError(error)}`);
    }
  }

  return outcome;
}

const expiry = (deps: LiveDeps): Date =>
  new Date(deps.now().getTime() + deps.settings.SUBSCRIPTION_LIFETIME_MINUTES * 60_000);

/** Renews (which also reauthorizes); false when Graph no longer knows the subscription (its record is then gone). */
export async function renew(deps: LiveDeps, record: SubscriptionRecord): Promise<boolean> {
  try {
    const renewed = await deps.entra.renewSubscription(record.id, expiry(deps));
    await deps.state.saveSubscription({ ...record, expirationDateTime: renewed.expirationDateTime });
    return true;
  } catch (error) {
    if (!(error instanceof SyncError && error.code === "entra.subscription_not_found")) throw error;
    await deps.state.deleteSubscription(record.id);
    return false;
  }
}

/** Creates a subscription with a fresh clientState secret, and records it. */
async function create(deps: LiveDeps, want: WantedSubscription): Promise<void> {
  const { settings } = deps;
  const notificationUrl = settings.NOTIFICATION_URL!;
  const lifecycle = settings.LIFECYCLE_NOTIFICATION_URL
    ? { lifecycleNotificationUrl: settings.LIFECYCLE_NOTIFICATION_URL }
    : {};
  const clientState = deps.newSecret();
  const sub = await deps.entra.createSubscription({
    resource: want.resource,
    changeType: CHANGE_TYPE,
    notificationUrl,
    ...lifecycle,
    expirationDateTime: expiry(deps),
    clientState,
  });
  await deps.state.saveSubscription({
    id: sub.id,
    resource: want.resource,
    kind: want.kind,
    ...(want.groupId ? { groupId: want.groupId } : {}),
    clientState,
    expirationDateTime: sub.expirationDateTime,
    notificationUrl,
    ...lifecycle,
    createdAt: deps.now().toISOString(),
  });
}

function desired(groups: string[], collection: boolean): WantedSubscription[] {
  const groupSubs: WantedSubscription[] = collection
    ? [{ resource: "groups", kind: "groups" }]
    : groups.map((id) => ({ resource: `groups/${id}`, kind: "group", groupId: id }));
  return [...groupSubs, { resource: "users", kind: "users" }];
}

/** Enqueues a resync of what a subscription covers. */
export async function enqueueResync(
  deps: LiveDeps,
  covered: { kind: SubscriptionRecord["kind"]; groupId?: string },
  syncedGroups: string[],
): Promise<void> {
  const now = deps.now();
  if (covered.kind === "users") return deps.queue.send(usersMessage("reconcile", now));
  const ids = covered.kind === "group" && covered.groupId ? [covered.groupId] : syncedGroups;
  for (const id of ids) await deps.queue.send(groupMessage(id, "resync", now));
}
