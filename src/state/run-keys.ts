/**
 * Keys of the Runs table, chosen so that a plain scan (Table Storage returns rows ordered by PartitionKey, then
 * RowKey) yields the newest run first across all partitions, and `listRuns({ limit })` reads one small page:
 *
 * - PartitionKey = `<999999 - yyyymm>-<yyyy>-<mm>` of `startedAt` (UTC), e.g. `797488-2025-11`: one partition per
 *   month, later months sort first; the readable suffix is for people browsing the table.
 * - RowKey = `<9999999999999 - epoch ms, 13 digits>-<runId key>`: later runs sort first within the month; the run id
 *   keeps two runs started in the same millisecond apart.
 */
const MAX_MONTH = 999999;
const MAX_MS = 9_999_999_999_999;

export function runPartitionKey(startedAt: Date): string {
  const year = startedAt.getUTCFullYear();
  const month = startedAt.getUTCMonth() + 1;
  const inverted = String(MAX_MONTH - (year * 100 + month)).padStart(6, "0");
  return `${inverted}-${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}`;
}

export function runRowKey(startedAt: Date, runIdKey: string): string {
  return `${String(MAX_MS - startedAt.getTime()).padStart(13, "0")}-${runIdKey}`;
}
