import { randomUUID, timingSafeEqual } from "node:crypto";
import type { AccessTokenStore } from "./access-tokens.js";
import type { GraphResponse } from "./graph-response.js";
import { verifyClientAssertion } from "./verify-client-assertion.js";

/** The app registration and tenant the token endpoint accepts. */
export interface TokenEndpointConfig {
  baseUrl: string;
  tenantId: string;
  tenantDomain: string;
  clientId: string;
  clientSecret: string;
  clientCertificatePem: string | undefined;
  tokens: AccessTokenStore;
}

const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const AAD_JSON = { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store, no-cache" };

/**
 * `POST /{tenant}/oauth2/v2.0/token` for the client-credentials grant (contract §6.2, §8 "Auth"). Checks tenant,
 * `client_id`, `grant_type`, a `scope` ending in `/.default`, and a client secret or certificate assertion.
 * Errors use Entra's body `{error, error_description: "AADSTS…", error_codes, timestamp, trace_id, correlation_id,
 * error_uri}`; the secret is never echoed.
 */
export function handleTokenRequest(
  config: TokenEndpointConfig,
  tenant: string,
  contentType: string,
  rawBody: string,
  correlationId: string,
): GraphResponse {
  const fail = (status: number, error: string, aadsts: number, description: string): GraphResponse =>
    aadError(config.baseUrl, status, error, aadsts, description, correlationId);

  if (!isThisTenant(config, tenant)) {
    return fail(400, "invalid_request", 90002, tenantNotFound(tenant));
  }
  if (!contentType.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    return fail(400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.");
  }
  const form = new URLSearchParams(rawBody);
  const grantType = form.get("grant_type");
  const clientId = form.get("client_id");
  const scope = form.get("scope");
  if (!grantType)
    return fail(400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.");
  if (!clientId)
    return fail(400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.");
  if (grantType !== "client_credentials") {
    return fail(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
  }
  if (clientId.toLowerCase() !== config.clientId.toLowerCase()) {
    return fail(
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${config.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }
  if (!scope)
    return fail(400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.");
  if (!scope.trim().endsWith("/.default") || scope.trim().includes(" ")) {
    return fail(
      400,
      "invalid_scope",
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }

  const secret = form.get("client_secret");
  const assertion = form.get("client_assertion");
  if (secret !== null) {
    if (!sameSecret(secret, config.clientSecret)) {
      return fail(
        401,
        "invalid_client",
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${config.clientId}'.`,
      );
    }
  } else if (assertion !== null) {
    if (form.get("client_assertion_type") !== JWT_BEARER) {
      return fail(
        400,
        "invalid_request",
        900144,
        "The request body must contain the following parameter: 'client_assertion_type'.",
      );
    }
    const failure = verifyClientAssertion(assertion, {
      certificatePem: config.clientCertificatePem,
      clientId: config.clientId,
      audience: `${config.baseUrl}/${tenant}/oauth2/v2.0/token`,
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    if (failure) return fail(401, "invalid_client", failure.aadsts, failure.description);
  } else {
    return fail(
      401,
      "invalid_client",
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }

  const { token, expiresIn } = config.tokens.issue();
  return {
    status: 200,
    headers: { ...AAD_JSON },
    body: { token_type: "Bearer", expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token },
    route: "POST /token",
  };
}

/** Whether an authority path segment names the simulated tenant: its id or its domain, case-insensitively. */
export function isThisTenant(config: Pick<TokenEndpointConfig, "tenantId" | "tenantDomain">, tenant: string): boolean {
  const name = tenant.toLowerCase();
  return name === config.tenantId.toLowerCase() || name === config.tenantDomain.toLowerCase();
}

function tenantNotFound(tenant: string): string {
  return `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`;
}

/**
 * `GET /{tenant}/v2.0/.well-known/openid-configuration`: what MSAL reads when the authority is the simulator and
 * `knownAuthorities` names it (toolchain notes §4, case b1), and what resolves a domain to the tenant id. As Entra's,
 * every endpoint and the issuer name the tenant by id, whether it was asked for by id or by domain; the issuer sits
 * on the same origin, so MSAL's issuer check passes. An unknown tenant → 400 `invalid_tenant` (AADSTS90002).
 */
export function openIdConfiguration(
  config: Pick<TokenEndpointConfig, "baseUrl" | "tenantId" | "tenantDomain">,
  tenant: string,
  correlationId: string,
): GraphResponse {
  const { baseUrl } = config;
  if (!isThisTenant(config, tenant)) {
    return {
      ...aadError(baseUrl, 400, "invalid_tenant", 90002, tenantNotFound(tenant), correlationId),
      route: "GET /openid-configuration",
    };
  }
  const root = `${baseUrl}/${config.tenantId}`;
  return {
    status: 200,
    headers: { ...AAD_JSON },
    body: {
      token_endpoint: `${root}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
      jwks_uri: `${root}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: `${root}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${baseUrl}/oidc/userinfo`,
      authorization_endpoint: `${root}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${root}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${root}/oauth2/v2.0/logout`,
      claims_supported: ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid"],
      tenant_region_scope: "NA",
      cloud_instance_name: "localhost",
    },
    route: "GET /openid-configuration",
  };
}

/** `GET /{tenant}/discovery/v2.0/keys`: the simulator's tokens are opaque, so there are no signing keys. */
export function signingKeys(): GraphResponse {
  return { status: 200, headers: { ...AAD_JSON }, body: { keys: [] }, route: "GET /keys" };
}

function aadError(
  baseUrl: string,
  status: number,
  error: string,
  aadsts: number,
  description: string,
  correlationId: string,
): GraphResponse {
  const traceId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, "Z");
  return {
    status,
    headers: { ...AAD_JSON },
    body: {
      error,
      error_description: `AADSTS${aadsts}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [aadsts],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${baseUrl}/error?code=${aadsts}`,
    },
    route: "POST /token",
  };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
