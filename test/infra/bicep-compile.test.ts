import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { repoRoot } from "./repo-root.js";

// The real Bicep compiler (scripts/bicep.js): every .bicep file lints clean, infra/azuredeploy.json is exactly what
// main.bicep compiles to, and every infra/snapshots/*.snapshot.json is exactly the compiler's evaluation of it.
// Without the compiler (no .NET SDK, or infra/bicep-cli not restored) the test is skipped and says why, unless
// MI_SYNC_REQUIRE_BICEP=1, which .ci/run sets: there a missing compiler fails the run.

interface Located {
  path?: string;
  missing?: string;
}
interface BicepScript {
  locateBicep(): Located;
  checkInfra(bicep: string, infra?: string): { problems: string[]; summary: string };
}

const root = repoRoot();
const bicep = require(join(root, "scripts", "bicep.js")) as BicepScript;
const located = bicep.locateBicep();
const required = process.env.MI_SYNC_REQUIRE_BICEP === "1";

/** The compiler's path, or undefined after marking the test skipped (or failing it where CI requires the compiler). */
function compiler(t: { skip(message: string): void }): string | undefined {
  if (located.path) return located.path;
  assert.ok(!required, `MI_SYNC_REQUIRE_BICEP=1 (set by .ci/run), but ${located.missing}`);
  t.skip(`no Bicep compiler: ${located.missing}`);
  return undefined;
}

const scratch = mkdtempSync(join(tmpdir(), "bicep-compile-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

test("infra/: zero lint errors and warnings; azuredeploy.json and the snapshots are exactly what Bicep produces", (t) => {
  const path = compiler(t);
  if (!path) return;
  const { problems, summary } = bicep.checkInfra(path);
  t.diagnostic(summary);
  assert.deepEqual(problems, [], problems.join("\n"));
});

test("the check fails on a stale azuredeploy.json, a lint warning and a stale snapshot", (t) => {
  const path = compiler(t);
  if (!path) return;
  const infra = join(scratch, "infra");
  cpSync(join(root, "infra"), infra, { recursive: true });
  const template = join(infra, "azuredeploy.json");
  const schedule = '"defaultValue": "0 15 * * * *"';
  assert.ok(readFileSync(template, "utf8").includes(schedule), "the subscriptions schedule's default moved");
  writeFileSync(template, readFileSync(template, "utf8").replace(schedule, '"defaultValue": "0 30 * * * *"'));
  writeFileSync(join(infra, "modules", "unused.bicep"), "param unused string\n");

  const { problems } = bicep.checkInfra(path, infra);
  const text = problems.join("\n");
  assert.match(text, /infra\/azuredeploy\.json is not what infra\/main\.bicep compiles to/);
  assert.match(text, /infra\/modules\/unused\.bicep\(1,7\) : Warning no-unused-params/);
  // The snapshots are evaluated from the committed (here: altered) template, so they no longer match either.
  assert.match(text, /infra\/snapshots\/first-deployment\.bicepparam: the snapshot differs/);
});
