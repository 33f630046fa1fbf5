import type { ReceivedMessage, SyncQueue } from "../../../src/state/sync-queue.js";

interface Queued {
  id: number;
  body: unknown;
  visibleAt: number;
  dequeueCount: number;
}

/**
 * The worker's queue for the differential test: in memory and on the test's clock, so that the test, not timing,
 * decides which message runs when (delays, duplicates, reordering). The Azure queue itself is tested in
 * test/state/storage-sync-queue.test.ts; what is under test here is what the worker does with messages.
 */
export class MemoryQueue implements SyncQueue {
  readonly messages: Queued[] = [];
  readonly poisoned: { body: unknown; reason: string }[] = [];
  #next = 0;

  constructor(private readonly now: () => number) {}

  async initialize(): Promise<void> {}

  async send(body: unknown, options: { visibilityDelayMs?: number } = {}): Promise<void> {
    this.messages.push({
      id: this.#next++,
      body: structuredClone(body),
      visibleAt: this.now() + (options.visibilityDelayMs ?? 0),
      dequeueCount: 0,
    });
  }

  async poison(body: unknown, reason: string): Promise<void> {
    this.poisoned.push({ body, reason });
  }

  async redrivePoison(
    max: number,
    resend: (body: unknown, insertedOn: string) => unknown | undefined,
  ): Promise<number> {
    let sent = 0;
    for (const entry of [...this.poisoned].slice(0, max)) {
      const body = resend(entry.body, new Date(0).toISOString());
      if (body === undefined) continue;
      this.poisoned.splice(this.poisoned.indexOf(entry), 1);
      await this.send(body);
      sent++;
    }
    return sent;
  }

  async depth(): Promise<{ queued: number; poison: number }> {
    return { queued: this.messages.length, poison: this.poisoned.length };
  }

  /** Takes a visible message, chosen by `pick` among them (in arrival order); undefined when none is visible. */
  take(pick: (count: number) => number): Queued | undefined {
    const visible = this.messages.filter((m) => m.visibleAt <= this.now());
    if (visible.length === 0) return undefined;
    const chosen = visible[pick(visible.length)] as Queued;
    this.messages.splice(this.messages.indexOf(chosen), 1);
    chosen.dequeueCount++;
    return chosen;
  }

  /** When the next message becomes visible; undefined when the queue is empty. */
  nextVisibleAt(): number | undefined {
    return this.messages.length === 0 ? undefined : Math.min(...this.messages.map((m) => m.visibleAt));
  }

  receive(): Promise<ReceivedMessage[]> {
    throw new Error("the differential test's queue is driven by the test");
  }
  complete(): Promise<void> {
    throw new Error("the differential test's queue is driven by the test");
  }
  release(): Promise<void> {
    throw new Error("the differential test's queue is driven by the test");
  }
  moveToPoison(): Promise<void> {
    throw new Error("the differential test's queue is driven by the test");
  }
}
