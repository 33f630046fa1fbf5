import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { HostKeys } from "./resolve-keys.js";

export type AuthLevel = "anonymous" | "function" | "admin";

/**
 * Whether a request may call something of `level`: anonymous is open; function takes the function key or the master
 * key; admin takes the master key only. The key comes as query `code` or header `x-functions-key`. Both sides are
 * hashed before the constant-time comparison, so neither length nor content leaks through timing.
 */
export function checkKey(request: IncomingMessage, url: URL, level: AuthLevel, keys: HostKeys): boolean {
  if (level === "anonymous") return true;
  const header = request.headers["x-functions-key"];
  const given = url.searchParams.get("code") ?? (Array.isArray(header) ? header[0] : header);
  if (given === undefined || given === null) return false;
  const accepted = level === "admin" ? [keys.masterKey] : [keys.functionKey, keys.masterKey];
  return accepted.some((key) => sameSecret(given, key));
}

function sameSecret(a: string, b: string): boolean {
  const digest = (text: string): Buffer => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}
