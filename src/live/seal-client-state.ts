import { createHash } from "node:crypto";

/** Prefix of a sealed clientState: what the state keeps instead of the secret itself. */
export const SEALED_PREFIX = "sha256:";

/**
 * What the subscriptions table keeps of a clientState secret: its SHA-256, never the secret. The webhook only ever
 * compares, so the digest is enough, and a reader of the table (or of a backup of it) cannot forge a notification.
 * The secret is 48 random bytes, so an unsalted digest leaks nothing.
 */
export function sealClientState(secret: string): string {
  return `${SEALED_PREFIX}${createHash("sha256").update(secret, "utf8").digest("base64url")}`;
}
