import { createPrivateKey, X509Certificate } from "node:crypto";
import { UsageError } from "../errors/sync-error.js";

/** What MSAL's `clientCertificate` needs, read from one PEM holding the certificate and its private key. */
export interface CertificateCredential {
  /** Hex SHA-256 thumbprint of the (first) certificate; MSAL puts it in the assertion's `x5t#S256`. */
  thumbprintSha256: string;
  /** The private key as unencrypted PKCS#8 PEM. */
  privateKey: string;
  /** Every certificate of the PEM, leaf first, as PEM; MSAL sends them as `x5c` (subject name/issuer auth). */
  x5c: string;
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const KEY_BLOCK = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/;

/**
 * Parses a PEM bundle (certificate chain and private key, in any order). Throws UsageError naming what is missing or
 * wrong; the message never quotes the key.
 */
export function parseCertificatePem(pem: string): CertificateCredential {
  const certificates = pem.match(CERTIFICATE_BLOCK) ?? [];
  const first = certificates[0];
  if (first === undefined) {
    throw new UsageError(
      "entra.certificate_missing",
      "The client certificate file holds no certificate (-----BEGIN CERTIFICATE-----). --client-certificate takes one PEM file with the certificate and its private key.",
    );
  }
  const keyBlock = KEY_BLOCK.exec(pem);
  if (keyBlock === null) {
    throw new UsageError(
      "entra.certificate_key_missing",
      "The client certificate file holds no private key (-----BEGIN PRIVATE KEY-----). --client-certificate takes one PEM file with the certificate and its private key.",
    );
  }
  if (keyBlock[1] === "ENCRYPTED PRIVATE KEY") {
    throw new UsageError(
      "entra.certificate_key_encrypted",
      "The private key in the client certificate file is encrypted; give an unencrypted key (for example: openssl pkcs8 -topk8 -nocrypt).",
    );
  }
  let certificate: X509Certificate;
  let privateKey: string;
  try {
    certificate = new X509Certificate(first);
  } catch (error) {
    throw new UsageError(
      "entra.certificate_invalid",
      "The certificate in the client certificate file cannot be read.",
      {
        cause: error,
      },
    );
  }
  try {
    const key = createPrivateKey(keyBlock[0]);
    if (!certificate.checkPrivateKey(key)) {
      throw new UsageError(
        "entra.certificate_key_mismatch",
        "The private key in the client certificate file does not belong to its (first) certificate.",
      );
    }
    privateKey = key.export({ type: "pkcs8", format: "pem" }).toString();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      "entra.certificate_key_invalid",
      "The private key in the client certificate file cannot be read.",
    );
  }
  return {
    thumbprintSha256: certificate.fingerprint256.replaceAll(":", "").toLowerCase(),
    privateKey,
    x5c: certificates.join("\n"),
  };
}
