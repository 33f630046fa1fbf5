import type { GraphSubscription } from "../entra/entra-subscriptions.js";
import { describeError, SyncError } from "../errors/sync-error.js";
import type { Lease, SubscriptionRecord } from "../state/sync-state-store.js";
import type { LiveDeps } from "./live-deps.js";
import { sealClientState } from "./seal-client-state.js";
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
  /** Replaced by a new subscription with a fresh clientState secret (the old one was then deleted). */
  rotated: string[];
  deleted: string[];
  failed: string[];
  /** `group`: one subscription per synced group; `collection`: one on `groups` (nested groups, or over the quota). */
  mode: "group" | "collection";
  /** `busy`: another instance was keeping the subscriptions; this call changed nothing. */
  skipped?: "busy";
}

const CHANGE_TYPE = "updated,deleted";

/** The upkeep's lease: one instance at a time creates and deletes, so none takes another's fresh subscription for an orphan. */
export const SUBSCRIPTIONS_LEASE = "subscriptions";
const LEASE_TTL_MS = 10 * 60 * 1000;

/**
 * Keeps one subscription per synced group (or one on the `groups` collection when nested groups are synced or there
 * are more groups than the quota allows) plus one on `users`, under a lease so that one instance at a time does it:
 * - deletes, at Graph, subscriptions that point at this app's notification URL but that the state does not know
 *   (left by a crash between Graph's answer and the save); never those pointing elsewhere, which another deployment
 *   sharing the app registration may own;
 * - deletes those no longer wanted, and older duplicates of a wanted one (a rotation that could not finish);
 * - creates the missing, and recreates those Graph lost (resyncing their scope, since notifications may be lost);
 * - rotates those expiring within `SUBSCRIPTION_RENEW_BEFORE_MINUTES`: Graph cannot change a subscription's
 *   clientState (msgraph-sdk-javascript#406), so a new subscription with a fresh secret is created first and the old
 *   one deleted after; both secrets are accepted while both exist. When no new one can be made (quota, Graph down),
 *   the old one is renewed in place instead.
 * A 403 quota answer when creating switches to the collection subscription.
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
  if (!settings.NOTIFICATION_URL) {
    deps.logger.warn(
      "subscriptions: NOTIFICATION_URL is not set; no change notifications (the timer reconcile still runs)",
    );
    return emptyUpkeep(collection);
  }
  const lease = await UpkeepLease.take(deps);
  if (!lease) {
    deps.logger.info("subscriptions: another instance is keeping the subscriptions; nothing done here");
    return { ...emptyUpkeep(collection), skipped: "busy" };
  }
  try {
    let outcome = await upkeep(deps, lease, syncedGroups, collection);
    if (outcome === "quota") {
      deps.logger.warn("subscriptions: Graph's subscription quota is reached; one subscription on all groups instead");
      outcome = await upkeep(deps, lease, syncedGroups, true);
      if (outcome === "quota") throw new Error("unreachable: the collection upkeep never asks for a fallback");
    }
    await reportExpiries(deps, outcome);
    return outcome;
  } finally {
    await lease.release();
  }
}

/**
 * One structured line per subscription kept (`event: "mi-sync.subscription"`, its id, resource and expiry): the
 * "subscription expiring" alert reads them (infra/alerts, docs/operate.md).
 */
async function reportExpiries(deps: LiveDeps, outcome: SubscriptionUpkeep): Promise<void> {
  const refreshed = new Set([...outcome.created, ...outcome.renewed, ...outcome.rotated]);
  for (const record of await deps.state.listSubscriptions()) {
    deps.logger.info(
      JSON.stringify({
        event: "mi-sync.subscription",
        subscriptionId: record.id,
        resource: record.resource,
        expiresAt: record.expirationDateTime,
        renewed: refreshed.has(record.resource),
      }),
    );
  }
}

function emptyUpkeep(collection: boolean): SubscriptionUpkeep {
  return { created: [], renewed: [], rotated: [], deleted: [], failed: [], mode: collection ? "collection" : "group" };
}

