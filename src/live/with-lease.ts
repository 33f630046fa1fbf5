import { randomUUID } from "node:crypto";
import { SyncError } from "../errors/sync-error.js";
import type { SyncStateStore } from "../state/sync-state-store.js";

/** Not now, not a failure: the worker sends its message again, invisible for `delayMs` (undefined: the default). */
export class DeferError extends SyncError {
  override readonly name: string = "DeferError";
  constructor(
    message: string,
    readonly delayMs?: number,
  ) {
    super("unavailable", "live.deferred", message, { retryable: true });
  }
}

/** Another holder has the scope right now. */
export class ScopeBusyError extends DeferError {
  override readonly name = "ScopeBusyError";
  constructor(readonly scopes: string[]) {
    super(`another instance is syncing ${scopes.join(", ")}; retried later`);
  }
}

/**
 * Runs `work` while holding every lease in `scopes` (taken in sorted order, so two holders never deadlock), and
 * releases them afterwards whatever happens. Throws ScopeBusyError, holding nothing, if any scope is taken.
 *
 * Each call holds its leases as its own holder (`<owner>/<random>`): one instance runs several messages at once (the
 * host's batchSize), and the store lets an owner take its own lease again, so an instance-wide owner would let two
 * messages of one instance into the same scope.
 */
export async function withLeases<T>(
  state: SyncStateStore,
  scopes: string[],
  owner: string,
  ttlMs: number,
  work: () => Promise<T>,
): Promise<T> {
  const held = [];
  const holder = `${owner}/${randomUUID()}`;
  try {
    for (const scope of [...new Set(scopes)].sort()) {
      const lease = await state.acquireLease(scope, holder, ttlMs);
      if (!lease) throw new ScopeBusyError([scope]);
      held.push(lease);
    }
    return await work();
  } finally {
    for (const lease of held.reverse()) await state.releaseLease(lease).catch(() => undefined);
  }
}
