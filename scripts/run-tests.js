#!/usr/bin/env node
// Runs every compiled test file with node's own test runner. Node 20 takes no glob and Node 22 takes no directory
// for --test, so the files are listed here. Pass substrings to run only the files whose path contains one of them.
//
// The Graph simulator serves HTTPS with a self-signed certificate; Node reads NODE_EXTRA_CA_CERTS only at start-up,
// so the certificate is made here, before the test processes start, and handed to them through the environment.

const { spawnSync } = require("node:child_process");
const { readdirSync, statSync } = require("node:fs");
const { join } = require("node:path");

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return name.endsWith(".test.js") ? [path] : [];
  });
}

async function main() {
  const root = join(__dirname, "..");
  const { ensureCertificate } = require(join(root, "dist", "sim", "tls", "ensure-certificate.js"));
  const { certPath } = await ensureCertificate();
  const only = process.argv.slice(2);
  const files = find(join(root, "dist", "test"))
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
    .sort();
  if (files.length === 0) {
    console.error("run-tests: no compiled test files found under dist/test (did the build run?)");
    process.exit(1);
  }
  const result = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...files], {
    stdio: "inherit",
    env: { ...process.env, NODE_EXTRA_CA_CERTS: certPath },
  });
  process.exit(result.status ?? 1);
}

main().catch((error) => {
  console.error(`run-tests: ${error?.stack ? error.stack : error}`);
  process.exit(1);
});
