import type { GraphClock } from "../../src/entra/graph-http.js";

interface Sleeper {
  at: number;
  wake(): void;
}

/**
 * A clock that moves only when the test moves it (`advance`), or, with `auto`, to the end of each wait as soon as
 * the wait begins: code that waits on it never waits in real time, and a test can hold it still to see what is
 * waiting.
 */
export class ManualClock implements GraphClock {
  private time: number;
  private sleepers: Sleeper[] = [];

  constructor(private readonly options: { auto?: boolean; start?: number } = {}) {
    this.time = options.start ?? Date.parse("2026-01-01T00:00:00Z");
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const sleeper: Sleeper = { at: this.time + Math.max(0, ms), wake: resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener("abort", () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal.reason);
      });
      if (this.options.auto) setImmediate(() => this.advanceTo(sleeper.at));
    });
  }

  /** Waits that have begun and not ended. */
  get sleeping(): number {
    return this.sleepers.length;
  }

  /** Moves the clock on by `ms`, ending every wait due by then. */
  advance(ms: number): void {
    this.advanceTo(this.time + ms);
  }

  private advanceTo(at: number): void {
    this.time = Math.max(this.time, at);
    const due = this.sleepers.filter((s) => s.at <= this.time);
    this.sleepers = this.sleepers.filter((s) => s.at > this.time);
    for (const s of due) s.wake();
  }
}
