import { randomBytes } from "node:crypto";

/** Outcome of checking a bearer token. */
export type TokenCheck = "valid" | "missing" | "expired" | "malformed";

/**
 * Opaque access tokens issued by the simulated token endpoint. Expiry runs on real time (MSAL caches on real time;
 * the simulator clock only drives delta-token age), so a test about expiry uses a short lifetime or
 * `faults.expireAccessTokens()`.
 */
export class AccessTokenStore {
  private readonly issued = new Map<string, { issuedAt: number; expiresAt: number }>();

  constructor(private readonly lifetimeSeconds: number) {}

  issue(): { token: string; expiresIn: number } {
    const token = `sim.${randomBytes(32).toString("base64url")}`;
    const issuedAt = Date.now();
    this.issued.set(token, { issuedAt, expiresAt: issuedAt + this.lifetimeSeconds * 1000 });
    return { token, expiresIn: this.lifetimeSeconds };
  }

  /** Checks an `Authorization` header value; tokens issued at or before `cutoff` count as expired. */
  check(authorization: string | undefined, cutoff: number): TokenCheck {
    if (!authorization) return "missing";
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match?.[1]) return "malformed";
    const entry = this.issued.get(match[1]);
    if (!entry) return "malformed";
    if (entry.expiresAt <= Date.now() || entry.issuedAt <= cutoff) return "expired";
    return "valid";
  }
}
