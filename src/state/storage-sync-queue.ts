/**
 * `SyncQueue` on Azure Queue Storage. Bodies are base64 of JSON (the Functions queue trigger's default); the poison
 * queue is `<queueName>-poison`, the name the Functions host dead-letters to. Durations are taken in ms and sent in
 * whole seconds, rounded up (Azure's unit).
 */
import type { QueueClient } from "@azure/storage-queue";
import { UsageError } from "../errors/sync-error.js";
import { mapStorageError } from "./map-storage-error.js";
import { decodeQueueMessageBody, encodeQueueMessageBody, MAX_QUEUE_MESSAGE_CHARS } from "./queue-message-body.js";
import { StateRejectedError } from "./state-errors.js";
import { storageFailure, storageStatus } from "./storage-failure.js";
import { queueClientFor, type StorageTarget } from "./storage-target.js";
import type { ReceivedMessage, SyncQueue } from "./sync-queue.js";

export interface StorageSyncQueueOptions {
  /** A storage account connection string. Never echoed in errors. Ignored when `storage` is given. */
  connectionString?: string;
  /** Where the queue lives (a connection string, or an account reached with the managed identity). */
  storage?: StorageTarget;
  /** 3–56 lowercase letters, digits and single hyphens (room for the `-poison` suffix). */
  queueName: string;
}

/** What `moveToPoison` sends to the poison queue. */
export interface PoisonMessageBody {
  /** The decoded body of the original (a raw string if it was not base64 JSON). */
  original: unknown;
  reason: string;
  dequeueCount: number;
  messageId: string;
}

const QUEUE_NAME = /^[a-z0-9](?:[a-z0-9]|-(?!-)){1,54}[a-z0-9]$/;
const DEFAULT_VISIBILITY_TIMEOUT_MS = 30_000;
/** Queue Storage hands out at most 32 messages per receive. */
const MAX_RECEIVE = 32;
/** Azure's limit for visibility timeouts and delays: 7 days. */
const MAX_VISIBILITY_SECONDS = 7 * 24 * 3600;

export class StorageSyncQueue implements SyncQueue {
  private readonly queue: QueueClient;
  private readonly poisonQueue: QueueClient;

  constructor(options: StorageSyncQueueOptions) {
    if (!QUEUE_NAME.test(options.queueName)) {
      throw new UsageError(
        "state.invalid_name",
        `Queue name "${options.queueName}" is not valid: use 3–56 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.`,
      );
    }
    const storage: StorageTarget = options.storage ?? {
      kind: "connectionString",
      connectionString: options.connectionString ?? "",
    };
    this.queue = queueClientFor(storage, options.queueName);
    this.poisonQueue = queueClientFor(storage, `${options.queueName}-poison`);
  }

  /** Creates the queue and its poison queue if missing. Idempotent. */
  async initialize(): Promise<void> {
    // allSettled, not all: a failure must not leave the other create retrying in the background.
    const results = await Promise.allSettled([this.queue, this.poisonQueue].map((queue) => queue.createIfNotExists()));
    for (const [index, result] of results.entries()) {
      if (result.status === "fulfilled") continue;
      const name = (index === 0 ? this.queue : this.poisonQueue).name;
      throw mapStorageError(result.reason, { service: "queue", name, operation: "create the queue" });
    }
  }

  /** Enqueues `body` (a JSON value), invisible for `visibilityDelayMs` (rounded up to seconds). Not idempotent. */
  async send(body: unknown, options: { visibilityDelayMs?: number } = {}): Promise<void> {
    await this.sendTo(this.queue, body, options.visibilityDelayMs);
  }

  /**
   * Takes up to `max` (1–32, default 1) visible messages and hides them for `visibilityTimeoutMs` (default 30 s,
   * rounded up to seconds). A message not completed before then becomes visible again, with `dequeueCount` + 1.
   */
  async receive(options: { max?: number; visibilityTimeoutMs?: number } = {}): Promise<ReceivedMessage[]> {
    const numberOfMessages = Math.max(1, Math.min(MAX_RECEIVE, Math.floor(options.max ?? 1)));
    const visibilityTimeout = Math.max(1, toSeconds(options.visibilityTimeoutMs ?? DEFAULT_VISIBILITY_TIMEOUT_MS));
    try {
      const response = await this.queue.receiveMessages({ numberOfMessages, visibilityTimeout });
      return response.receivedMessageItems.map((item) => ({
        messageId: item.messageId,
        popReceipt: item.popReceipt,
        dequeueCount: item.dequeueCount,
        body: decodeQueueMessageBody(item.messageText),
        insertedOn: item.insertedOn.toISOString(),
      }));
    } catch (error) {
      throw mapStorageError(error, { service: "queue", name: this.queue.name, operation: "receive messages" });
    }
  }

  /**
   * Deletes a processed message. Idempotent: a message already gone (404) is success. Azure also answers 404 when
   * the pop receipt is stale, i.e. the visibility timeout ran out and the message may be with another receiver; it
   * will then be processed again, which the level-based worker tolerates.
   */
  async complete(message: ReceivedMessage): Promise<void> {
    try {
      await this.queue.deleteMessage(message.messageId, message.popReceipt);
    } catch (error) {
      if (storageStatus(error) === 404) return;
      throw mapStorageError(error, {
        service: "queue",
        name: this.queue.name,
        operation: `delete message ${message.messageId}`,
      });
    }
  }

