/**
 * How long to wait before retrying a transient MI failure: MI's `Retry-After` when it sent one (seconds, fractional
 * seconds, or an HTTP date), otherwise exponential backoff with jitter.
 */

/** Backoff before retry n (1-based): 500 ms, 1 s, 2 s, 4 s... capped at 30 s, each with ±25 % jitter. */
const baseDelayMs = 500;
const maxBackoffMs = 30_000;
/** A `Retry-After` above this is capped: a sync run should fail in bounded time rather than sleep for an hour. */
export const maxRetryAfterMs = 120_000;

/**
 * `Retry-After` in milliseconds: "2", "0.25" (fractional seconds, tolerated) or an HTTP date. Undefined when absent
 * or unreadable. Never negative.
 */
export function parseRetryAfterMs(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** The wait before retry `retryNumber` (1-based). `random` is injectable for tests. */
export function miRetryDelayMs(
  retryNumber: number,
  retryAfter: string | undefined,
  nowMs: number,
  random: () => number = Math.random,
): number {
  const fromHeader = parseRetryAfterMs(retryAfter, nowMs);
  if (fromHeader !== undefined) return Math.min(fromHeader, maxRetryAfterMs);
  const exponential = Math.min(maxBackoffMs, baseDelayMs * 2 ** Math.max(0, retryNumber - 1));
  return Math.round(exponential * (0.75 + random() * 0.5));
}
