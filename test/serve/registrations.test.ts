import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { startAzurite } from "../../sim/azurite/start-azurite.js";
import { startServe } from "../../src/serve/start-serve.js";

// What Azure sees of the app: every function in src/functions/ with its bindings, as `serve` lists them from the
// app's own registrations. expected-functions.json is the committed listing: a function added, dropped or rebound
// fails this test until the listing is updated on purpose:
//   npm run build && SERVE_UPDATE_EXPECTED=1 node scripts/run-tests.js serve/registrations && npm run format

const repo = join(__dirname, "..", "..", "..");
const expectedFile = join(repo, "test", "serve", "expected-functions.json");
const MASTER_KEY = "registration-test-master-key";

/** The function names the sources register (`app.http("name"`, `app.timer(`, `app.storageQueue(`, ...). */
function namesInSources(): string[] {
  const dir = join(repo, "src", "functions");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .flatMap((f) => [...readFileSync(join(dir, f), "utf8").matchAll(/\bapp\.\w+\(\s*"([^"]+)"/g)].map((m) => m[1]!))
    .sort();
}

test("GET /admin/functions lists every function in src/functions with the bindings Azure would see", async () => {
  const azurite = await startAzurite();
  const serve = await startServe({
    storage: azurite.connectionString,
    masterKey: MASTER_KEY,
    functionKey: "registration-test-function-key",
    // Only what registration reads; defaults elsewhere (the schedules' defaults included).
    env: { PATH: process.env.PATH },
  });
  try {
    const response = await fetch(`${serve.url}/admin/functions`, { headers: { "x-functions-key": MASTER_KEY } });
    assert.equal(response.status, 200);
    const listed = (await response.json()) as { name: string; bindings: Record<string, unknown>[] }[];
    assert.deepEqual(listed.map((f) => f.name).sort(), namesInSources(), "every function in src/functions is served");
    const actual = [...listed].sort((a, b) => a.name.localeCompare(b.name));
    if (process.env.SERVE_UPDATE_EXPECTED === "1") writeFileSync(expectedFile, `${JSON.stringify(actual, null, 2)}\n`);
    const expected = JSON.parse(readFileSync(expectedFile, "utf8")) as unknown;
    assert.deepEqual(
      actual,
      expected,
      "the registrations changed: if that is intended, update test/serve/expected-functions.json " +
        "(SERVE_UPDATE_EXPECTED=1 node scripts/run-tests.js serve/registrations) and say why in the commit",
    );
  } finally {
    await serve.close();
    await azurite.close();
  }
});
