/**
 * The sync state the live path keeps between invocations, in Azure Table Storage. One production implementation:
 * `TableSyncStateStore`. Every record that two instances may write at once carries an ETag; a write with a stale
 * ETag fails with `StateConflictError` instead of silently overwriting (optimistic concurrency).
 */

/** A delta chain: one Graph delta query over up to 50 group ids (or over all users), and where it stands. */
export interface DeltaChain {
  /** Stable id: `groups-<n>` or `users`. */
  chainId: string;
  kind: "groups" | "users";
  /** The group ids the chain's `$filter` names (at most 50); empty for `users`. */
  groupIds: string[];
  /** The whole `@odata.deltaLink` URL; undefined until the first round completed. */
  deltaLink: string | undefined;
  /** When `deltaLink` was last stored (ISO 8601). A link older than 7 days is expired at Graph. */
  updatedAt: string;
  /**
   * When the round that produced `deltaLink` began reading (ISO 8601): every change Graph notified before this moment
   * is behind that link already, so a notification received earlier needs no round of its own (coalescing).
   */
  readFrom?: string;
  /** Opaque ETag from the last read or write; pass it back to save. */
  etag?: string;
}

/** A Graph subscription we created, with the secret Graph echoes back as `clientState`. */
export interface SubscriptionRecord {
  id: string;
  /** `groups/<id>`, `groups`, or `users`. */
  resource: string;
  kind: "group" | "groups" | "users";
  /** For `kind: "group"`: the Entra group id. */
  groupId?: string;
  /** Secret compared in constant time with each notification's clientState. */
  clientState: string;
  /** The secret before the last rotation, still accepted until the subscription is renewed twice. */
  previousClientState?: string;
  expirationDateTime: string;
  notificationUrl: string;
  lifecycleNotificationUrl?: string;
  createdAt: string;
  etag?: string;
}

/** A held lease on a scope (`chain:groups-0`, `group:<id>`...). Expires by itself if the holder dies. */
export interface Lease {
  scope: string;
  owner: string;
  expiresAt: string;
  etag: string;
}

/** Entra object id ↔ MI id, so that a rename in Entra updates the MI object instead of creating a duplicate. */
export interface IdMapping {
  kind: "user" | "group";
  entraId: string;
  miId: string;
  /** The MI username or group name when last synced. */
  miName: string;
  updatedAt: string;
  /** Groups: how many synced Entra groups land in this MI group (same name); absent means one. */
  sources?: number;
}

/** What one run (timer reconcile, worker message, subscription upkeep) did. */
export interface RunRecord {
  runId: string;
  kind: "reconcile" | "worker" | "subscriptions" | "lifecycle";
  /** What started it: `timer`, `notification`, `queue`, `sandbox`... */
  trigger: string;
  startedAt: string;
  finishedAt: string;
  status: "succeeded" | "partial" | "failed" | "refused" | "poison";
  /** Operation counts, as in the CLI summary. */
  counts: Record<string, number>;
  /** Error lines, secret-free. */
  errors: string[];
  /** Free-form, small: the scope (group ids), the message id, latency figures. */
  detail?: Record<string, string | number | boolean>;
}

export interface SyncStateStore {
  /** Creates the tables if missing. Idempotent. */
  initialize(): Promise<void>;

  listDeltaChains(kind: DeltaChain["kind"]): Promise<DeltaChain[]>;
  getDeltaChain(chainId: string): Promise<DeltaChain | undefined>;
  /** Creates (no etag) or replaces (with the etag read); returns the chain with its new etag. Stale etag → StateConflictError. */
  saveDeltaChain(chain: DeltaChain): Promise<DeltaChain>;
  deleteDeltaChain(chainId: string): Promise<void>;

  /** Takes the lease if it is free or expired; undefined if another owner holds it. */
  acquireLease(scope: string, owner: string, ttlMs: number): Promise<Lease | undefined>;
  /** Extends a held lease; StateConflictError if it was lost. */
  renewLease(lease: Lease, ttlMs: number): Promise<Lease>;
  /** Releases a held lease; a lease already taken over or gone is left alone. */
  releaseLease(lease: Lease): Promise<void>;

  listSubscriptions(): Promise<SubscriptionRecord[]>;
  getSubscription(id: string): Promise<SubscriptionRecord | undefined>;
  saveSubscription(record: SubscriptionRecord): Promise<SubscriptionRecord>;
  deleteSubscription(id: string): Promise<void>;

  getIdMappings(kind: IdMapping["kind"], entraIds: string[]): Promise<Map<string, IdMapping>>;
  /** Upserts, unconditionally (last writer wins: both writers read the same truth). */
  saveIdMappings(mappings: IdMapping[]): Promise<void>;

  recordRun(run: RunRecord): Promise<void>;
  /** Newest first. */
  listRuns(options?: { limit?: number }): Promise<RunRecord[]>;
}