/** One pass; `quota` when, in group mode, Graph refused a creation for the quota (the caller retries as collection). */
async function upkeep(
  deps: LiveDeps,
  lease: UpkeepLease,
  syncedGroups: string[],
  collection: boolean,
): Promise<SubscriptionUpkeep | "quota"> {
  const outcome = emptyUpkeep(collection);
  const wanted = desired(syncedGroups, collection);
  const records = await deps.state.listSubscriptions();
  const atGraph = await listAtGraph(deps, outcome);
  const known = new Set(records.map((r) => r.id.toLowerCase()));

  for (const orphan of atGraph?.filter((s) => pointsHere(deps, s) && !known.has(s.id.toLowerCase())) ?? []) {
    await lease.keep();
    try {
      await deps.entra.deleteSubscription(orphan.id);
      outcome.deleted.push(`${orphan.resource} (unknown to the state)`);
    } catch (error) {
      outcome.failed.push(`delete ${orphan.resource} (unknown to the state): ${describeError(error)}`);
    }
  }

  // Deletions before creations: they free quota. A wanted resource keeps its newest record; older ones are retired.
  const current = new Map<string, SubscriptionRecord>();
  for (const record of newestFirst(records)) {
    const key = record.resource.toLowerCase();
    if (wanted.some((w) => w.resource.toLowerCase() === key) && !current.has(key)) {
      current.set(key, record);
      continue;
    }
    await lease.keep();
    try {
      await retire(deps, record);
      outcome.deleted.push(record.resource);
    } catch (error) {
      outcome.failed.push(`delete ${record.resource}: ${describeError(error)}`);
    }
  }

  const renewBefore = deps.now().getTime() + deps.settings.SUBSCRIPTION_RENEW_BEFORE_MINUTES * 60_000;
  for (const want of wanted) {
    const record = current.get(want.resource.toLowerCase());
    const lost = record !== undefined && atGraph !== undefined && !atGraph.some((s) => sameId(s.id, record.id));
    if (record && !lost && Date.parse(record.expirationDateTime) > renewBefore) continue;
    await lease.keep();
    try {
      if (!record) {
        await create(deps, want);
        outcome.created.push(want.resource);
      } else if (lost) {
        await replace(deps, record, want, syncedGroups);
        outcome.created.push(want.resource);
      } else {
        await rotate(deps, record, want, syncedGroups, outcome);
      }
    } catch (error) {
      if (isQuota(error) && !collection) return "quota";
      outcome.failed.push(`${want.resource}: ${describeError(error)}`);
    }
  }
  return outcome;
}

/** Graph's subscriptions of this app, or undefined (with the failure noted) when they cannot be listed. */
async function listAtGraph(deps: LiveDeps, outcome: SubscriptionUpkeep): Promise<GraphSubscription[] | undefined> {
  try {
    return await deps.entra.listSubscriptions();
  } catch (error) {
    outcome.failed.push(`list the app's subscriptions at Graph: ${describeError(error)}`);
    return undefined;
  }
}

/**
 * Replaces a subscription that is due with a new one holding a fresh secret, then deletes the old one. If no new one
 * can be made, the old one is renewed in place (same secret) so that notifications keep flowing.
 */
async function rotate(
  deps: LiveDeps,
  record: SubscriptionRecord,
  want: WantedSubscription,
  syncedGroups: string[],
  outcome: SubscriptionUpkeep,
): Promise<void> {
  try {
    await create(deps, want);
  } catch (error) {
    if (await renew(deps, record)) {
      outcome.renewed.push(want.resource);
      if (isQuota(error)) {
        deps.logger.warn(`subscriptions: no room to rotate ${want.resource}'s secret (quota); renewed it instead`);
      } else {
        outcome.failed.push(`rotate ${want.resource}: ${describeError(error)}; renewed with the same secret`);
      }
      return;
    }
    // Graph had lost it, and no new one could be made: the scope is resynced; the next run creates it again.
    await enqueueResync(deps, want, syncedGroups);
    throw error;
  }
  try {
    await retire(deps, record);
  } catch (error) {
    // Both stay accepted until the next run retires the old one (it is then an older duplicate).
    outcome.failed.push(`delete the replaced subscription on ${want.resource}: ${describeError(error)}`);
  }
  outcome.rotated.push(want.resource);
}

/** A subscription Graph lost: notifications may have been missed, so the new one comes with a resync of its scope. */
async function replace(
  deps: LiveDeps,
  record: SubscriptionRecord,
  want: WantedSubscription,
  syncedGroups: string[],
): Promise<void> {
  await deps.state.deleteSubscription(record.id);
  await enqueueResync(deps, want, syncedGroups);
  await create(deps, want);
}

