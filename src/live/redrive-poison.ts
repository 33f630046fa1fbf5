import type { LiveDeps } from "./live-deps.js";
import { syncMessageSchema } from "./sync-message.js";

/** Times a message is taken back out of the poison queue before it stays there for an admin to look at. */
export const MAX_REDRIVES = 4;
/** A poisoned message waits this long before its first re-drive, doubling for each later one (15 min, 30, 60, 120). */
export const REDRIVE_AFTER_MS = 15 * 60 * 1000;
/** Messages looked at per run of the timer. */
const REDRIVE_BATCH = 32;

export interface RedriveOutcome {
  /** Sent back to the work queue. */
  redriven: number;
}

/**
 * The poison queue's re-drive (timer `poison-redrive`): a message that failed every attempt (an outage longer than
 * the worker's own backoff, a bug since fixed) is sent back to the work queue, `REDRIVE_AFTER_MS` after it was
 * poisoned and twice as long after each later re-drive, at most MAX_REDRIVES times; then it stays in the poison queue,
 * counted on the status page. A message that is not a sync message (malformed) is never sent back.
 */
export async function redrivePoison(deps: Pick<LiveDeps, "queue" | "now" | "logger">): Promise<RedriveOutcome> {
  const now = deps.now().getTime();
  const redriven = await deps.queue.redrivePoison(REDRIVE_BATCH, (body, insertedOn) => {
    const parsed = syncMessageSchema.safeParse(body);
    if (!parsed.success) return undefined;
    const times = parsed.data.redriven ?? 0;
    if (times >= MAX_REDRIVES) return undefined;
    if (now - Date.parse(insertedOn) < REDRIVE_AFTER_MS * 2 ** times) return undefined;
    return { ...parsed.data, redriven: times + 1, failures: 0, deferrals: 0 };
  });
  if (redriven > 0) deps.logger.info(`poison re-drive: ${redriven} message(s) sent back to the work queue`);
  return { redriven };
}
