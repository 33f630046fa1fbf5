import { AuthError as MsalAuthError, ServerError } from "@azure/msal-node";
import { AuthError, ServiceError, type SyncError, UsageError } from "../errors/sync-error.js";
import { mapNetworkFailure } from "./map-network-failure.js";

export interface TokenIdentity {
  tenantId: string;
  clientId: string;
  /** Authority origin, e.g. `https://login.microsoftonline.com`. */
  authorityHost: string;
  credentialKind: "secret" | "certificate";
}

/** AADSTS codes an admin meets when setting the app up, with a short reason of our own (never AAD's text). */
const AADSTS_REASONS: Record<
  string,
  { reason: string; about: "credential" | "tenant" | "app" | "resource" | "other" }
> = {
  "7000215": { reason: "invalid client secret", about: "credential" },
  "7000222": { reason: "the client secret has expired", about: "credential" },
  "700027": {
    reason: "the certificate assertion is invalid or the certificate is not registered",
    about: "credential",
  },
  "700024": { reason: "the client assertion is outside its valid time range: check the clock", about: "credential" },
  "7000112": { reason: "the application is disabled", about: "app" },
  "700016": { reason: "no application with this client id in the tenant", about: "app" },
  "90002": { reason: "tenant not found", about: "tenant" },
  "900023": { reason: "the tenant is not a valid tenant id or domain", about: "tenant" },
  "90072": { reason: "the app is not registered or consented in this tenant", about: "app" },
  "500011": { reason: "the Graph resource is not known in this tenant's cloud", about: "resource" },
  "53003": { reason: "blocked by a Conditional Access policy", about: "other" },
};

const CREDENTIAL_ERRORS = new Set(["invalid_client", "unauthorized_client", "invalid_grant"]);

/**
 * Maps an error from `acquireTokenByClientCredential` to a typed error. MSAL drops the socket error behind its
 * `network_error` / `endpoints_resolution_error`, so for those the authority is probed once with a plain GET to tell
 * "unreachable" (and why) from "unknown tenant". Messages never hold the secret or the assertion.
 */
export async function mapMsalError(error: unknown, identity: TokenIdentity): Promise<SyncError> {
  const who = `client ${identity.clientId} in tenant ${identity.tenantId}`;
  const credentialHint =
    identity.credentialKind === "secret"
      ? "Check --client-secret / O365_USERSYNC_CLIENT_SECRET."
      : "Check --client-certificate / O365_USERSYNC_CLIENT_CERTIFICATE and that this certificate is uploaded to the app registration.";

  if (error instanceof ServerError) {
    const status = error.status;
    if (status === 429 || (status !== undefined && status >= 500)) {
      return new ServiceError(
        "entra",
        status === 429 ? "entra.throttled" : "entra.unavailable",
        `The Entra token endpoint at ${identity.authorityHost} answered ${status} for ${who}. Run again later.`,
        status,
        { retryable: true },
      );
    }
    const number = error.errorNo === undefined ? undefined : String(error.errorNo);
    const known = number === undefined ? undefined : AADSTS_REASONS[number];
    const aadsts = number === undefined ? error.errorCode : `AADSTS${number}: ${known?.reason ?? error.errorCode}`;
    if (known?.about === "tenant") return unknownTenant(identity, aadsts);
    const hint =
      known?.about === "app"
        ? "Check --client-id / O365_USERSYNC_CLIENT_ID and --tenant / O365_USERSYNC_TENANT."
        : known?.about === "resource"
          ? "Check that --graph-endpoint belongs to the same cloud as --authority-host."
          : credentialHint;
    if (CREDENTIAL_ERRORS.has(error.errorCode) || known !== undefined || number !== undefined) {
      return new AuthError(
        "entra",
        "entra.auth_refused",
        `Entra refused the app credentials for ${who} (${aadsts}). ${hint}`,
        {
          hint,
        },
      );
    }
    return new AuthError(
      "entra",
      "entra.auth_refused",
      `Entra refused a token for ${who} (${error.errorCode}). ${hint}`,
      {
        hint,
      },
    );
  }

  if (error instanceof MsalAuthError) {
    switch (error.errorCode) {
      case "network_error":
      case "endpoints_resolution_error":
      case "openid_config_error":
        return probeAuthority(identity, error.errorCode);
      case "authority_uri_insecure":
      case "url_parse_error":
      case "empty_url_error":
      case "invalid_authority_metadata":
      case "invalid_cloud_discovery_metadata":
        return new UsageError(
          "entra.invalid_authority",
          `The authority ${identity.authorityHost}/${identity.tenantId} is not usable (${error.errorCode}): --authority-host must be an https URL.`,
        );
      case "invalid_assertion":
      case "invalid_client_credential":
      case "missing_tenant_id_error":
        return new UsageError(
          "entra.invalid_credential",
          `The client credential for ${who} cannot be used (${error.errorCode}). ${credentialHint}`,
        );
      default:
        return new AuthError("entra", "entra.auth_failed", `Getting a token for ${who} failed (${error.errorCode}).`);
    }
  }
  return new AuthError("entra", "entra.auth_failed", `Getting a token for ${who} failed.`);
}

function unknownTenant(identity: TokenIdentity, detail: string): AuthError {
  return new AuthError(
    "entra",
    "entra.unknown_tenant",
    `Entra at ${identity.authorityHost} does not know tenant "${identity.tenantId}" (${detail}). Check --tenant / O365_USERSYNC_TENANT (a tenant GUID or a verified domain) and --authority-host.`,
    { hint: "Check --tenant / O365_USERSYNC_TENANT and --authority-host." },
  );
}

/** One GET of the tenant's OpenID configuration, only to explain why MSAL could not get a token. */
async function probeAuthority(identity: TokenIdentity, msalCode: string): Promise<SyncError> {
  const url = `${identity.authorityHost}/${encodeURIComponent(identity.tenantId)}/v2.0/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    return mapNetworkFailure(error, "the Entra token endpoint", identity.authorityHost, "--authority-host");
  }
  await response.body?.cancel();
  if (response.status === 400 || response.status === 404) return unknownTenant(identity, `HTTP ${response.status}`);
  if (response.ok) {
    // Reachable now: the failure was passing (a reset, a timeout); the run may be retried.
    return new ServiceError(
      "entra",
      "entra.unavailable",
      `Getting a token from ${identity.authorityHost} failed (${msalCode}), although the authority answers now. Run again.`,
      undefined,
      { retryable: true },
    );
  }
  const retryable = response.status >= 500 || response.status === 429;
  return new ServiceError(
    "entra",
    retryable ? "entra.unavailable" : "entra.unexpected_status",
    `Getting a token from ${identity.authorityHost} failed (${msalCode}; its OpenID configuration answers ${response.status}). Check --authority-host.`,
    response.status,
    { retryable },
  );
}
