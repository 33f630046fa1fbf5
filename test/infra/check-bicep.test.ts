import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";

// scripts/check-bicep.js, run as CI runs it: the real infra passes, and each kind of mistake fails with exit 1 and a
// file:line:col message. Runs from test/infra (tsx) and from dist/test/infra (compiled) alike.

function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "scripts", "check-bicep.js"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("check-bicep.test: cannot find scripts/check-bicep.js above the test");
    dir = parent;
  }
  return dir;
}

const root = repoRoot();
const script = join(root, "scripts", "check-bicep.js");
const scratch = mkdtempSync(join(tmpdir(), "check-bicep-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function check(args: string[], cwd = root): { status: number | null; lines: string[] } {
  const run = spawnSync(process.execPath, [script, ...args], { cwd, encoding: "utf8" });
  return { status: run.status, lines: `${run.stdout}${run.stderr}`.split("\n").filter((l) => l !== "") };
}

function write(relative: string, text: string): string {
  const file = join(scratch, relative);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

test("the real infra/ passes: every .bicep file OK, exit 0", () => {
  const { status, lines } = check([]);
  assert.equal(status, 0, lines.join("\n"));
  for (const file of ["infra/main.bicep", "infra/modules/functionapp.bicep", "infra/modules/keyvault.bicep"]) {
    assert.ok(lines.includes(`${file}: OK`), `${file} not reported OK:\n${lines.join("\n")}`);
  }
  assert.ok(
    lines.every((l) => l.endsWith(": OK")),
    lines.join("\n"),
  );
});

test("a syntax error fails with exit 1 and its line number", () => {
  const file = write("broken/broken.bicep", "param ok string\n\nvar settings = {\n  a: 1\n  b: [\n}\n");
  const { status, lines } = check([file], scratch);
  assert.equal(status, 1);
  assert.ok(
    lines.some((l) => /^broken[/\\]broken\.bicep:\d+:\d+: syntax error/.test(l)),
    lines.join("\n"),
  );
  const line = Number(/broken\.bicep:(\d+):/.exec(lines.join("\n"))?.[1]);
  assert.ok(line >= 3 && line <= 6, `line ${line} is not where the error is`);
});

test("a missing module file, an unknown module param and a secret-looking literal each fail", () => {
  write("mods/modules/real.bicep", "param needed string\noutput name string = needed\n");
  const file = write(
    "mods/main.bicep",
    [
      "module real 'modules/real.bicep' = {",
      "  name: 'real'",
      "  params: {",
      "    needed: 'x'",
      "    typo: 'y'",
      "  }",
      "}",
      "module gone 'modules/gone.bicep' = {",
      "  name: 'gone'",
      "}",
      "var conn = 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0'",
      "output n string = real.outputs.nme",
      "",
    ].join("\n"),
  );
  write("mods/main.parameters.example.json", '{ "parameters": {} }\n');
  const { status, lines } = check([file], scratch);
  const text = lines.join("\n");
  assert.equal(status, 1);
  assert.match(text, /mods[/\\]main\.bicep:5:5: module 'modules\/real\.bicep' has no param 'typo'/);
  assert.match(text, /mods[/\\]main\.bicep:8:13: module path 'modules\/gone\.bicep' does not exist/);
  assert.match(text, /mods[/\\]main\.bicep:11:12: string literal looks like a storage account key/);
  assert.match(text, /mods[/\\]main\.bicep:12:19: module 'modules\/real\.bicep' has no output 'nme'/);
});

test("main.bicep's params without default must be in the example parameters file; secure ones must not", () => {
  const file = write(
    "params/main.bicep",
    "param miUrl string\n@secure()\nparam key string = ''\noutput url string = miUrl\n",
  );
  write("params/main.parameters.example.json", '{\n  "parameters": {\n    "key": { "value": "abc" }\n  }\n}\n');
  const { status, lines } = check([file], scratch);
  const text = lines.join("\n");
  assert.equal(status, 1);
  assert.match(text, /main\.parameters\.example\.json:2:3: param 'miUrl' of .*main\.bicep has no default/);
  assert.match(text, /main\.parameters\.example\.json:3:5: @secure\(\) param 'key' must not have a value/);
});
