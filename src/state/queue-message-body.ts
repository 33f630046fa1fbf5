/** The largest message body Queue Storage accepts (64 KiB of base64 text). */
export const MAX_QUEUE_MESSAGE_CHARS = 65_536;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A JSON value as the Functions queue trigger reads it by default (`messageEncoding: "base64"`): JSON text, UTF-8,
 * base64. Throws `TypeError` for a value JSON cannot represent (undefined, a function).
 */
export function encodeQueueMessageBody(body: unknown): string {
  const text = JSON.stringify(body);
  if (text === undefined) throw new TypeError("queue message body must be a JSON value");
  return Buffer.from(text, "utf8").toString("base64");
}

/**
 * The JSON value of a message written by `encodeQueueMessageBody`. A body that is not strict base64 of UTF-8 JSON
 * (sent by hand, by another tool, or as plain text) comes back as the raw string, so a poison check can report it.
 */
export function decodeQueueMessageBody(text: string): unknown {
  if (text.length === 0 || !BASE64.test(text)) return text;
  const bytes = Buffer.from(text, "base64");
  const decoded = new TextDecoder("utf-8", { fatal: true });
  try {
    return JSON.parse(decoded.decode(bytes));
  } catch {
    return text;
  }
}
