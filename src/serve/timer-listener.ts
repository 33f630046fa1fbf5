import type { HeldLock, HostLocks, ScheduleStatus } from "./host-locks.js";
import type { Schedule } from "./parse-schedule.js";

/** A timer singleton is held this long past its last renewal: a killed holder blocks others at most this long. */
export const TIMER_LOCK_MS = 30_000;
const RENEW_EVERY_MS = TIMER_LOCK_MS / 3;
/** How often a run fired by hand tries again for a singleton another instance holds. */
const LOCK_RETRY_MS = 1_000;
/** Later than its occurrence by more than this, a run is past due. */
const PAST_DUE_MS = 1_000;
/** setTimeout's longest delay; longer waits are taken in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** The timer trigger's input, in the host's names (the package camel-cases them into `Timer`). */
export interface TimerInput {
  Schedule: { AdjustForDST: boolean };
  ScheduleStatus: { Last: string; Next: string; LastUpdated: string } | null;
  IsPastDue: boolean;
}

export interface TimerListenerOptions {
  functionName: string;
  schedule: Schedule;
  runOnStartup: boolean;
  /** False for a disabled function: it never fires by itself, only through `fireNow`. */
  scheduled: boolean;
  locks: HostLocks;
  /** This instance, as lock owner. */
  owner: string;
  invoke(input: TimerInput): Promise<void>;
  log(level: "information" | "warning" | "error", message: string): void;
  now?: () => Date;
}

export interface TimerListener {
  /** The next scheduled occurrence, if any. */
  next(): Date | undefined;
  /** Runs the function now, as the admin endpoint does: after any run of it here, under the same singleton. */
  fireNow(): Promise<void>;
  /** Stops firing; resolves when the run in progress ends, or after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>;
}

/**
 * A timer trigger as the host runs it when scaled out: each instance keeps the schedule, and an occurrence runs in
 * the one instance that takes the function's singleton lock and finds, in the shared schedule status, that no other
 * instance has run it yet. Runs of one function never overlap in an instance; the next occurrence is taken after
 * the run ends. An occurrence missed while no instance ran (the status's `next` in the past at start) runs at once,
 * past due. `runOnStartup` runs it once at start.
 */
export function startTimerListener(options: TimerListenerOptions): TimerListener {
  const { functionName: name, locks } = options;
  const now = options.now ?? (() => new Date());
  let chain: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let upcoming: Date | undefined;

  const serial = (task: () => Promise<void>): Promise<void> => {
    const run = chain.then(task);
    chain = run.catch((error: unknown) => options.log("error", describe(error)));
    return run;
  };

  const arm = (): void => {
    clearTimeout(timer);
    if (stopped) return;
    upcoming = options.schedule(now());
    if (!upcoming) return;
    const occurrence = upcoming;
    const delay = occurrence.getTime() - now().getTime();
    timer = setTimeout(
      () => (delay > MAX_DELAY_MS ? arm() : void serial(() => runOccurrence(occurrence))),
      Math.max(0, Math.min(delay, MAX_DELAY_MS)),
    );
  };

  const runLocked = async (lock: HeldLock, status: ScheduleStatus | undefined, pastDue: boolean): Promise<void> => {
    let held = lock;
    const renewal = setInterval(() => {
      locks.renew(held, TIMER_LOCK_MS).then(
        (renewed) => {
          if (renewed) held = renewed;
          else options.log("warning", "lost its singleton lock while running");
        },
        (error: unknown) => options.log("warning", `could not renew its singleton lock: ${describe(error)}`),
      );
    }, RENEW_EVERY_MS);
    try {
      await options.invoke({
        Schedule: { AdjustForDST: true },
        ScheduleStatus: status ? { Last: status.last, Next: status.next, LastUpdated: status.lastUpdated } : null,
        IsPastDue: pastDue,
      });
    } finally {
      clearInterval(renewal);
      await locks.release(held).catch(() => undefined);
    }
  };

  const runOccurrence = async (occurrence: Date): Promise<void> => {
    try {
      if (stopped) return;
      const lock = await locks.tryAcquire(name, options.owner, TIMER_LOCK_MS);
      if (!lock) return; // another instance is running it
      const status = await locks.readStatus(name).catch(() => undefined);
      if (status && Date.parse(status.last) >= occurrence.getTime()) {
        await locks.release(lock);
        return; // another instance already ran this occurrence
      }
      const pastDue = now().getTime() - occurrence.getTime() > PAST_DUE_MS;
      try {
        await runLocked(lock, status, pastDue);
      } finally {
        const at = now();
        await locks.writeStatus(name, {
          last: occurrence.toISOString(),
          next: options.schedule(at)?.toISOString() ?? "",
          lastUpdated: at.toISOString(),
        });
      }
    } finally {
      arm();
    }
  };

  const runNow = async (): Promise<void> => {
    let lock = await locks.tryAcquire(name, options.owner, TIMER_LOCK_MS);
    if (!lock) options.log("information", "waiting for the singleton lock another instance holds");
    while (!lock) {
      if (stopped) return;
      await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
      lock = await locks.tryAcquire(name, options.owner, TIMER_LOCK_MS);
    }
    await runLocked(lock, await locks.readStatus(name).catch(() => undefined), false);
  };

  void (async () => {
    if (!options.scheduled) return;
    const status = await locks.readStatus(name).catch(() => undefined);
    if (options.runOnStartup) void serial(runNow);
    else if (status?.next && Date.parse(status.next) < now().getTime() - PAST_DUE_MS) {
      const missed = new Date(status.next);
      void serial(() => runOccurrence(missed));
      return;
    }
    arm();
  })();

  return {
    next: () => (options.scheduled ? (upcoming ?? options.schedule(now())) : undefined),
    fireNow: () => serial(runNow),
    drain: async (timeoutMs) => {
      stopped = true;
      clearTimeout(timer);
      let wait: NodeJS.Timeout | undefined;
      await Promise.race([
        chain,
        new Promise<void>((resolve) => {
          if (Number.isFinite(timeoutMs)) wait = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(wait);
    },
  };
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));
