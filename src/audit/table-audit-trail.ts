import { odata, type TableClient } from "@azure/data-tables";
import { z } from "zod";
import { describeError } from "../errors/sync-error.js";
import { mapStorageError } from "../state/map-storage-error.js";
import { StateCorruptError } from "../state/state-errors.js";
import { storageStatus } from "../state/storage-failure.js";
import { type StorageTarget, tableClientFor } from "../state/storage-target.js";
import { tablePrefix } from "../state/table-prefix.js";
import type { AuditContext, AuditRecordOutcome, AuditTrail } from "../sync/audit-trail.js";
import type { Plan } from "../sync/plan/plan-model.js";
import type { SyncResult } from "../sync/sync-result.js";
import { type AuditEntry, type AuditRunSummary, decodeItem, storedItemsSchema } from "./audit-entry.js";
import { auditItemsOf } from "./audit-items-of.js";
import {
  allBuckets,
  bucketOf,
  RUNS_PARTITION,
  reverseTimeKey,
  runPartition,
  timeKey,
  type View,
} from "./audit-keys.js";
import type { AuditLog, EntryPage, ListEntriesOptions } from "./audit-log.js";
import { TransactionWriter } from "./transaction-writer.js";
import { writeRun } from "./write-run.js";

export interface TableAuditTrailOptions {
  /** Where the table lives (the app's state storage). */
  storage: StorageTarget;
  /** Letters and digits, starting with a letter (`SYNC_TABLE_PREFIX`); the table is `<prefix>Audit`. Default `misync`. */
  tablePrefix?: string;
  /** The clock entries are stamped with. */
  now?: () => Date;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 10_000;

const pathSchema = z.enum(["reconcile", "notification", "resync", "cli"]);
const entryRowSchema = z.object({ RunId: z.string(), At: z.string(), Path: pathSchema, E: z.string() });
const runRowSchema = z.object({
  RunId: z.string(),
  At: z.string(),
  Path: pathSchema,
  Applied: z.number().int(),
  Failed: z.number().int(),
  Skipped: z.number().int(),
  LatencyMs: z.number().optional(),
  RecordMs: z.number(),
});
/**
 * The audit trail on Azure Table Storage (`<prefix>Audit`; keys: audit-keys.ts). `record` writes each entry three
 * times (under its run, its user's bucket and its group's bucket), packed into rows, in transactions of up to 100
 * rows, so that each of those questions is a read of one partition; it never throws (see AuditTrail). Rows read back are checked by a schema; a bad one is a
 * `StateCorruptError` naming the table and keys.
 */
export class TableAuditTrail implements AuditTrail, AuditLog {
  readonly #table: TableClient;
  readonly #now: () => Date;

  constructor(options: TableAuditTrailOptions) {
    this.#table = tableClientFor(options.storage, `${tablePrefix(options.tablePrefix)}Audit`);
    this.#now = options.now ?? (() => new Date());
  }

