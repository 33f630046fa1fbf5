import { randomUUID } from "node:crypto";
import { describeError, SyncError } from "../errors/sync-error.js";
import type { Lease, SyncStateStore } from "../state/sync-state-store.js";

/**
 * How long a lease lasts unless renewed. Short, so that an instance killed mid-sync (scale-in, deployment) keeps
 * nobody from its scopes for more than about a minute; a live holder renews it every `LEASE_RENEW_MS`.
 */
export const LEASE_TTL_MS = 60_000;
/** A held lease is renewed this often (a third of its life: two renewals may fail before it lapses). */
export const LEASE_RENEW_MS = 20_000;

/** Not now, not a failure: the worker sends its message again, invisible for `delayMs` (undefined: its backoff). */
export class DeferError extends SyncError {
  override readonly name: string = "DeferError";
  constructor(
    message: string,
    readonly delayMs?: number,
  ) {
    super("unavailable", "live.deferred", message, { retryable: true });
  }
}

/** The wait after the `n`th deferral (a busy scope): 1 s doubling, at most 30 s, so waiting costs few receives. */
export function deferDelayMs(deferrals: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1_000 * 2 ** Math.max(0, deferrals - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** Another holder has the scope right now. */
export class ScopeBusyError extends DeferError {
  override readonly name = "ScopeBusyError";
  constructor(readonly scopes: string[]) {
    super(`another instance is syncing ${scopes.join(", ")}; retried later`);
  }
}

/** A lease this holder had was taken over (it could not be renewed in time): stop writing for that scope. */
export class LeaseLostError extends SyncError {
  override readonly name = "LeaseLostError";
  constructor(scope: string, cause: unknown) {
    super("unavailable", "live.lease_lost", `the lease on ${scope} was lost (${describeError(cause)}); stopped`, {
      retryable: true,
    });
  }
}

/**
 * The leases one piece of work holds, taken as it learns which scopes it needs (`add`), renewed in the background
 * while it runs, and released together. Each LeaseSet is its own holder (`<owner>/<random>`): one instance runs several
 * messages at once, and a store lets an owner take its own lease again, so an instance-wide owner would let two
 * messages of one instance into one scope.
 */
export class LeaseSet {
  readonly #held = new Map<string, Lease>();
  readonly #controller = new AbortController();
  readonly #holder: string;
  #stop: (() => void) | undefined;

  constructor(
    private readonly state: SyncStateStore,
    owner: string,
    private readonly ttlMs: number = LEASE_TTL_MS,
    /** Runs `renew` every `everyMs` until stopped (a timer in production; a test drives it by hand). */
    private readonly heartbeat: (renew: () => void, everyMs: number) => () => void = (renew, everyMs) => {
      const timer = setInterval(renew, everyMs).unref();
      return () => clearInterval(timer);
    },
  ) {
    this.#holder = `${owner}/${randomUUID()}`;
  }

  /** Aborted when a lease is lost: the work must stop writing. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  has(scope: string): boolean {
    return this.#held.has(scope);
  }

  /**
   * Takes every scope not held yet, in sorted order. Throws ScopeBusyError at the first one another holder has (those
   * taken stay held until `release`), or the lost lease's error once one was lost.
   */
  async add(scopes: Iterable<string>): Promise<void> {
    if (this.#controller.signal.aborted) throw this.#controller.signal.reason;
    for (const scope of [...new Set(scopes)].filter((s) => !this.#held.has(s)).sort()) {
      const lease = await this.state.acquireLease(scope, this.#holder, this.ttlMs);
      if (!lease) throw new ScopeBusyError([scope]);
      this.#held.set(scope, lease);
    }
    this.#stop ??= this.heartbeat(() => void this.#renew(), Math.max(1_000, Math.floor(this.ttlMs / 3)));
  }

  /** Releases every lease (a lease already taken over or gone is left alone) and stops renewing. Never throws. */
  async release(): Promise<void> {
    this.#stop?.();
    this.#stop = undefined;
    const leases = [...this.#held.values()].reverse();
    this.#held.clear();
    await Promise.all(leases.map((lease) => this.state.releaseLease(lease).catch(() => undefined)));
  }

  /** Renews every held lease now (what the heartbeat does); a lease lost aborts `signal`. */
  async renew(): Promise<void> {
    return this.#renew();
  }

  async #renew(): Promise<void> {
    for (const [scope, lease] of this.#held) {
      try {
        this.#held.set(scope, await this.state.renewLease(lease, this.ttlMs));
      } catch (error) {
        if (!this.#held.has(scope)) continue; // released meanwhile
        this.#controller.abort(new LeaseLostError(scope, error));
        return;
      }
    }
  }
}

/**
 * Runs `work` holding the leases of `scopes` (and any it adds), renewed while it runs, released afterwards whatever
 * happens. Throws ScopeBusyError, holding nothing, if a scope is taken; with `wait`, retries that many times first,
 * `wait.delayMs` apart (the timer reconcile waits for a worker instead of giving up).
 */
export async function withLeases<T>(
  deps: { state: SyncStateStore; owner: string },
  scopes: string[],
  work: (leases: LeaseSet) => Promise<T>,
  wait?: { attempts: number; delayMs: number; sleep: (ms: number) => Promise<void> },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const leases = new LeaseSet(deps.state, deps.owner);
    try {
      await leases.add(scopes);
      return await work(leases);
    } catch (error) {
      if (!(error instanceof ScopeBusyError) || wait === undefined || attempt >= wait.attempts || leases.signal.aborted)
        throw error;
    } finally {
      await leases.release();
    }
    await wait.sleep(wait.delayMs);
  }
}
