import { AuthError, ServiceError, type SyncError } from "../errors/sync-error.js";

/** A Graph answer that was not 2xx, from a plain request or from one request inside a `$batch`. */
export interface GraphFailure {
  status: number;
  /** `error.code` of Graph's error envelope, when there was one. */
  code?: string;
  /** The `request-id` Graph gave (for Microsoft support). */
  requestId?: string;
  /** The `Location` header, when Graph sent one (a delta reset's 410 names the initial query there). */
  location?: string;
}

/** Who we are, for messages. */
export interface EntraIdentity {
  tenantId: string;
  clientId: string;
  graphEndpoint: string;
}

/**
 * Maps a non-2xx Graph answer, after the retries already made, to a typed error. Decides on status and `code` only,
 * never on Graph's message text. `what` says what was being read ("the members of group 1234...").
 */
export function mapGraphFailure(failure: GraphFailure, what: string, identity: EntraIdentity): SyncError {
  const { status } = failure;
  const detail = `${status}${failure.code ? ` ${failure.code}` : ""}${failure.requestId ? `, request-id ${failure.requestId}` : ""}`;
  if (status === 401) {
    return new AuthError(
      "entra",
      "entra.token_rejected",
      `Microsoft Graph at ${identity.graphEndpoint} rejected the access token of client ${identity.clientId} in tenant ${identity.tenantId} while reading ${what} (${detail}). Check that --graph-endpoint and --authority-host belong to the same cloud.`,
      { hint: "Use a Graph endpoint and authority host of the same cloud." },
    );
  }
  if (status === 403) {
    return new AuthError(
      "entra",
      "entra.forbidden",
      `Microsoft Graph refused client ${identity.clientId} in tenant ${identity.tenantId} access to ${what} (${detail}). In the app registration, grant the app GroupMember.Read.All and User.Read.All application permissions (not delegated) and grant admin consent.`,
      { hint: "Grant GroupMember.Read.All and User.Read.All application permissions with admin consent." },
    );
  }
  if (status === 429) {
    return new ServiceError(
      "entra",
      "entra.throttled",
      `Microsoft Graph kept throttling the reads of ${what} after all retries (${detail}). Run again later, or with fewer groups at once.`,
      status,
      { retryable: true },
    );
  }
  if (status >= 500) {
    return new ServiceError(
      "entra",
      "entra.unavailable",
      `Microsoft Graph failed while reading ${what}, after all retries (${detail}). Run again later.`,
      status,
      { retryable: true },
    );
  }
  if (status === 404) {
    return new ServiceError("entra", "entra.not_found", `Microsoft Graph found no ${what} (${detail}).`, status);
  }
  return new ServiceError(
    "entra",
    "entra.unexpected_status",
    `Microsoft Graph answered an unexpected error while reading ${what} (${detail}).`,
    status,
  );
}
