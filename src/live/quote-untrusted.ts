/**
 * Renders a string that came from outside (a notification's tenantId, resource or subscriptionId) for a log line:
 * quoted, at most `max` characters (then `…`), and every character outside printable ASCII written as `\uXXXX`, so no
 * forged line break, terminal escape or bidirectional override reaches a log viewer.
 */
export function quoteUntrusted(text: string, max = 64): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  const escaped = cut.replace(/[^\x20-\x7e]|["\\]/g, (c) =>
    c === '"' || c === "\\" ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `"${escaped}${cut.length < text.length ? "…" : ""}"`;
}
