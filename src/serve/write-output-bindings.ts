import type { QueueClient } from "@azure/storage-queue";
import type { RegisteredFunction } from "./app-registry.js";
import type { RpcInvocationResponse } from "./functions-core-types.js";
import { encodeMessageText, type MessageEncoding, outputMessages } from "./queue-message-text.js";
import type { StorageAccount } from "./storage-account.js";

export interface OutputTargets {
  /** The account a binding's `connection` names. */
  account(connection: string | undefined): StorageAccount;
  encoding: MessageEncoding;
  /** A binding property with its `%NAME%` app-setting references resolved. */
  resolve(text: string): string;
}

/** Queues known to exist (the clients are made once per account and name). */
const ensured = new WeakSet<object>();

/** Binding types `serve` writes, besides an HTTP function's `http` return. */
export const SUPPORTED_OUTPUT_TYPES = new Set(["queue"]);

/**
 * Writes what an invocation left for its output bindings (`context.extraOutputs`, and a non-HTTP function's queue
 * `$return`), as the host does once the function has returned: each queue message sent, the queue created if
 * missing. Rejects on the first write that fails. Resolves to the queues it sent messages to, whose listeners in this
 * host are then told (as the host's SharedQueueWatcher tells them).
 */
export async function writeOutputBindings(
  fn: RegisteredFunction,
  response: RpcInvocationResponse,
  targets: OutputTargets,
): Promise<QueueClient[]> {
  const written = new Set<QueueClient>();
  const outputs = [...(response.outputData ?? [])];
  if (fn.bindings.$return?.type === "queue" && response.returnValue) {
    outputs.push({ name: "$return", data: response.returnValue });
  }
  for (const { name, data } of outputs) {
    const binding = name ? fn.bindings[name] : undefined;
    if (!binding || !data || binding.type !== "queue") continue;
    const queue = targets
      .account(stringProperty(binding, "connection"))
      .queue(targets.resolve(String(binding.queueName)));
    if (!ensured.has(queue)) {
      await queue.createIfNotExists();
      ensured.add(queue);
    }
    for (const message of outputMessages(data)) {
      await queue.sendMessage(encodeMessageText(message, targets.encoding));
      written.add(queue);
    }
  }
  return [...written];
}

/** A binding property that is a non-empty string, else undefined. */
export function stringProperty(binding: Record<string, unknown>, key: string): string | undefined {
  const value = binding[key];
  return typeof value === "string" && value !== "" ? value : undefined;
}
