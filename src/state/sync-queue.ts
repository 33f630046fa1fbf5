/**
 * The work queue between the webhook and the worker (Azure Storage Queues). Messages are JSON values; their schema
 * belongs to the consumer (src/live/sync-message.ts). Bodies are base64-encoded on the wire, as the Functions queue
 * trigger expects by default. One production implementation: `StorageSyncQueue`.
 *
 * In Azure the Functions host receives, retries and dead-letters (after `maxDequeueCount`, to `<queue>-poison`); the
 * receive/complete/poison methods exist for the sandbox and tests, which run without the host.
 */
export interface ReceivedMessage {
  messageId: string;
  popReceipt: string;
  /** How many times it has been received, this time included. */
  dequeueCount: number;
  body: unknown;
  insertedOn: string;
}

export interface SyncQueue {
  /** Creates the queue and its poison queue if missing. Idempotent. */
  initialize(): Promise<void>;
  send(body: unknown, options?: { visibilityDelayMs?: number }): Promise<void>;
  receive(options?: { max?: number; visibilityTimeoutMs?: number }): Promise<ReceivedMessage[]>;
  /** Deletes a processed message. */
  complete(message: ReceivedMessage): Promise<void>;
  /**
   * Gives a failed message back: visible again after `visibilityDelayMs`, as the Functions host does after a failure
   * (host.json `queues.visibilityTimeout`). A message already gone or taken by another receiver is left alone.
   */
  release(message: ReceivedMessage, visibilityDelayMs: number): Promise<void>;
  /** Sends a body to the poison queue with the reason (the worker's last resort for a message it received). */
  poison(body: unknown, reason: string): Promise<void>;
  /**
   * Takes up to `max` messages from the poison queue: `resend` decides, for each, the body to send back to this queue
   * (then it leaves the poison queue) or undefined (it stays, visible again later). Returns how many were sent back.
   */
  redrivePoison(max: number, resend: (body: unknown, insertedOn: string) => unknown | undefined): Promise<number>;
  /** Moves a message to the poison queue, with the reason, and deletes it from this one. */
  moveToPoison(message: ReceivedMessage, reason: string): Promise<void>;
  /** Approximate counts, for the status view. */
  depth(): Promise<{ queued: number; poison: number }>;
}
