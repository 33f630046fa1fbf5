import type { TableClient, TableEntity, TransactionAction } from "@azure/data-tables";
import pLimit from "p-limit";
import { describeError } from "../errors/sync-error.js";
import { mapStorageError } from "../state/map-storage-error.js";

/** Table transactions take at most 100 operations, one partition each, and 4 MiB of payload. */
const TRANSACTION_ROWS = 100;
const TRANSACTION_CHARS = 1_500_000;

/**
 * Groups row writes (or deletes) by partition into transactions of at most 100 rows, submitted as they fill with at
 * most `concurrency` in flight. After the first failure nothing more is submitted; `finish` resolves with that
 * failure's secret-free message (undefined when every transaction went through).
 */
export class TransactionWriter {
  readonly #pending = new Map<string, { actions: TransactionAction[]; chars: number }>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #limit: ReturnType<typeof pLimit>;
  #failure: string | undefined;

  constructor(
    private readonly table: TableClient,
    private readonly operation: string,
    concurrency = 8,
  ) {
    this.#limit = pLimit(concurrency);
  }

  /** Queues an upsert (Replace) of `entity`; `chars` is its approximate size. */
  upsert(entity: TableEntity, chars: number): Promise<void> {
    return this.#add(["upsert", entity, "Replace"], chars);
  }

  delete(partitionKey: string, rowKey: string): Promise<void> {
    return this.#add(["delete", { partitionKey, rowKey }], 100);
  }

  /** Submits what is left and waits for everything; the first failure's message, or undefined. */
  async finish(): Promise<string | undefined> {
    for (const partition of [...this.#pending.keys()]) this.#submit(partition);
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
    return this.#failure;
  }

  async #add(action: TransactionAction, chars: number): Promise<void> {
    const partition = action[1].partitionKey as string;
    const batch = this.#pending.get(partition) ?? { actions: [], chars: 0 };
    if (batch.actions.length > 0 && batch.chars + chars > TRANSACTION_CHARS) {
      this.#submit(partition);
      return this.#add(action, chars);
    }
    batch.actions.push(action);
    batch.chars += chars;
    this.#pending.set(partition, batch);
    if (batch.actions.length >= TRANSACTION_ROWS) this.#submit(partition);
    // Back-pressure: the caller waits while too many transactions are queued, so rows are not built far ahead.
    if (this.#inFlight.size > this.#limit.concurrency * 2) await Promise.race([...this.#inFlight]);
  }

  #submit(partition: string): void {
    const batch = this.#pending.get(partition);
    this.#pending.delete(partition);
    if (!batch || batch.actions.length === 0 || this.#failure !== undefined) return;
    const task: Promise<void> = this.#limit(async () => {
      if (this.#failure !== undefined) return;
      try {
        await this.table.submitTransaction(batch.actions);
      } catch (error) {
        this.#failure ??= describeError(
          mapStorageError(error, {
            service: "table",
            name: this.table.tableName,
            operation: `${this.operation} (${batch.actions.length} rows)`,
            key: `${partition}/*`,
          }),
        );
      }
    }).finally(() => this.#inFlight.delete(task));
    this.#inFlight.add(task);
  }
}
