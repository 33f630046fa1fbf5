/** At most this many error lines are stored per run (the note about dropped lines included). */
export const MAX_RUN_ERROR_LINES = 100;
/** A longer line is cut, with an ellipsis. */
const MAX_LINE_CHARS = 1000;
/** The JSON of the list stays under this, inside the 64 KiB (32 768 UTF-16 characters) property limit. */
const MAX_JSON_CHARS = 30_000;
/** Room kept for the closing note. */
const NOTE_RESERVE = 200;

/**
 * The error lines of a run cut to what one Table property holds: at most 100 lines of at most 1000 characters and
 * 30 000 characters of JSON in all. When lines are dropped, the last line says how many, so a reader knows the list
 * is incomplete. A list that already fits comes back equal.
 */
export function fitRunErrors(errors: readonly string[]): string[] {
  const lines = errors.map((line) => (line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS - 1)}…` : line));
  if (lines.length <= MAX_RUN_ERROR_LINES && JSON.stringify(lines).length <= MAX_JSON_CHARS) return lines;
  const kept: string[] = [];
  let size = 2;
  for (const line of lines) {
    const cost = JSON.stringify(line).length + 1;
    if (kept.length >= MAX_RUN_ERROR_LINES - 1 || size + cost > MAX_JSON_CHARS - NOTE_RESERVE) break;
    kept.push(line);
    size += cost;
  }
  const dropped = lines.length - kept.length;
  return [...kept, `… ${dropped} more error line(s) not stored (a run record keeps at most ${MAX_RUN_ERROR_LINES}).`];
}
