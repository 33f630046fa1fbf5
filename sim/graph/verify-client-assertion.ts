import { constants, createHash, verify, X509Certificate } from "node:crypto";

/** Why a client assertion was refused, with the AADSTS code Entra uses for it. */
export interface AssertionFailure {
  aadsts: number;
  description: string;
}

export interface AssertionExpectations {
  /** The registered public certificate (PEM); absent means no certificate credential is registered. */
  certificatePem: string | undefined;
  clientId: string;
  /** The token endpoint URL the assertion must name in `aud`. */
  audience: string;
  nowSeconds: number;
}

/**
 * Verifies an MSAL certificate-credential assertion (contract §6.2): a PS256 (or RS256) JWT signed with the
 * registered certificate's key, `aud` = the token URL, `iss` = `sub` = client id, inside `nbf`..`exp`.
 * Returns `undefined` when valid.
 */
export function verifyClientAssertion(
  assertion: string,
  expected: AssertionExpectations,
): AssertionFailure | undefined {
  const parts = assertion.split(".");
  const [headerPart, payloadPart, signaturePart] = parts;
  if (parts.length !== 3 || !headerPart || !payloadPart || !signaturePart) {
    return { aadsts: 50027, description: "JWT token is invalid or malformed." };
  }
  const header = decodeJson(headerPart);
  const claims = decodeJson(payloadPart);
  if (!header || !claims) return { aadsts: 50027, description: "JWT token is invalid or malformed." };
  if (!expected.certificatePem) {
    return {
      aadsts: 700027,
      description: "Client assertion contains an invalid signature. [Reason - The key was not found.]",
    };
  }
  const certificate = new X509Certificate(expected.certificatePem);
  const sha256Thumbprint = createHash("sha256").update(certificate.raw).digest("base64url");
  const sha1Thumbprint = createHash("sha1").update(certificate.raw).digest("base64url");
  const keyId = header["x5t#S256"] ?? header.x5t;
  if (keyId !== undefined && keyId !== sha256Thumbprint && keyId !== sha1Thumbprint) {
    return {
      aadsts: 700027,
      description: "Client assertion contains an invalid signature. [Reason - The key was not found.]",
    };
  }
  const algorithm = header.alg;
  if (algorithm !== "PS256" && algorithm !== "RS256") {
    return {
      aadsts: 700027,
      description: `Client assertion contains an invalid signature. [Reason - Unsupported algorithm ${String(algorithm)}.]`,
    };
  }
  const signedOk = verify(
    "sha256",
    Buffer.from(`${headerPart}.${payloadPart}`),
    algorithm === "PS256"
      ? {
          key: certificate.publicKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
        }
      : certificate.publicKey,
    Buffer.from(signaturePart, "base64url"),
  );
  if (!signedOk) return { aadsts: 700027, description: "Client assertion failed signature validation." };
  if (claims.iss !== expected.clientId || claims.sub !== expected.clientId) {
    return {
      aadsts: 700021,
      description: "Client assertion application identifier doesn't match 'client_id' parameter.",
    };
  }
  if (typeof claims.aud !== "string" || stripQuery(claims.aud) !== stripQuery(expected.audience)) {
    return { aadsts: 700212, description: `Client assertion audience claim does not match Realm issuer.` };
  }
  const skew = 300;
  const exp = typeof claims.exp === "number" ? claims.exp : 0;
  const nbf = typeof claims.nbf === "number" ? claims.nbf : 0;
  if (exp + skew < expected.nowSeconds || nbf - skew > expected.nowSeconds) {
    return { aadsts: 700024, description: "Client assertion is not within its valid time range." };
  }
  return undefined;
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function stripQuery(url: string): string {
  return url.split("?")[0]?.toLowerCase().replace(/\/+$/, "") ?? "";
}
