import type { TableClient } from "@azure/data-tables";
import type { AuditContext, AuditRecordOutcome } from "../sync/audit-trail.js";
import { type AuditItem, encodeItem } from "./audit-entry.js";
import {
  bucketOf,
  nameKey,
  namesPartition,
  RUNS_PARTITION,
  runPartition,
  runRowKey,
  runsIndexKey,
  subjectRowKey,
  type View,
} from "./audit-keys.js";
import { TransactionWriter } from "./transaction-writer.js";

/** Entries per row are packed as JSON up to this many characters (a string property holds 32K UTF-16 units). */
const ROW_CHARS = 30_000;

interface SeenName {
  name: string;
  miId?: string;
  entraId?: string;
}

/**
 * Writes one run's items: its own rows (plan order), each user's and each group's rows, the names seen, and last the
 * runs index row, so that a run in the index has all its rows. Upserts throughout: recording a run again replaces it.
 */
export async function writeRun(
  table: TableClient,
  items: Iterable<AuditItem>,
  context: AuditContext,
  at: Date,
): Promise<AuditRecordOutcome> {
  const started = performance.now();
  const encoded: string[] = [];
  const keys: Record<View, (string | undefined)[]> = { u: [], g: [] };
  const names: Record<View, Map<string, SeenName>> = { u: new Map(), g: new Map() };
  const counts = { applied: 0, failed: 0, skipped: 0 };
  for (const item of items) {
    encoded.push(JSON.stringify(encodeItem(item)));
    counts[item.status]++;
    keys.u.push(item.user ? see(names.u, item.user.name, item.user.miUserId, item.user.entraUserId) : undefined);
    keys.g.push(item.group ? see(names.g, item.group.name, item.group.miGroupId, undefined) : undefined);
  }
  if (encoded.length === 0) return { entries: 0 };

  const writer = new TransactionWriter(table, "record the audit trail");
  const base = { At: at.toISOString(), RunId: context.runId, Path: context.path };
  let chunk = 0;
  for (const packed of pack(encoded, encoded.keys())) {
    await writer.upsert(
      { partitionKey: runPartition(context.runId), rowKey: runRowKey(chunk++), ...base, E: packed },
      packed.length,
    );
  }
  for (const view of ["u", "g"] as const) {
    const byKey = new Map<string, number[]>();
    keys[view].forEach((key, index) => {
      if (key === undefined) return;
      const list = byKey.get(key);
      if (list) list.push(index);
      else byKey.set(key, [index]);
    });
    // Bucket by bucket, so that each bucket's rows fill whole transactions.
    const ordered = [...byKey.keys()].map((key) => ({ key, bucket: bucketOf(view, key) }));
    ordered.sort((a, b) => (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : a.key < b.key ? -1 : 1));
    for (const { key, bucket } of ordered) {
      let part = 0;
      for (const packed of pack(encoded, byKey.get(key) ?? [])) {
        const rowKey = subjectRowKey(key, at, context.runId, part++);
        await writer.upsert({ partitionKey: bucket, rowKey, ...base, E: packed }, packed.length);
      }
    }
    for (const [key, seen] of names[view]) {
      await writer.upsert(
        {
          partitionKey: namesPartition(view),
          rowKey: key,
          Name: seen.name,
          ...(seen.miId === undefined ? {} : { MiId: seen.miId }),
          ...(seen.entraId === undefined ? {} : { EntraId: seen.entraId }),
          At: base.At,
        },
        200,
      );
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

/** Notes a name (keeping the ids already known) and returns its key. */
function see(
  names: Map<string, SeenName>,
  name: string,
  miId: string | undefined,
  entraId: string | undefined,
): string {
  const key = nameKey(name);
  const known = names.get(key);
  const miIdKept = miId ?? known?.miId;
  const entraIdKept = entraId ?? known?.entraId;
  names.set(key, {
    name,
    ...(miIdKept === undefined ? {} : { miId: miIdKept }),
    ...(entraIdKept === undefined ? {} : { entraId: entraIdKept }),
  });
  return key;
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
