/**
 * `SyncStateStore` on Azure Table Storage. Row layout: `state-entities.ts`; Runs keys: `run-keys.ts`.
 *
 * Expected answers are decided by status: 404 on a read is "absent", 409 on a create and 412 on a conditional write
 * are lost races (`StateConflictError`, or `undefined` for leases). Anything else goes through `mapStorageError`
 * (`state.unavailable`, `state.auth`, `state.rejected`). Every row read back is checked by a schema; a bad one is a
 * `StateCorruptError` naming the table and keys.
 */
import { odata, type TableClient, type TransactionAction } from "@azure/data-tables";
import { UsageError } from "../errors/sync-error.js";
import { mapStorageError } from "./map-storage-error.js";
import {
  CHAINS_PARTITION,
  decodeDeltaChain,
  decodeLease,
  decodeRun,
  decodeSubscription,
  type EncodedEntity,
  encodeDeltaChain,
  encodeLease,
  encodeRun,
  encodeSubscription,
  LEASES_PARTITION,
  leaseRowKey,
  SUBSCRIPTIONS_PARTITION,
} from "./state-entities.js";
import { StateConflictError, StateRejectedError } from "./state-errors.js";
import { storageStatus } from "./storage-failure.js";
import { type StorageTarget, tableClientFor } from "./storage-target.js";
import type {
  DeltaChain,
  Lease,
  RunRecord,
  SubscriptionRecord,
  SyncStateStore,
  UserLedgerEntry,
} from "./sync-state-store.js";
import { tablePrefix } from "./table-prefix.js";
import { toTableKey } from "./to-table-key.js";
import {
  CLAIM_PARTITION,
  claimRange,
  decodeUserEntry,
  encodeClaim,
  encodeUserEntry,
  TOUCH_PARTITION,
  touchEntity,
  USER_PARTITION,
} from "./user-ledger-entities.js";

export interface TableSyncStateStoreOptions {
  /** A storage account connection string. Never echoed in errors. Ignored when `storage` is given. */
  connectionString?: string;
  /** Where the tables live (a connection string, or an account reached with the managed identity). */
  storage?: StorageTarget;
  /** Letters and digits, starting with a letter; prefixes every table name. Default `misync`. */
  tablePrefix?: string;
  /** The clock leases are judged by. Default: the system clock. */
  now?: () => Date;
}

type TableRole = "deltaChains" | "subscriptions" | "leases" | "idMap" | "runs";
const TABLE_SUFFIX: Record<TableRole, string> = {
  deltaChains: "DeltaChains",
  subscriptions: "Subscriptions",
  leases: "Leases",
  idMap: "IdMap",
  runs: "Runs",
};
/** Table transactions take at most 100 operations, all in one partition. */
const TRANSACTION_LIMIT = 100;
/** Concurrent point reads in `getIdMappings`. */
const READ_CONCURRENCY = 16;
const DEFAULT_RUN_LIMIT = 50;
const MAX_RUN_LIMIT = 1000;

export class TableSyncStateStore implements SyncStateStore {
  private readonly tables: Record<TableRole, TableClient>;
  private readonly now: () => Date;

  constructor(options: TableSyncStateStoreOptions) {
    const prefix = tablePrefix(options.tablePrefix);
    this.now = options.now ?? (() => new Date());
    const storage = storageOf(options);
    const client = (role: TableRole): TableClient => tableClientFor(storage, `${prefix}${TABLE_SUFFIX[role]}`);
    this.tables = {
      deltaChains: client("deltaChains"),
      subscriptions: client("subscriptions"),
      leases: client("leases"),
      idMap: client("idMap"),
      runs: client("runs"),
    };
  }

