/** What a delta token remembers: the query it continues and where in the change log it stands. */
export interface DeltaState {
  resource: "groups" | "users";
  /** `$select` of the initial query, canonically cased; `null` for "no `$select`". */
  select: string[] | null;
  /** Ids from `$filter=id eq … or …`; `null` for all objects. */
  ids: string[] | null;
  /** Last change-log sequence number this token has seen. */
  seq: number;
  /** Simulator-clock time (ms) the token was issued; it expires after the configured lifetime. */
  issuedAt: number;
}

/**
 * Encodes the state into an opaque, self-contained `$deltatoken` (base64url JSON): `$select` and `$filter` live in
 * the token and are not repeated on the deltaLink (contract §2). Not signed: the simulator trusts its clients.
 */
export function encodeDeltaToken(state: DeltaState): string {
  const compact = { v: 1, r: state.resource, s: state.select, f: state.ids, q: state.seq, t: state.issuedAt };
  return Buffer.from(JSON.stringify(compact)).toString("base64url");
}

/** Decodes a token for `resource`; `undefined` when it is not one of ours or belongs to the other resource. */
export function decodeDeltaToken(token: string, resource: "groups" | "users"): DeltaState | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (typeof value !== "object" || value === null) return undefined;
    const { v, r, s, f, q, t } = value as Record<string, unknown>;
    if (v !== 1 || r !== resource || typeof q !== "number" || typeof t !== "number") return undefined;
    if (!isStringListOrNull(s) || !isStringListOrNull(f)) return undefined;
    return { resource, select: s, ids: f, seq: q, issuedAt: t };
  } catch {
    return undefined;
  }
}

function isStringListOrNull(value: unknown): value is string[] | null {
  return value === null || (Array.isArray(value) && value.every((item) => typeof item === "string"));
}
