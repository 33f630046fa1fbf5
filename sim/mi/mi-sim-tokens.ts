/**
 * Session tokens the MI simulator issues at `/api/get_token`, and the personal (Bearer) tokens it was configured with.
 * A token acts as a named MI user; one issued through an External Application also carries that application's rights.
 */
import { randomBytes } from "node:crypto";

export interface SimApplication {
  applicationId: string;
  applicationKey: string;
  /** MI's "Application Can Manage Users" switch (older label "User Management Access"). */
  canManageUsers: boolean;
}

/** Who a request acts as. `application` is undefined for a personal token, which belongs to no application. */
export interface SimPrincipal {
  username: string;
  application: SimApplication | undefined;
}

interface IssuedToken {
  principal: SimPrincipal;
  expiresAtMs: number;
}

const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export class MiSimTokens {
  readonly #issued = new Map<string, IssuedToken>();
  readonly #personal = new Map<string, string>();

  constructor(
    private readonly lifetimeSeconds: number,
    private readonly now: () => Date,
    personalTokens: { token: string; username: string }[],
  ) {
    for (const entry of personalTokens) this.#personal.set(entry.token, entry.username);
  }

  /** Issues a token; `expires` is MI's `YYYY-MM-DD HH:MM:SS`, server-local time, no zone. */
  issue(principal: SimPrincipal): { token: string; expires: string } {
    const bytes = randomBytes(50);
    let token = "";
    for (const byte of bytes) token += tokenAlphabet[byte % tokenAlphabet.length];
    const expiresAtMs = this.now().getTime() + this.lifetimeSeconds * 1000;
    this.#issued.set(token, { principal, expiresAtMs });
    return { token, expires: formatMiTimestamp(new Date(expiresAtMs)) };
  }

  /** The principal of a `Token` header value, or why it is refused (MI answers 412 for both). */
  resolve(token: string): SimPrincipal | "expired" | "invalid" {
    const issued = this.#issued.get(token);
    if (issued === undefined) return "invalid";
    if (this.now().getTime() >= issued.expiresAtMs) return "expired";
    return issued.principal;
  }

  /** The username a personal token represents, if it is one. */
  resolvePersonal(token: string): string | undefined {
    return this.#personal.get(token);
  }

  /** Every token issued so far expires now. Personal tokens are not affected. */
  expireAll(): void {
    for (const issued of this.#issued.values()) issued.expiresAtMs = Number.NEGATIVE_INFINITY;
  }
}

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

/** `YYYY-MM-DD HH:MM:SS` in the host's local time, as MI prints `expires`. */
export function formatMiTimestamp(date: Date): string {
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}