/** Deletes a subscription at Graph, then its record; its secret is no longer accepted. */
async function retire(deps: LiveDeps, record: SubscriptionRecord): Promise<void> {
  await deps.entra.deleteSubscription(record.id);
  await deps.state.deleteSubscription(record.id);
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

/**
 * Creates a subscription with a fresh clientState secret and records it (the secret sealed, the URL without its
 * function key). If the record cannot be saved, the subscription is deleted at Graph again: unknown to the state, its
 * notifications would all be refused, and it would count against the quota until it expired.
 */
async function create(deps: LiveDeps, want: WantedSubscription): Promise<void> {
  const { settings } = deps;
  const notificationUrl = settings.NOTIFICATION_URL!;
  const lifecycleUrl = settings.LIFECYCLE_NOTIFICATION_URL;
  const clientState = deps.newSecret();
  const sub = await deps.entra.createSubscription({
    resource: want.resource,
    changeType: CHANGE_TYPE,
    notificationUrl,
    ...(lifecycleUrl ? { lifecycleNotificationUrl: lifecycleUrl } : {}),
    expirationDateTime: expiry(deps),
    clientState,
  });
  try {
    await deps.state.saveSubscription({
      id: sub.id,
      resource: want.resource,
      kind: want.kind,
      ...(want.groupId ? { groupId: want.groupId } : {}),
      clientState: sealClientState(clientState),
      expirationDateTime: sub.expirationDateTime,
      notificationUrl: endpointOf(notificationUrl),
      ...(lifecycleUrl ? { lifecycleNotificationUrl: endpointOf(lifecycleUrl) } : {}),
      createdAt: deps.now().toISOString(),
    });
  } catch (error) {
    await deps.entra.deleteSubscription(sub.id).catch((cleanup: unknown) => {
      deps.logger.warn(
        `subscriptions: could not delete subscription ${sub.id} after failing to record it (${describeError(cleanup)}); the next run deletes it`,
      );
    });
    throw error;
  }
}

function desired(groups: string[], collection: boolean): WantedSubscription[] {
  const groupSubs: WantedSubscription[] = collection
    ? [{ resource: "groups", kind: "groups" }]
    : [...new Set(groups.map((id) => id.toLowerCase()))].map((id) => ({
        resource: `groups/${id}`,
        kind: "group",
        groupId: id,
      }));
  return [...groupSubs, { resource: "users", kind: "users" }];
}

/** Newest first: by expiry, then creation time (a rotation's new subscription expires later than the one it replaces). */
function newestFirst(records: SubscriptionRecord[]): SubscriptionRecord[] {
  const key = (r: SubscriptionRecord): string => `${new Date(r.expirationDateTime).toISOString()} ${r.createdAt}`;
  return [...records].sort((a, b) => key(b).localeCompare(key(a)));
}

/**
 * The endpoint a URL names, without query or fragment (where Azure Functions' `?code=` key rides), scheme and host
 * lower-cased. Two URLs with the same endpoint reach the same function, whichever key they carry.
 */
export function endpointOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`.toLowerCase();
  } catch {
    return url.replace(/[?#].*$/s, "").toLowerCase();
  }
}

/** Whether a Graph subscription notifies this app's own webhook (whatever function key its URL carries). */
function pointsHere(deps: LiveDeps, subscription: GraphSubscription): boolean {
  return endpointOf(subscription.notificationUrl) === endpointOf(deps.settings.NOTIFICATION_URL!);
}

const sameId = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

const isQuota = (error: unknown): boolean => error instanceof SyncError && error.code === "entra.subscription_quota";

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

/**
 * The groups the subscriptions should cover: the configured ones, resolved now, so that the very first run (before
 * any reconcile has laid delta chains) already subscribes to them. If Graph cannot resolve them, the groups of the
 * delta chains (what the last reconcile resolved) are used, and the failure is returned for the run record.
 */
export async function groupsToSubscribe(deps: LiveDeps): Promise<{ groupIds: string[]; errors: string[] }> {
  try {
    const resolution = await deps.entra.resolveGroups(deps.config.selector);
    const errors = resolution.unresolved.map((u) => `group '${u.selector}' is ${u.problem}`);
    return { groupIds: resolution.groups.map((g) => g.id.toLowerCase()), errors };
  } catch (error) {
    const chains = await deps.state.listDeltaChains("groups");
    return {
      groupIds: chains.flatMap((c) => c.groupIds),
      errors: [`resolve the configured groups (used the last reconcile's): ${describeError(error)}`],
    };
  }
}

/** The upkeep's lease, renewed between operations once half its time is gone (creations wait on Graph's handshake). */
class UpkeepLease {
  private constructor(
    private readonly deps: LiveDeps,
    private lease: Lease,
    private takenAt: number,
  ) {}

  static async take(deps: LiveDeps): Promise<UpkeepLease | undefined> {
    const lease = await deps.state.acquireLease(SUBSCRIPTIONS_LEASE, `${deps.owner}/${deps.newId()}`, LEASE_TTL_MS);
    return lease && new UpkeepLease(deps, lease, deps.now().getTime());
  }

  /** Renews the lease when half its time is gone; throws StateConflictError if another instance took it over. */
  async keep(): Promise<void> {
    const now = this.deps.now().getTime();
    if (now - this.takenAt < LEASE_TTL_MS / 2) return;
    this.lease = await this.deps.state.renewLease(this.lease, LEASE_TTL_MS);
    this.takenAt = now;
  }

  async release(): Promise<void> {
    await this.deps.state.releaseLease(this.lease).catch(() => undefined);
  }
}
