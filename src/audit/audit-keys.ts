import { toTableKey } from "../state/to-table-key.js";

/**
 * Keys of the audit table (`<prefix>Audit`), chosen so that the questions an admin asks are reads of one partition,
 * newest first, and a run's rows go in few transactions of up to 100 (one partition each), however many users it
 * touched:
 *
 * | rows              | PartitionKey            | RowKey                                     |
 * |-------------------|-------------------------|--------------------------------------------|
 * | a run's entries   | `run-<run id>`          | `<chunk>` (plan order)                     |
 * | users' entries    | `u-<bucket of the name>` | `<reverse time>\|<run id>\|<chunk>`        |
 * | groups' entries   | `g-<bucket of the name>` | `<reverse time>\|<run id>\|<chunk>`        |
 * | the runs          | `runs`                  | `<epoch ms>-<run id>` (oldest first)       |
 *
 * Each row holds a chunk of entries as JSON: a run's row every entry of the run, a bucket's row the entries of the
 * run whose user (or group) falls in that bucket. A user's entries are the newest rows of its bucket, filtered by
 * name; with 256 user buckets a bucket holds some 200 users of a 50,000-user tenant. The runs index reads the last
 * 24 hours, or what is past the retention, as one range.
 */

export const USER_BUCKETS = 256;
export const GROUP_BUCKETS = 256;
const MAX_MS = 9_999_999_999_999;

export type View = "u" | "g";

/** FNV-1a, 32 bits: a stable, even spread of names over the buckets. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

const bucketCount = (view: View): number => (view === "u" ? USER_BUCKETS : GROUP_BUCKETS);

/** The partition of a user's (or group's) entries: by its name, case-insensitively. */
export function bucketOf(view: View, name: string): string {
  return `${view}-${(fnv1a(name.toLowerCase()) % bucketCount(view)).toString(16).padStart(3, "0")}`;
}

export function allBuckets(view: View): string[] {
  return Array.from({ length: bucketCount(view) }, (_, i) => `${view}-${i.toString(16).padStart(3, "0")}`);
}

export function runIdKey(runId: string): string {
  return toTableKey(runId);
}

/** Reverse time: later rows sort first. */
export function reverseTimeKey(at: Date): string {
  return String(MAX_MS - at.getTime()).padStart(13, "0");
}

/** A bucket's row of one run: newest first within the bucket. */
export function bucketRowKey(at: Date, runId: string, chunk: number): string {
  return `${reverseTimeKey(at)}|${runIdKey(runId)}|${String(chunk).padStart(4, "0")}`;
}

export function runPartition(runId: string): string {
  return `run-${runIdKey(runId)}`;
}

export function runRowKey(chunk: number): string {
  return String(chunk).padStart(6, "0");
}

export const RUNS_PARTITION = "runs";

/** The runs index: oldest first, so that "since" and "before" are ranges. */
export function runsIndexKey(at: Date, runId: string): string {
  return `${timeKey(at)}-${runIdKey(runId)}`;
}

export function timeKey(at: Date): string {
  return String(Math.max(0, at.getTime())).padStart(13, "0");
}
