import { ServiceError } from "../errors/sync-error.js";

/** Error codes (Node, undici, OpenSSL) meaning the TLS handshake failed: usually an untrusted certificate. */
const TLS_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "EPROTO",
]);

/** Finds the first `code` in an error's cause chain (fetch wraps the socket error as `cause`). */
export function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== null && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return code;
    const nested = (current as { errors?: unknown }).errors;
    if (Array.isArray(nested) && nested.length > 0) {
      const inner = networkErrorCode(nested[0]);
      if (inner !== undefined) return inner;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isTlsFailure(code: string | undefined): boolean {
  return code !== undefined && (TLS_CODES.has(code) || code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_"));
}

/**
 * Turns a failure to get any HTTP answer (refused, unknown host, reset, TLS) into `ServiceError("entra",
 * "entra.unreachable")`. `service` names what was called ("Microsoft Graph", "the Entra token endpoint"), `origin`
 * where; the hint names the setting to check.
 */
export function mapNetworkFailure(error: unknown, service: string, origin: string, setting: string): ServiceError {
  const code = networkErrorCode(error);
  if (isTlsFailure(code)) {
    return new ServiceError(
      "entra",
      "entra.unreachable",
      `The TLS connection to ${service} at ${origin} failed (${code}): its certificate is not trusted. If it comes from a private CA, a TLS-inspecting proxy or a local test double, point NODE_EXTRA_CA_CERTS at that CA certificate (PEM) before starting node.`,
      undefined,
      {
        cause: error,
        retryable: false,
        hint: "Set NODE_EXTRA_CA_CERTS to the PEM file of the CA that signed the endpoint's certificate.",
      },
    );
  }
  return new ServiceError(
    "entra",
    "entra.unreachable",
    `Cannot reach ${service} at ${origin} (${code ?? describeCause(error)}). Check ${setting}, the network and --proxy / HTTPS_PROXY.`,
    undefined,
    { cause: error, retryable: true, hint: `Check ${setting}, DNS, firewall and proxy settings.` },
  );
}

/** The innermost message of the cause chain (`fetch failed` says nothing; its cause says why). */
function describeCause(error: unknown): string {
  let message = "no response";
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    if (current.message !== "") message = current.message;
    current = current.cause;
  }
  return message;
}