  /** Creates the five tables if missing. Idempotent; safe to run from several instances at once. */
  async initialize(): Promise<void> {
    // allSettled, not all: a failure must not leave the other creates retrying in the background.
    const results = await Promise.allSettled(
      Object.values(this.tables).map(async (table) => {
        try {
          await table.createTable();
        } catch (error) {
          if (storageStatus(error) === 409) return; // TableAlreadyExists (or being deleted: surfaces on first use)
          throw mapStorageError(error, { service: "table", name: table.tableName, operation: "create the table" });
        }
      }),
    );
    const failed = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failed) throw failed.reason;
  }

  // ---- delta chains ---------------------------------------------------------------------------------------------

  /** All chains of one kind, each with its etag. Order: by chain id. */
  async listDeltaChains(kind: DeltaChain["kind"]): Promise<DeltaChain[]> {
    const table = this.tables.deltaChains;
    const rows = await this.query(table, odata`PartitionKey eq ${CHAINS_PARTITION} and kind eq ${kind}`, "list chains");
    return rows.map((row) => decodeDeltaChain(table.tableName, row));
  }

  /** The chain, or undefined if there is none. */
  async getDeltaChain(chainId: string): Promise<DeltaChain | undefined> {
    const table = this.tables.deltaChains;
    const row = await this.read(table, CHAINS_PARTITION, toTableKey(chainId), "read the delta chain");
    return row && decodeDeltaChain(table.tableName, row);
  }

  /**
   * Without `etag`: creates the chain; if it already exists another worker created it first → `StateConflictError`.
   * With `etag`: replaces the whole row if it is unchanged since that read; otherwise (changed or deleted meanwhile)
   * → `StateConflictError`, and nothing is written. Returns the chain as stored, with its new etag.
   */
  async saveDeltaChain(chain: DeltaChain): Promise<DeltaChain> {
    const table = this.tables.deltaChains;
    const etag = await this.conditionalWrite(table, encodeDeltaChain(table.tableName, chain), chain.etag, {
      what: `Delta chain "${chain.chainId}"`,
      operation: "save the delta chain",
    });
    return { ...chain, etag };
  }

  /** Deletes the chain unconditionally. Idempotent: a chain already gone is success. */
  async deleteDeltaChain(chainId: string): Promise<void> {
    await this.remove(this.tables.deltaChains, CHAINS_PARTITION, toTableKey(chainId), "delete the delta chain");
  }

  // ---- leases ---------------------------------------------------------------------------------------------------

  /**
   * Takes the lease on `scope` for `ttlMs` if nobody holds it, its holder's time ran out (by `now()`), or `owner`
   * already holds it (then it is extended). Returns undefined when another owner holds it, or when another worker
   * won the race for it in the meantime; never throws a conflict. A released lease has no row, so the row is created
   * first and read only when one exists: a free lease costs one request.
   */
  async acquireLease(scope: string, owner: string, ttlMs: number): Promise<Lease | undefined> {
    const table = this.tables.leases;
    const rowKey = leaseRowKey(scope);
    const now = this.now();
    const next = { scope, owner, expiresAt: new Date(now.getTime() + ttlMs).toISOString() };
    const entity = encodeLease(table.tableName, next);
    const failure = (error: unknown) =>
      mapStorageError(error, {
        service: "table",
        name: table.tableName,
        operation: "take the lease",
        key: keyText(entity),
      });
    const create = async (): Promise<Lease | "held"> => {
      try {
        const response = await table.createEntity(entity);
        return { ...next, etag: this.etagOf(response.etag, table, rowKey) };
      } catch (error) {
        if (storageStatus(error) === 409) return "held";
        throw failure(error);
      }
    };
    const created = await create();
    if (created !== "held") return created;
    const row = await this.read(table, LEASES_PARTITION, rowKey, "read the lease");
    if (row === undefined) {
      // Released between the two requests: one more try, and a lost race after that.
      const again = await create();
      return again === "held" ? undefined : again;
    }
    const current = decodeLease(table.tableName, row);
    const expired = Date.parse(current.expiresAt) <= now.getTime();
    if (!expired && current.owner !== owner) return undefined;
    try {
      const response = await table.updateEntity(entity, "Replace", { etag: current.etag });
      return { ...next, etag: this.etagOf(response.etag, table, rowKey) };
    } catch (error) {
      const status = storageStatus(error);
      if (status === 412 || status === 404) return undefined;
      throw failure(error);
    }
  }

  /**
   * Extends a held lease to `now() + ttlMs`. If the lease row changed since `lease` (taken over after expiry, or
   * released) → `StateConflictError`: the caller no longer holds it and must stop writing for that scope.
   */
  async renewLease(lease: Lease, ttlMs: number): Promise<Lease> {
    const table = this.tables.leases;
    const next = {
      scope: lease.scope,
      owner: lease.owner,
      expiresAt: new Date(this.now().getTime() + ttlMs).toISOString(),
    };
    const etag = await this.conditionalWrite(table, encodeLease(table.tableName, next), lease.etag, {
      what: `Lease on "${lease.scope}" held by "${lease.owner}"`,
      operation: "renew the lease",
      lost: "was lost (taken over or released); stop work on that scope",
    });
    return { ...next, etag };
  }

  /** Deletes the lease if it is still exactly the one given. A lease already taken over or gone is left alone. */
  async releaseLease(lease: Lease): Promise<void> {
    const table = this.tables.leases;
    const rowKey = leaseRowKey(lease.scope);
    try {
      await table.deleteEntity(LEASES_PARTITION, rowKey, { etag: lease.etag });
    } catch (error) {
      const status = storageStatus(error);
      if (status === 412 || status === 404) return;
      throw mapStorageError(error, {
        service: "table",
        name: table.tableName,
        operation: "release the lease",
        key: `${LEASES_PARTITION}/${rowKey}`,
      });
    }
  }

  // ---- subscriptions --------------------------------------------------------------------------------------------

  /** All subscription records, each with its etag. */
  async listSubscriptions(): Promise<SubscriptionRecord[]> {
    const table = this.tables.subscriptions;
    const rows = await this.query(table, odata`PartitionKey eq ${SUBSCRIPTIONS_PARTITION}`, "list subscriptions");
    return rows.map((row) => decodeSubscription(table.tableName, row));
  }

  /** The record, or undefined if there is none. */
  async getSubscription(id: string): Promise<SubscriptionRecord | undefined> {
    const table = this.tables.subscriptions;
    const row = await this.read(table, SUBSCRIPTIONS_PARTITION, toTableKey(id), "read the subscription");
    return row && decodeSubscription(table.tableName, row);
  }

  /** As `saveDeltaChain`: create without etag, conditional replace with it; a lost race is `StateConflictError`. */
  async saveSubscription(record: SubscriptionRecord): Promise<SubscriptionRecord> {
    const table = this.tables.subscriptions;
    const etag = await this.conditionalWrite(table, encodeSubscription(table.tableName, record), record.etag, {
      what: `Subscription "${record.id}"`,
      operation: "save the subscription",
    });
    return { ...record, etag };
  }

  /** Deletes the record unconditionally. Idempotent. */
  async deleteSubscription(id: string): Promise<void> {
    await this.remove(this.tables.subscriptions, SUBSCRIPTIONS_PARTITION, toTableKey(id), "delete the subscription");
  }

  // ---- user ledger ----------------------------------------------------------------------------------------------

  /** The entries found for `entraIds` (point reads, 16 at a time), keyed by entraId. */
  async getUserEntries(entraIds: string[]): Promise<Map<string, UserLedgerEntry>> {
    const table = this.tables.idMap;
    return this.pointReads(
      table,
      entraIds,
      (id) => ({ partitionKey: USER_PARTITION, rowKey: toTableKey(id) }),
      (row) => decodeUserEntry(table.tableName, row),
      "read the user ledger",
    );
  }

  /**
   * Entries first (transactions of 100), then the claim rows they make (upserts), then the deletion of the claim rows
   * the previous entries made and the new ones do not. A claim row without its entry's agreement is stale by
   * definition, so a crash between the steps misleads no reader.
   */
  async saveUserEntries(entries: UserLedgerEntry[], previous: ReadonlyMap<string, UserLedgerEntry>): Promise<void> {
    const table = this.tables.idMap;
    const latest = new Map(entries.map((e) => [e.entraId, e]));
    await this.transact(
      table,
      [...latest.values()].map((e) => ["upsert", encodeUserEntry(e), "Replace"] as TransactionAction),
      "save user ledger entries",
    );
    const claims = (entry: UserLedgerEntry | undefined): Map<string, ReturnType<typeof encodeClaim>> => {
      const rows = new Map<string, ReturnType<typeof encodeClaim>>();
      if (!entry?.claims) return rows;
      for (const [kind, key] of [
        ["username", entry.username],
        ["email", entry.email],
      ] as const) {
        if (key === "") continue;
        const row = encodeClaim(kind, key, entry.entraId);
        rows.set(`${row.partitionKey}/${row.rowKey}`, row);
      }
      return rows;
    };
    const upserts: TransactionAction[] = [];
    const deletes: TransactionAction[] = [];
    for (const entry of latest.values()) {
      const now = claims(entry);
      const before = claims(previous.get(entry.entraId));
      for (const [id, row] of now) if (!before.has(id)) upserts.push(["upsert", row, "Replace"]);
      for (const [id, row] of before) if (!now.has(id)) deletes.push(["delete", row]);
    }
    await this.transact(table, upserts, "save user claims");
    // One by one: a transaction fails whole on a row already gone (an earlier, interrupted save deleted it).
    await Promise.all(
      deletes.map(([, row]) =>
        this.remove(table, row.partitionKey as string, row.rowKey as string, "delete a stale user claim"),
      ),
    );
  }

  /** Entra ids of the claim rows of these keys: one range query per key, all at once. */
  async findClaimants(keys: { usernames: string[]; emails: string[] }): Promise<Set<string>> {
    const table = this.tables.idMap;
    const wanted = [
      ...[...new Set(keys.usernames.filter((k) => k !== "").map((k) => k.toLowerCase()))].map(
        (k) => ["username", k] as const,
      ),
      ...[...new Set(keys.emails.filter((k) => k !== "").map((k) => k.toLowerCase()))].map(
        (k) => ["email", k] as const,
      ),
    ];
    const found = new Set<string>();
    await Promise.all(
      wanted.map(async ([kind, key]) => {
        const range = claimRange(key);
        const filter = odata`PartitionKey eq ${CLAIM_PARTITION[kind]} and RowKey ge ${range.ge} and RowKey lt ${range.lt}`;
        for (const row of await this.query(table, filter, "find the claimants of a username or email")) {
          if (typeof row.entraId === "string" && row.key === key) found.add(row.entraId);
        }
      }),
    );
    return found;
  }

  async listUserEntries(): Promise<UserLedgerEntry[]> {
    const table = this.tables.idMap;
    const rows = await this.query(table, odata`PartitionKey eq ${USER_PARTITION}`, "list the user ledger");
    return rows.map((row) => decodeUserEntry(table.tableName, row));
  }

  /** One row per user and time, `touch` / `<at>|<entraId>`: a range query by time finds them. */
  async touchUsers(entraIds: string[], at: string): Promise<void> {
    const table = this.tables.idMap;
    const actions = [...new Set(entraIds)].map(
      (entraId): TransactionAction => ["upsert", touchEntity(entraId, at), "Replace"],
    );
    await this.transact(table, actions, "note the users a sync read");
  }

  async usersTouchedSince(since: string): Promise<string[]> {
    const table = this.tables.idMap;
    const rows = await this.query(
      table,
      odata`PartitionKey eq ${TOUCH_PARTITION} and RowKey ge ${since}`,
      "list the users synced recently",
    );
    return [...new Set(rows.flatMap((row) => (typeof row.entraId === "string" ? [row.entraId] : [])))];
  }

  async pruneTouches(before: string): Promise<void> {
    const table = this.tables.idMap;
    const rows = await this.query(
      table,
      odata`PartitionKey eq ${TOUCH_PARTITION} and RowKey lt ${before}`,
      "list old notes of synced users",
    );
    const actions = rows.map(
      (row): TransactionAction => ["delete", { partitionKey: TOUCH_PARTITION, rowKey: String(row.rowKey) }],
    );
    await this.transact(table, actions, "prune old notes of synced users");
  }

  // ---- runs -----------------------------------------------------------------------------------------------------

  /** Stores the run record. Idempotent: the same runId and startedAt replace the same row. */
  async recordRun(run: RunRecord): Promise<void> {
    const table = this.tables.runs;
    const entity = encodeRun(table.tableName, run);
    try {
      await table.upsertEntity(entity, "Replace");
    } catch (error) {
      throw mapStorageError(error, {
        service: "table",
        name: table.tableName,
        operation: "record the run",
        key: keyText(entity),
      });
    }
  }

  /** The newest runs first (by startedAt), at most `limit` (default 50, at most 1000); one page read. */
  async listRuns(options: { limit?: number } = {}): Promise<RunRecord[]> {
    const table = this.tables.runs;
    const limit = Math.max(1, Math.min(MAX_RUN_LIMIT, Math.floor(options.limit ?? DEFAULT_RUN_LIMIT)));
    const runs: RunRecord[] = [];
    try {
      for await (const page of table.listEntities<Record<string, unknown>>().byPage({ maxPageSize: limit })) {
        for (const row of page) {
          runs.push(decodeRun(table.tableName, row));
          if (runs.length >= limit) return runs;
        }
      }
    } catch (error) {
      throw mapStorageError(error, { service: "table", name: table.tableName, operation: "list runs" });
    }
    return runs;
  }

  // ---- helpers --------------------------------------------------------------------------------------------------

  /** Submits `actions` in transactions of at most 100, each within one partition. A failure part-way leaves earlier
   * transactions applied (every caller's actions are idempotent). */
  private async transact(table: TableClient, actions: TransactionAction[], operation: string): Promise<void> {
    const byPartition = new Map<string, TransactionAction[]>();
    for (const action of actions) {
      const key = action[1].partitionKey as string;
      byPartition.set(key, [...(byPartition.get(key) ?? []), action]);
    }
    for (const [partitionKey, list] of byPartition) {
      for (let start = 0; start < list.length; start += TRANSACTION_LIMIT) {
        const slice = list.slice(start, start + TRANSACTION_LIMIT);
        try {
          await table.submitTransaction(slice);
        } catch (error) {
          throw mapStorageError(error, {
            service: "table",
            name: table.tableName,
            operation: `${operation} (${slice.length} rows)`,
            key: `${partitionKey}/*`,
          });
        }
      }
    }
  }

  /** Point reads of the rows of `ids` (16 at a time), decoded, by id; rows absent are left out. */
  private async pointReads<T>(
    table: TableClient,
    ids: string[],
    keys: (id: string) => { partitionKey: string; rowKey: string },
    decode: (row: Record<string, unknown>) => T,
    operation: string,
  ): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    const unique = [...new Set(ids)];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < unique.length) {
        const id = unique[next++] as string;
        const key = keys(id);
        const row = await this.read(table, key.partitionKey, key.rowKey, operation);
        if (row) found.set(id, decode(row));
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, unique.length) }, worker));
    return found;
  }

  /** A point read; undefined on 404. */
  private async read(
    table: TableClient,
    partitionKey: string,
    rowKey: string,
    operation: string,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      return await table.getEntity<Record<string, unknown>>(partitionKey, rowKey);
    } catch (error) {
      if (storageStatus(error) === 404) return undefined;
      throw mapStorageError(error, {
        service: "table",
        name: table.tableName,
        operation,
        key: `${partitionKey}/${rowKey}`,
      });
    }
  }

  /** Every row matching `filter` (all pages). */
  private async query(table: TableClient, filter: string, operation: string): Promise<Record<string, unknown>[]> {
    const rows: Record<string, unknown>[] = [];
    try {
      for await (const row of table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) rows.push(row);
    } catch (error) {
      throw mapStorageError(error, { service: "table", name: table.tableName, operation });
    }
    return rows;
  }

  /** Deletes unconditionally; 404 is success. */
  private async remove(table: TableClient, partitionKey: string, rowKey: string, operation: string): Promise<void> {
    try {
      await table.deleteEntity(partitionKey, rowKey);
    } catch (error) {
      if (storageStatus(error) === 404) return;
      throw mapStorageError(error, {
        service: "table",
        name: table.tableName,
        operation,
        key: `${partitionKey}/${rowKey}`,
      });
    }
  }

  /**
   * Creates the row (no etag) or replaces it if its etag is still `etag`; returns the new etag. 409 on create, 412 or
   * 404 on replace → `StateConflictError`.
   */
  private async conditionalWrite(
    table: TableClient,
    entity: EncodedEntity,
    etag: string | undefined,
    describe: { what: string; operation: string; lost?: string },
  ): Promise<string> {
    try {
      const response =
        etag === undefined ? await table.createEntity(entity) : await table.updateEntity(entity, "Replace", { etag });
      return this.etagOf(response.etag, table, entity.rowKey);
    } catch (error) {
      const status = storageStatus(error);
      const where = `(table "${table.tableName}", row ${keyText(entity)})`;
      if (etag === undefined && status === 409) {
        throw new StateConflictError(
          `${describe.what} already exists ${where}: another worker created it first. Read it and retry with its etag.`,
        );
      }
      if (etag !== undefined && (status === 412 || status === 404)) {
        const change = status === 404 ? "was deleted" : "was changed by another worker";
        throw new StateConflictError(
          `${describe.what} ${describe.lost ?? `${change} since it was read`} ${where}. ${
            describe.lost ? "" : "Read it again and redo the change."
          }`.trim(),
        );
      }
      throw mapStorageError(error, {
        service: "table",
        name: table.tableName,
        operation: describe.operation,
        key: keyText(entity),
      });
    }
  }

  private etagOf(etag: string | undefined, table: TableClient, rowKey: string): string {
    if (etag) return etag;
    throw new StateRejectedError(
      "state.rejected",
      `Table "${table.tableName}" answered a write of row "${rowKey}" without an ETag.`,
    );
  }
}

function storageOf(options: { connectionString?: string; storage?: StorageTarget }): StorageTarget {
  if (options.storage) return options.storage;
  if (options.connectionString) return { kind: "connectionString", connectionString: options.connectionString };
  throw new UsageError(
    "state.missing_storage",
    "No storage for the sync state: give a connection string or an account.",
  );
}

function keyText(entity: { partitionKey: string; rowKey: string }): string {
  return `${entity.partitionKey}/${entity.rowKey}`;
}
