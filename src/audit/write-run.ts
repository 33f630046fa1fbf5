import type { TableClient } from "@azure/data-tables";
import type { AuditContext, AuditRecordOutcome } from "../sync/audit-trail.js";
import { type AuditItem, encodeItem } from "./audit-entry.js";
import {
  bucketOf,
  bucketRowKey,
  RUNS_PARTITION,
  runPartition,
  runRowKey,
  runsIndexKey,
  type View,
} from "./audit-keys.js";
import { TransactionWriter } from "./transaction-writer.js";

/** Entries per row are packed as JSON up to this many characters (a string property holds 32K UTF-16 units). */
const ROW_CHARS = 30_000;

/**
 * Writes one run's items: its own rows (plan order), the rows of each user bucket and each group bucket it touched,
 * and last the runs index row, so that a run in the index has all its rows. Upserts throughout: recording a run again
 * replaces it.
 */
export async function writeRun(
  table: TableClient,
  items: Iterable<AuditItem>,
  context: AuditContext,
  at: Date,
): Promise<AuditRecordOutcome> {
  const started = performance.now();
  const encoded: string[] = [];
  const buckets: Record<View, Map<string, number[]>> = { u: new Map(), g: new Map() };
  const counts = { applied: 0, failed: 0, skipped: 0 };
  const file = (view: View, name: string | undefined, index: number): void => {
    if (name === undefined) return;
    const bucket = bucketOf(view, name);
    const list = buckets[view].get(bucket);
    if (list) list.push(index);
    else buckets[view].set(bucket, [index]);
  };
  for (const item of items) {
    const index = encoded.push(JSON.stringify(encodeItem(item))) - 1;
    counts[item.status]++;
    file("u", item.user?.name, index);
    file("g", item.group?.name, index);
  }
  if (encoded.length === 0) return { entries: 0 };

  const writer = new TransactionWriter(table, "record the audit trail");
  const base = { At: at.toISOString(), RunId: context.runId, Path: context.path };
  let chunk = 0;
  for (const packed of pack(encoded, encoded.keys())) {
    const row = { partitionKey: runPartition(context.runId), rowKey: runRowKey(chunk++), ...base, E: packed };
    await writer.upsert(row, packed.length);
  }
  for (const view of ["u", "g"] as const) {
    for (const [bucket, indices] of buckets[view]) {
      let part = 0;
      for (const packed of pack(encoded, indices)) {
        const row = { partitionKey: bucket, rowKey: bucketRowKey(at, context.runId, part++), ...base, E: packed };
        await writer.upsert(row, packed.length);
      }
    }
  }
  const failure = await writer.finish();
  if (failure !== undefined) return { entries: encoded.length, error: failure };

  const latencyMs =
    context.triggeredAt === undefined ? undefined : Math.max(0, at.getTime() - Date.parse(context.triggeredAt));
  const index = new TransactionWriter(table, "record the audit trail's run");
  await index.upsert(
    {
      partitionKey: RUNS_PARTITION,
      rowKey: runsIndexKey(at, context.runId),
      ...base,
      Applied: counts.applied,
      Failed: counts.failed,
      Skipped: counts.skipped,
      ...(latencyMs === undefined || Number.isNaN(latencyMs) ? {} : { LatencyMs: Math.round(latencyMs) }),
      RecordMs: Math.round(performance.now() - started),
    },
    300,
  );
  const indexFailure = await index.finish();
  return indexFailure === undefined ? { entries: encoded.length } : { entries: encoded.length, error: indexFailure };
}

/** The entries at `indices`, packed into JSON arrays of at most ROW_CHARS characters (one entry may exceed it). */
function* pack(encoded: readonly string[], indices: Iterable<number>): Generator<string> {
  let parts: string[] = [];
  let chars = 2;
  for (const index of indices) {
    const entry = encoded[index] as string;
    if (parts.length > 0 && chars + entry.length + 1 > ROW_CHARS) {
      yield `[${parts.join(",")}]`;
      parts = [];
      chars = 2;
    }
    parts.push(entry);
    chars += entry.length + 1;
  }
  if (parts.length > 0) yield `[${parts.join(",")}]`;
}
