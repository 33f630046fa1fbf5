import { createHash, timingSafeEqual } from "node:crypto";

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/**
 * Compares a notification's clientState with the subscription's secret in constant time, then with the previous
 * secret (so a rotation drops nothing). Both sides are hashed first, so neither the secret's length nor its content
 * leaks through timing, and both secrets are always compared.
 */
export function verifyClientState(
  received: string | undefined,
  secrets: { current: string; previous?: string | undefined },
): boolean {
  if (received === undefined) return false;
  const got = digest(received);
  const current = timingSafeEqual(got, digest(secrets.current));
  const previous = secrets.previous !== undefined && timingSafeEqual(got, digest(secrets.previous));
  return current || previous;
}
