import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { generate } from "selfsigned";

/** Where the sandbox certificate lives and what it holds (PEM text). */
export interface SandboxCertificate {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

const CERT_FILE = "localhost.crt";
const KEY_FILE = "localhost.key";
const TEN_YEARS_MS = 10 * 365 * 24 * 60 * 60 * 1000;

/**
 * Ensures a self-signed certificate for `CN=localhost` (SAN `DNS:localhost`, `IP:127.0.0.1`) exists in `dir` and
 * returns it. The first call creates it; later calls reuse it while it is valid for at least another day.
 *
 * The certificate is its own trust anchor: it is flagged `CA:true` with `keyCertSign`, so a Node process started
 * with `NODE_EXTRA_CA_CERTS=<certPath>` trusts HTTPS servers presenting it (contract §8 "Transport").
 * Default `dir` is `<repo>/.sandbox/tls/`.
 */
export async function ensureCertificate(dir: string = defaultCertificateDir()): Promise<SandboxCertificate> {
  const certPath = join(dir, CERT_FILE);
  const keyPath = join(dir, KEY_FILE);
  const existing = readIfUsable(certPath, keyPath);
  if (existing) return existing;

  const notBeforeDate = new Date(Date.now() - 60 * 60 * 1000);
  const pems = await generate([{ name: "commonName", value: "localhost" }], {
    keyType: "rsa",
    keySize: 2048,
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + TEN_YEARS_MS),
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
        ],
      },
    ],
  });
  mkdirSync(dir, { recursive: true });
  // Write to temp names and rename, so a concurrent reader never sees a half-written pair.
  const suffix = `.${process.pid}.tmp`;
  writeFileSync(keyPath + suffix, pems.private, { mode: 0o600 });
  writeFileSync(certPath + suffix, pems.cert);
  renameSync(keyPath + suffix, keyPath);
  renameSync(certPath + suffix, certPath);
  return { certPath, keyPath, cert: pems.cert, key: pems.private };
}

/** `<repo>/.sandbox/tls`, where `<repo>` is the nearest ancestor of this module holding a package.json. */
export function defaultCertificateDir(): string {
  return join(findRepoRoot(__dirname), ".sandbox", "tls");
}

function findRepoRoot(start: string): string {
  let current = resolve(start);
  for (;;) {
    if (existsSync(join(current, "package.json"))) return current;
    const parent = dirname(current);
    if (parent === current) throw new Error(`no package.json above ${start}`);
    current = parent;
  }
}

function readIfUsable(certPath: string, keyPath: string): SandboxCertificate | undefined {
  if (!existsSync(certPath) || !existsSync(keyPath)) return undefined;
  try {
    const cert = readFileSync(certPath, "utf8");
    const key = readFileSync(keyPath, "utf8");
    const x509 = new X509Certificate(cert);
    const validTo = Date.parse(x509.validTo);
    if (!x509.ca || !(validTo > Date.now() + 24 * 60 * 60 * 1000)) return undefined;
    return { certPath, keyPath, cert, key };
  } catch {
    return undefined;
  }
}
