import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { describe, it } from "node:test";
import { generate } from "selfsigned";
import { parseCertificatePem } from "../../src/entra/parse-certificate-pem.js";
import { UsageError } from "../../src/errors/sync-error.js";

async function makePem(): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: "commonName", value: "mi-o365-usersync test" }], { keySize: 2048 });
  return { cert: pems.cert, key: pems.private };
}

describe("parseCertificatePem: a PEM holding the certificate and its key", () => {
  it("gives MSAL the SHA-256 thumbprint (hex), a PKCS#8 key and the certificate as x5c, in either order", async () => {
    const { cert, key } = await makePem();
    const der = new X509Certificate(cert).raw;
    const expected = createHash("sha256").update(der).digest("hex");
    for (const pem of [`${cert}\n${key}`, `${key}\n${cert}`]) {
      const parsed = parseCertificatePem(pem);
      assert.equal(parsed.thumbprintSha256, expected);
      assert.match(parsed.privateKey, /^-----BEGIN PRIVATE KEY-----/);
      assert.match(parsed.x5c, /^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----$/);
    }
  });

  it("no key, no certificate, or a key of another certificate → UsageError without the key in the message", async () => {
    const a = await makePem();
    const b = await makePem();
    assert.throws(() => parseCertificatePem(a.cert), { name: "UsageError", code: "entra.certificate_key_missing" });
    assert.throws(() => parseCertificatePem(a.key), { name: "UsageError", code: "entra.certificate_missing" });
    assert.throws(
      () => parseCertificatePem(`${a.cert}${b.key}`),
      (error: unknown) =>
        error instanceof UsageError &&
        error.code === "entra.certificate_key_mismatch" &&
        !error.message.includes("PRIVATE KEY-----\n"),
    );
  });
});
