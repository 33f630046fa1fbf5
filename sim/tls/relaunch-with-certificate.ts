import { spawnSync } from "node:child_process";
import { ensureCertificate } from "./ensure-certificate.js";

/**
 * For an entry point that calls the HTTPS simulators from its own process: Node reads NODE_EXTRA_CA_CERTS only at
 * start-up, so unless it already names the sandbox certificate, make the certificate and run this same command again
 * with it, passing its exit status on. Resolves true when it relaunched (the caller then does nothing more).
 */
export async function relaunchWithCertificate(): Promise<boolean> {
  const { certPath } = await ensureCertificate();
  if (process.env.NODE_EXTRA_CA_CERTS === certPath) return false;
  const child = spawnSync(process.execPath, process.argv.slice(1), {
    stdio: "inherit",
    env: { ...process.env, NODE_EXTRA_CA_CERTS: certPath },
  });
  process.exitCode = child.status ?? 1;
  return true;
}