  /** See `SyncQueue.release`: `updateMessage` with the new visibility (rounded up to seconds). */
  async release(message: ReceivedMessage, visibilityDelayMs: number): Promise<void> {
    try {
      await this.queue.updateMessage(message.messageId, message.popReceipt, undefined, toSeconds(visibilityDelayMs));
    } catch (error) {
      // Gone (404), or received again meanwhile (400 PopReceiptMismatch): another receiver has it.
      const { status, errorCode } = storageFailure(error);
      if (status === 404 || (status === 400 && errorCode === "PopReceiptMismatch")) return;
      throw mapStorageError(error, {
        service: "queue",
        name: this.queue.name,
        operation: `release message ${message.messageId}`,
      });
    }
  }

  /**
   * Sends `{ original, reason, dequeueCount, messageId }` to the poison queue, then deletes the original. If the
   * delete fails after the send, the poison queue holds a copy and the original comes back; a retry adds a second
   * poison entry rather than losing the message.
   */
  async moveToPoison(message: ReceivedMessage, reason: string): Promise<void> {
    const poisonBody: PoisonMessageBody = {
      original: message.body,
      reason,
      dequeueCount: message.dequeueCount,
      messageId: message.messageId,
    };
    await this.sendTo(this.poisonQueue, poisonBody, undefined);
    await this.complete(message);
  }

  /** See `SyncQueue.poison`: `{ original, reason, dequeueCount: 0, messageId: "" }` on the poison queue. */
  async poison(body: unknown, reason: string): Promise<void> {
    const poisonBody: PoisonMessageBody = { original: body, reason, dequeueCount: 0, messageId: "" };
    await this.sendTo(this.poisonQueue, poisonBody, undefined);
  }

  /**
   * See `SyncQueue.redrivePoison`. A body the worker poisoned carries the original in `original`; one the Functions
   * host poisoned is the original itself. The send comes before the delete: a failure between them sends a message
   * twice, never loses one.
   */
  async redrivePoison(
    max: number,
    resend: (body: unknown, insertedOn: string) => unknown | undefined,
  ): Promise<number> {
    const numberOfMessages = Math.max(1, Math.min(MAX_RECEIVE, Math.floor(max)));
    let items: Awaited<ReturnType<QueueClient["receiveMessages"]>>["receivedMessageItems"];
    try {
      items = (await this.poisonQueue.receiveMessages({ numberOfMessages, visibilityTimeout: 60 }))
        .receivedMessageItems;
    } catch (error) {
      if (storageStatus(error) === 404) return 0;
      throw mapStorageError(error, { service: "queue", name: this.poisonQueue.name, operation: "receive messages" });
    }
    let sent = 0;
    for (const item of items) {
      const decoded = decodeQueueMessageBody(item.messageText);
      const original = isPoisonBody(decoded) ? decoded.original : decoded;
      const body = resend(original, item.insertedOn.toISOString());
      if (body === undefined) {
        // Not now: visible again at once, for the next run and for the status page's count.
        await this.poisonQueue.updateMessage(item.messageId, item.popReceipt, undefined, 0).catch(() => undefined);
        continue;
      }
      await this.sendTo(this.queue, body, undefined);
      try {
        await this.poisonQueue.deleteMessage(item.messageId, item.popReceipt);
      } catch (error) {
        if (storageStatus(error) !== 404) {
          throw mapStorageError(error, {
            service: "queue",
            name: this.poisonQueue.name,
            operation: "delete a message",
          });
        }
      }
      sent++;
    }
    return sent;
  }

  /** Approximate message counts of the queue and its poison queue; a queue that does not exist counts 0. */
  async depth(): Promise<{ queued: number; poison: number }> {
    const [queued, poison] = await Promise.all([this.count(this.queue), this.count(this.poisonQueue)]);
    return { queued, poison };
  }

  private async count(queue: QueueClient): Promise<number> {
    try {
      return (await queue.getProperties()).approximateMessagesCount ?? 0;
    } catch (error) {
      if (storageStatus(error) === 404) return 0;
      throw mapStorageError(error, { service: "queue", name: queue.name, operation: "read the queue length" });
    }
  }

  private async sendTo(queue: QueueClient, body: unknown, visibilityDelayMs: number | undefined): Promise<void> {
    const text = encodeQueueMessageBody(body);
    if (text.length > MAX_QUEUE_MESSAGE_CHARS) {
      throw new StateRejectedError(
        "state.too_large",
        `A message of ${text.length} base64 characters is over the ${MAX_QUEUE_MESSAGE_CHARS} queue "${queue.name}" accepts; send an id, not a payload.`,
      );
    }
    const visibilityTimeout = visibilityDelayMs === undefined ? undefined : toSeconds(visibilityDelayMs);
    try {
      await queue.sendMessage(text, visibilityTimeout ? { visibilityTimeout } : {});
    } catch (error) {
      throw mapStorageError(error, { service: "queue", name: queue.name, operation: "send a message" });
    }
  }
}

function isPoisonBody(value: unknown): value is PoisonMessageBody {
  return typeof value === "object" && value !== null && "original" in value && "reason" in value;
}

/** Milliseconds to whole seconds, rounded up, within Azure's 7-day cap. */
function toSeconds(ms: number): number {
  return Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil(ms / 1000)));
}
