/**
 * A bounded hand-off from concurrent producers to one async-iterating consumer. `push` resolves once the buffer is
 * below `highWater` again, so producers slow down to the consumer's pace; `fail` ends the iteration with an error;
 * `close` ends it after the buffered items.
 */
export class PageChannel<T> {
  private readonly buffer: T[] = [];
  private readonly spaceWaiters: Array<() => void> = [];
  private itemWaiter: (() => void) | undefined;
  private failure: { error: unknown } | undefined;
  private closed = false;

  constructor(private readonly highWater: number) {}

  async push(item: T): Promise<void> {
    if (this.closed || this.failure !== undefined) return;
    this.buffer.push(item);
    this.wakeConsumer();
    while (this.buffer.length >= this.highWater && !this.closed && this.failure === undefined) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
  }

  fail(error: unknown): void {
    if (this.failure !== undefined || this.closed) return;
    this.failure = { error };
    this.wakeAll();
  }

  close(): void {
    this.closed = true;
    this.wakeAll();
  }

  async *drain(): AsyncGenerator<T> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure.error;
      const item = this.buffer.shift();
      if (item !== undefined) {
        this.spaceWaiters.shift()?.();
        yield item;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => {
        this.itemWaiter = resolve;
      });
    }
  }

  private wakeConsumer(): void {
    const waiter = this.itemWaiter;
    this.itemWaiter = undefined;
    waiter?.();
  }

  private wakeAll(): void {
    this.wakeConsumer();
    for (const waiter of this.spaceWaiters.splice(0)) waiter();
  }
}
