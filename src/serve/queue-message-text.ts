import type { RpcTypedData } from "./functions-core-types.js";

export type MessageEncoding = "base64" | "none";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A stored message's text as the function sees it: with `base64` (the queue extension's default) the stored text
 * must be base64 of UTF-8 and is decoded; undefined when it is not.
 */
export function decodeMessageText(stored: string, encoding: MessageEncoding): string | undefined {
  if (encoding === "none") return stored;
  if (!BASE64.test(stored)) return undefined;
  return Buffer.from(stored, "base64").toString("utf8");
}

/** The text to store for a message body, as the queue output binding writes it. */
export function encodeMessageText(body: string | Uint8Array, encoding: MessageEncoding): string {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body);
  return encoding === "base64" ? bytes.toString("base64") : bytes.toString("utf8");
}

/**
 * The messages one output value stands for, as the host writes them: an array is one message per element; a string
 * is sent as is; bytes as bytes; anything else as its JSON.
 */
export function outputMessages(data: RpcTypedData): (string | Uint8Array)[] {
  const one = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value));
  if (data.json !== undefined && data.json !== null) {
    const value: unknown = JSON.parse(data.json);
    return Array.isArray(value) ? value.map(one) : [one(value)];
  }
  if (data.string !== undefined && data.string !== null) return [data.string];
  if (data.bytes) return [data.bytes];
  if (data.collectionString?.string) return data.collectionString.string;
  if (data.collectionBytes?.bytes) return data.collectionBytes.bytes;
  if (typeof data.int === "number") return [String(data.int)];
  if (typeof data.double === "number") return [String(data.double)];
  return [];
}
