import { toTableKey } from "../state/to-table-key.js";

/**
 * Keys of the audit table (`<prefix>Audit`), chosen so that the questions an admin asks are range reads of one
 * partition, and that a run's rows go in transactions of up to 100 (one partition each):
 *
 * | rows                 | PartitionKey        | RowKey                                         |
 * |----------------------|---------------------|------------------------------------------------|
 * | a user's entries     | `u-<bucket>`        | `<name key>\|<reverse time>\|<run id>\|<chunk>` |
 * | a group's entries    | `g-<bucket>`        | `<name key>\|<reverse time>\|<run id>\|<chunk>` |
 * | a run's entries      | `run-<run id>`      | `<chunk>` (plan order)                         |
 * | the runs             | `runs`              | `<epoch ms>-<run id>` (oldest first)           |
 * | names, for search    | `n-u`, `n-g`        | `<name key>`                                   |
 *
 * A user's (or group's) rows share a key prefix inside one of 64 buckets, newest first; the runs index reads the last
 * 24 hours, or what is past the retention, as one range. Each row holds a chunk of entries as JSON.
 */

/** Buckets per view: few enough that pruning reads each, enough that a large run fills transactions of 100. */
export const BUCKETS = 64;
const MAX_MS = 9_999_999_999_999;
/** Names are keyed by their first 64 code points (lowercased); readers compare the full name. */
const KEYED_NAME_LENGTH = 64;
const PLAIN = /^[a-z0-9._@-]$/;

/**
 * A name as a key: lowercased, characters other than `a-z 0-9 . _ @ -` written as `!` and six hex digits. Keeps
 * prefixes (the key of "an" starts the key of "ann@contoso.com"), so suggestions are range reads; at most 448
 * characters, within Table Storage's key limit with the rest of a RowKey.
 */
export function nameKey(name: string): string {
  let key = "";
  for (const ch of [...name.toLowerCase()].slice(0, KEYED_NAME_LENGTH)) {
    key += PLAIN.test(ch) ? ch : `!${(ch.codePointAt(0) ?? 0).toString(16).padStart(6, "0")}`;
  }
  return key;
}

/** Sorts after every character a name key holds: the end of a prefix range. */
export const PREFIX_END = "~";
/** Sorts right after the `|` that ends a name key in a RowKey: the end of one name's rows. */
export const NAME_END = "}";

/** FNV-1a, 32 bits: a stable, even spread of names over the buckets. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export type View = "u" | "g";

export function bucketOf(view: View, key: string): string {
  return `${view}-${(fnv1a(key) % BUCKETS).toString(16).padStart(2, "0")}`;
}

export function allBuckets(view: View): string[] {
  return Array.from({ length: BUCKETS }, (_, i) => `${view}-${i.toString(16).padStart(2, "0")}`);
}

export function runIdKey(runId: string): string {
  return toTableKey(runId);
}

const chunkKey = (chunk: number, width: number): string => String(chunk).padStart(width, "0");

/** A user's or group's row: newest first within the name. */
export function subjectRowKey(key: string, at: Date, runId: string, chunk: number): string {
  return `${key}|${String(MAX_MS - at.getTime()).padStart(13, "0")}|${runIdKey(runId)}|${chunkKey(chunk, 4)}`;
}

export function runPartition(runId: string): string {
  return `run-${runIdKey(runId)}`;
}

export function runRowKey(chunk: number): string {
  return chunkKey(chunk, 6);
}

export const RUNS_PARTITION = "runs";

/** The runs index: oldest first, so that "since" and "before" are ranges. */
export function runsIndexKey(at: Date, runId: string): string {
  return `${timeKey(at)}-${runIdKey(runId)}`;
}

export function timeKey(at: Date): string {
  return String(Math.max(0, at.getTime())).padStart(13, "0");
}

export function namesPartition(view: View): string {
  return `n-${view}`;
}
