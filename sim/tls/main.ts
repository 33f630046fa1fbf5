// Prints the sandbox certificate path (creating the certificate first if needed), and nothing else, so scripts can
// write NODE_EXTRA_CA_CERTS=$(node dist/sim/tls/main.js).
import { ensureCertificate } from "./ensure-certificate.js";

ensureCertificate().then(
  (certificate) => {
    process.stdout.write(`${certificate.certPath}\n`);
  },
  (error: unknown) => {
    process.stderr.write(`could not create the sandbox certificate: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
