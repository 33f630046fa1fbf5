import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

// The claims of docs/security.md that are not already proven by the webhook tests (test/functions) and the CLI's
// bad-input tests (test/cli/bad-input.test.ts).

const root = join(__dirname, "..", "..", "..");

test("security: every HTTP function requires a function key (authLevel function)", () => {
  // The package registers nothing outside the host, so capture what each module asks for.
  const functions = require("@azure/functions") as {
    app: { http: (name: string, options: { authLevel?: string }) => void };
  };
  const original = functions.app.http;
  const registered: { name: string; authLevel: string | undefined }[] = [];
  functions.app.http = (name, options) => {
    registered.push({ name, authLevel: options.authLevel });
  };
  try {
    for (const file of ["graph-notifications", "graph-lifecycle", "status"]) {
      const path = require.resolve(join(root, "dist", "src", "functions", `${file}.js`));
      delete require.cache[path];
      require(path);
    }
  } finally {
    functions.app.http = original;
  }
  assert.ok(registered.length >= 3, registered.map((r) => r.name).join(", "));
  for (const r of registered) assert.equal(r.authLevel, "function", `${r.name} must not be anonymous`);
});

test("security: a full sandbox run prints none of the secrets it configured", { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "mi-secrets-"));
  const secretsFile = join(dir, "secrets.json");
  const output = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, "dist", "sim", "sandbox", "main.js")], {
      env: { ...process.env, SANDBOX_SECRETS_FILE: secretsFile },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    child.stdout.on("data", (c: Buffer) => {
      text += c.toString("utf8");
    });
    child.stderr.on("data", (c: Buffer) => {
      text += c.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, text }));
  });
  assert.equal(output.code, 0, output.text.slice(-2000));
  const secrets = JSON.parse(readFileSync(secretsFile, "utf8")) as string[];
  assert.ok(secrets.length >= 5, `secrets scanned: ${secrets.length}`);
  for (const secret of secrets) {
    assert.ok(!output.text.includes(secret), `a configured secret (${secret.length} characters) was printed`);
  }
  assert.match(output.text, /latency from the change in Entra to the change in MI/);
});
