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
  /** The groups' display names as last read, in the order of `groupIds` (absent on chains laid before names were kept). */
  groupNames?: string[];
  /** The whole `@odata.deltaLink` URL; undefined until the first round completed. */
  deltaLink: string | undefined;
  /** When `deltaLink` was last stored (ISO 8601). A link older than 7 days is expired at Graph. */
  updatedAt: string;
  /**
   * When the round that produced `deltaLink` began reading (ISO 8601): every change Graph notified before this moment
   * is behind that link already, so a notification received earlier needs no round of its own (coalescing).
   */
  readFrom?: string;
  /**
   * The chain's booked wake: the queue message (`id`) that runs a round for every notification received no later than
   * `for` (ISO 8601) that found the chain busy or its last round too recent. Those notifications are done once it is
   * booked, instead of each coming back on its own (see `syncGroupChange`).
   */
  wake?: { id: string; for: string };
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

/**
 * What the live path remembers of one Entra user between runs (the user ledger): the MI user it is, and the username
 * and email it claims. Plans limited to a few users look up, through it, every other user that claims the same MI
 * username or email (the claimants a full plan would weigh), so that a partial plan decides exactly as a full one.
 */
export interface UserLedgerEntry {
  /** Entra object id, lowercase. */
  entraId: string;
  /** The MI user it was when last synced (matched or created); finds its MI account once Graph no longer has it. */
  miId: string | undefined;
  /** The MI username and email it maps to (as mapped); meaningful while `claims`. */
  username: string;
  email: string;
  /** An enabled, selected member of a synced group with a username: it claims that username and email. */
  claims: boolean;
  /** When last written (ISO 8601); a resync re-checks users written while it ran. */
  updatedAt: string;
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

  /** The ledger entries of these Entra users (point reads), by Entra id; users never recorded are absent. */
  getUserEntries(entraIds: string[]): Promise<Map<string, UserLedgerEntry>>;
  /**
   * Writes entries and keeps the claim index in step: the entry first, then the claims it makes, then the removal of
   * the claims `previous` (the entries as read before) made and it no longer does. Unconditional (last writer wins);
   * a failure part-way leaves stale claim rows, which readers check against the entry. Idempotent.
   */
  saveUserEntries(entries: UserLedgerEntry[], previous: ReadonlyMap<string, UserLedgerEntry>): Promise<void>;
  /** Entra ids whose claim rows name any of these usernames or emails (case-insensitive); check their entries. */
  findClaimants(keys: { usernames: string[]; emails: string[] }): Promise<Set<string>>;
  /** Every ledger entry. */
  listUserEntries(): Promise<UserLedgerEntry[]>;
  /** Notes that a sync limited to these users read them `at` (ISO 8601): a whole-group sync running meanwhile rechecks them. */
  touchUsers(entraIds: string[], at: string): Promise<void>;
  /** Entra ids touched at or after `since` (ISO 8601), each once. */
  usersTouchedSince(since: string): Promise<string[]>;
  /** Deletes the notes older than `before`. */
  pruneTouches(before: string): Promise<void>;

  recordRun(run: RunRecord): Promise<void>;
  /** Newest first. */
  listRuns(options?: { limit?: number }): Promise<RunRecord[]>;
}
