import { createHash, timingSafeEqual } from "node:crypto";
import { SEALED_PREFIX } from "./seal-client-state.js";

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/** The digest a stored value stands for: a sealed one holds it; a plain one (records written before sealing) is hashed. */
function storedDigest(stored: string): Buffer {
  return stored.startsWith(SEALED_PREFIX)
    ? Buffer.from(stored.slice(SEALED_PREFIX.length), "base64url")
    : digest(stored);
}

/**
 * Compares a notification's clientState with the subscription's secret in constant time, then with the previous
 * secret (so a rotation drops nothing). Secrets are stored sealed (`sealClientState`), so the received value is hashed
 * and digests are compared: neither the secret's length nor its content leaks through timing, and both secrets are
 * always compared.
 */
export function verifyClientState(
  received: string | undefined,
  secrets: { current: string; previous?: string | undefined },
): boolean {
  if (received === undefined) return false;
  const got = digest(received);
  const same = (stored: string): boolean => {
    const expected = storedDigest(stored);
    return expected.length === got.length && timingSafeEqual(got, expected);
  };
  const current = same(secrets.current);
  const previous = secrets.previous !== undefined && same(secrets.previous);
  return current || previous;
}