  /** Creates the table if missing. Idempotent. */
  async initialize(): Promise<void> {
    try {
      await this.#table.createTable();
    } catch (error) {
      if (storageStatus(error) === 409) return;
      throw mapStorageError(error, { service: "table", name: this.#table.tableName, operation: "create the table" });
    }
  }

  async record(_plan: Plan, result: SyncResult, context: AuditContext): Promise<AuditRecordOutcome> {
    try {
      return await writeRun(this.#table, auditItemsOf(result), context, this.#now());
    } catch (error) {
      return { entries: 0, error: describeError(error) };
    }
  }

  listByUser(name: string, options: ListEntriesOptions = {}): Promise<EntryPage> {
    return this.#listBySubject("u", name, options);
  }

  listByGroup(name: string, options: ListEntriesOptions = {}): Promise<EntryPage> {
    return this.#listBySubject("g", name, options);
  }

  async listByRun(runId: string, options: ListEntriesOptions = {}): Promise<EntryPage> {
    const limit = limitOf(options);
    const entries: AuditEntry[] = [];
    for await (const row of this.#rows(odata`PartitionKey eq ${runPartition(runId)}`, "read a run's entries")) {
      for (const entry of this.#entriesOf(row)) {
        if (entries.length >= limit) return { entries, truncated: true };
        entries.push(entry);
      }
    }
    return { entries, truncated: false };
  }

  async listRunsSince(since: Date): Promise<AuditRunSummary[]> {
    const runs: AuditRunSummary[] = [];
    const filter = odata`PartitionKey eq ${RUNS_PARTITION} and RowKey ge ${timeKey(since)}`;
    for await (const row of this.#rows(filter, "list the recent runs")) {
      const r = this.#parse(runRowSchema, row);
      runs.push({
        runId: r.RunId,
        at: r.At,
        path: r.Path,
        applied: r.Applied,
        failed: r.Failed,
        skipped: r.Skipped,
        ...(r.LatencyMs === undefined ? {} : { latencyMs: r.LatencyMs }),
        recordMs: r.RecordMs,
      });
    }
    return runs;
  }

  /**
   * Deletes every run recorded before `before` (its run rows and index row), then every user, group and name row
   * older than that (each bucket read by time). Safe to repeat; a failure leaves the rest for the next prune.
   */
  async prune(before: Date): Promise<{ runs: number; rows: number }> {
    const writer = new TransactionWriter(this.#table, "prune the audit trail");
    let rows = 0;
    const remove = async (partitionKey: string, rowKey: string): Promise<void> => {
      rows++;
      await writer.delete(partitionKey, rowKey);
    };
    const expired = odata`PartitionKey eq ${RUNS_PARTITION} and RowKey lt ${timeKey(before)}`;
    const runs: { rowKey: string; runId: string }[] = [];
    for await (const row of this.#rows(expired, "list expired runs", ["RowKey", "RunId"])) {
      runs.push({ rowKey: String(row.rowKey), runId: String(row.RunId) });
    }
    for (const run of runs) {
      const partition = runPartition(run.runId);
      for await (const row of this.#rows(odata`PartitionKey eq ${partition}`, "list a run's rows", ["RowKey"])) {
        await remove(partition, String(row.rowKey));
      }
      await remove(RUNS_PARTITION, run.rowKey);
    }
    // A bucket's rows are newest first: those past the retention are one range at its end.
    const oldest = reverseTimeKey(before);
    for (const partition of [...allBuckets("u"), ...allBuckets("g")]) {
      const old = odata`PartitionKey eq ${partition} and RowKey gt ${oldest}`;
      for await (const row of this.#rows(old, "list expired rows", ["RowKey"])) {
        await remove(partition, String(row.rowKey));
      }
    }
    const failure = await writer.finish();
    if (failure !== undefined) {
      throw mapStorageError(new Error(failure), {
        service: "table",
        name: this.#table.tableName,
        operation: "prune the audit trail",
      });
    }
    return { runs: runs.length, rows };
  }

  async #listBySubject(view: View, name: string, options: ListEntriesOptions): Promise<EntryPage> {
    const limit = limitOf(options);
    const wanted = name.toLowerCase();
    const filter = odata`PartitionKey eq ${bucketOf(view, wanted)}`;
    const entries: AuditEntry[] = [];
    for await (const row of this.#rows(filter, view === "u" ? "read a user's entries" : "read a group's entries")) {
      for (const entry of this.#entriesOf(row)) {
        const subject = view === "u" ? entry.user?.name : entry.group?.name;
        if (subject?.toLowerCase() !== wanted) continue;
        if (entries.length >= limit) return { entries, truncated: true };
        entries.push(entry);
      }
    }
    return { entries, truncated: false };
  }

  *#entriesOf(row: Record<string, unknown>): Generator<AuditEntry> {
    const parsed = this.#parse(entryRowSchema, row);
    let items: unknown;
    try {
      items = JSON.parse(parsed.E);
    } catch {
      throw this.#corrupt(row, "its entries are not JSON");
    }
    const checked = storedItemsSchema.safeParse(items);
    if (!checked.success) throw this.#corrupt(row, checked.error.issues[0]?.message ?? "bad entries");
    for (const stored of checked.data) {
      yield { runId: parsed.RunId, at: parsed.At, path: parsed.Path, ...decodeItem(stored) };
    }
  }

  #parse<T extends z.ZodType>(schema: T, row: Record<string, unknown>): z.output<T> {
    const parsed = schema.safeParse(row);
    if (!parsed.success) throw this.#corrupt(row, parsed.error.issues[0]?.message ?? "unexpected shape");
    return parsed.data;
  }

  #corrupt(row: Record<string, unknown>, why: string): StateCorruptError {
    const table = this.#table.tableName;
    const [partitionKey, rowKey] = [String(row.partitionKey), String(row.rowKey)];
    return new StateCorruptError(
      table,
      partitionKey,
      rowKey,
      `Table "${table}" row (PartitionKey "${partitionKey}", RowKey "${rowKey}") is not a valid audit row: ${why}.`,
    );
  }

  async *#rows(filter: string, operation: string, select?: string[]): AsyncGenerator<Record<string, unknown>> {
    try {
      const pages = this.#table.listEntities<Record<string, unknown>>({
        queryOptions: { filter, ...(select ? { select } : {}) },
      });
      for await (const row of pages) yield row;
    } catch (error) {
      throw mapStorageError(error, { service: "table", name: this.#table.tableName, operation });
    }
  }
}

function limitOf(options: ListEntriesOptions): number {
  return Math.max(1, Math.min(MAX_LIMIT, Math.floor(options.limit ?? DEFAULT_LIMIT)));
}
