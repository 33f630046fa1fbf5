#!/usr/bin/env node
// The real Bicep compiler over infra/. `dotnet restore infra/bicep-cli` brings it from NuGet
// (Azure.Bicep.CommandLine.linux-x64, the version pinned in infra/bicep-cli/bicep-cli.csproj).
//
//   node scripts/bicep.js check   lint every .bicep file (fails on any error or warning), compile infra/main.bicep and
//                                 compare it with infra/azuredeploy.json, validate every infra/snapshots/*.bicepparam
//                                 against its committed .snapshot.json (the compiler's evaluation of the template)
//   node scripts/bicep.js write   rewrite infra/azuredeploy.json and the snapshots from the compiler
//
// Exit 0 when all is well, 1 on any diagnostic or difference, 2 when the compiler is not there (with the reason).
// test/infra/bicep-compile.test.ts runs the same check, and .ci/run runs it before the tests.

const { spawnSync } = require("node:child_process");
const { existsSync, readdirSync, readFileSync, writeFileSync } = require("node:fs");
const { homedir } = require("node:os");
const { dirname, join, relative } = require("node:path");
const { stripVTControlCharacters } = require("node:util");

const INFRA = join(__dirname, "..", "infra");
const PROJECT = join(INFRA, "bicep-cli", "bicep-cli.csproj");

/** The deployment every snapshot is evaluated for: fixed, so that a snapshot changes only when the template does. */
const SNAPSHOT_SCOPE = [
  ["--subscription-id", "00000000-0000-0000-0000-00000000aaaa"],
  ["--resource-group", "rg-mi-usersync"],
  ["--location", "westeurope"],
  ["--tenant-id", "00000000-0000-0000-0000-00000000bbbb"],
  ["--deployment-name", "main"],
].flat();

/** The Bicep CLI version infra/bicep-cli restores. */
function pinnedVersion() {
  const match = /Include="Azure\.Bicep\.CommandLine\.linux-x64"\s+Version="\[([^\]]+)\]"/.exec(
    readFileSync(PROJECT, "utf8"),
  );
  if (!match) throw new Error(`bicep: no pinned Azure.Bicep.CommandLine.linux-x64 version in ${PROJECT}`);
  return match[1];
}

function hasDotnet() {
  return spawnSync("dotnet", ["--version"], { encoding: "utf8" }).status === 0;
}

/**
 * Where the compiler is: `{ path }`, or `{ missing }` with the reason it is not there. BICEP_PATH overrides the NuGet
 * location (for a machine that has the CLI some other way).
 */
function locateBicep() {
  if (process.env.BICEP_PATH) {
    return existsSync(process.env.BICEP_PATH)
      ? { path: process.env.BICEP_PATH }
      : { missing: `BICEP_PATH=${process.env.BICEP_PATH} does not exist` };
  }
  if (process.platform !== "linux" || process.arch !== "x64") {
    return { missing: `infra/bicep-cli restores the linux-x64 CLI; this is ${process.platform}-${process.arch}` };
  }
  const version = pinnedVersion();
  const packages = process.env.NUGET_PACKAGES || join(homedir(), ".nuget", "packages");
  const path = join(packages, "azure.bicep.commandline.linux-x64", version, "tools", "bicep");
  if (existsSync(path)) return { path };
  return {
    missing: hasDotnet()
      ? `Bicep CLI ${version} is not restored (${path} is missing): run \`dotnet restore infra/bicep-cli\``
      : `the .NET SDK is not installed (no \`dotnet\` on PATH), so the Bicep CLI ${version} cannot be restored from NuGet`,
  };
}

const DIAGNOSTIC = /^(.+)\((\d+),(\d+)\) : (Error|Warning|Info) ([\w-]+): (.*)$/;

function run(bicep, infra, args) {
  const result = spawnSync(bicep, args, { cwd: infra, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: stripVTControlCharacters(result.stderr) };
}

/** Diagnostic lines (`file(line,col) : Level rule: message`), deduplicated, paths relative to infra/'s parent. */
function diagnostics(text, infra) {
  const found = new Set();
  for (const line of text.split("\n")) {
    const match = DIAGNOSTIC.exec(line.trim());
    if (match)
      found.add(
        `${relative(dirname(infra), match[1])}(${match[2]},${match[3]}) : ${match[4]} ${match[5]}: ${match[6]}`,
      );
  }
  return [...found];
}

function bicepFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "bicep-cli" ? [] : bicepFiles(path);
    return entry.name.endsWith(".bicep") ? [path] : [];
  });
}

function snapshotParams(infra) {
  const dir = join(infra, "snapshots");
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".bicepparam"))
        .sort()
        .map((f) => join(dir, f))
    : [];
}

/** The template exactly as the compiler writes it. */
function compile(bicep, infra) {
  const build = run(bicep, infra, ["build", "main.bicep", "--stdout"]);
  return { ...build, diagnostics: diagnostics(build.stderr, infra) };
}

function firstDifference(expected, actual) {
  const a = expected.split("\n");
  const b = actual.split("\n");
  const line = a.findIndex((text, i) => text !== b[i]);
  const at = line === -1 ? Math.min(a.length, b.length) : line;
  return `line ${at + 1}: committed ${JSON.stringify(a[at] ?? "<end>")}, compiler ${JSON.stringify(b[at] ?? "<end>")}`;
}

/**
 * Everything CI requires of infra/: `{ problems, summary }`. No problem means zero lint errors and warnings, a
 * committed template identical to the compiler's output, and snapshots identical to the compiler's evaluation.
 */
function checkInfra(bicep, infra = INFRA) {
  const problems = [];
  const files = bicepFiles(infra);
  const template = join(infra, "azuredeploy.json");
  const lint = run(bicep, infra, ["lint", "--pattern", "**/*.bicep"]);
  const lintDiagnostics = diagnostics(`${lint.stdout}\n${lint.stderr}`, infra);
  if (lint.status !== 0 && lintDiagnostics.length === 0)
    problems.push(`bicep lint exited ${lint.status}: ${lint.stderr}`);
  problems.push(...lintDiagnostics);

  const build = compile(bicep, infra);
  problems.push(...build.diagnostics.filter((d) => !lintDiagnostics.includes(d)));
  if (build.status !== 0) {
    problems.push(`bicep build exited ${build.status}: ${build.stderr}`);
  } else {
    const committed = existsSync(template) ? readFileSync(template, "utf8") : "";
    if (committed !== build.stdout) {
      problems.push(
        `infra/azuredeploy.json is not what infra/main.bicep compiles to (run \`node scripts/bicep.js write\`): ${firstDifference(committed, build.stdout)}`,
      );
    }
  }

  const params = snapshotParams(infra);
  for (const file of params) {
    const snapshot = run(bicep, infra, ["snapshot", relative(infra, file), "--mode", "validate", ...SNAPSHOT_SCOPE]);
    if (snapshot.status !== 0) {
      problems.push(
        `${relative(dirname(infra), file)}: the snapshot differs from the compiler's evaluation (run \`node scripts/bicep.js write\`):\n${stripVTControlCharacters(`${snapshot.stdout}${snapshot.stderr}`).trim()}`,
      );
    }
  }
  const errors = problems.filter((p) => / : Error /.test(p)).length;
  const warnings = problems.filter((p) => / : (Warning|Info) /.test(p)).length;
  const summary = `${files.length} .bicep files linted and main.bicep compiled: ${errors} errors, ${warnings} warnings; ${params.length} snapshots validated`;
  return { problems, summary };
}

/** Rewrites infra/azuredeploy.json and every snapshot from the compiler. */
function writeInfra(bicep, infra = INFRA) {
  const build = compile(bicep, infra);
  if (build.status !== 0) throw new Error(`bicep build failed:\n${build.stderr}`);
  writeFileSync(join(infra, "azuredeploy.json"), build.stdout);
  for (const file of snapshotParams(infra)) {
    const snapshot = run(bicep, infra, ["snapshot", relative(infra, file), "--mode", "overwrite", ...SNAPSHOT_SCOPE]);
    if (snapshot.status !== 0) throw new Error(`bicep snapshot ${file} failed:\n${snapshot.stderr}`);
  }
  return build.diagnostics;
}

function main() {
  const command = process.argv[2];
  if (command !== "check" && command !== "write") {
    console.error("usage: node scripts/bicep.js check|write");
    process.exit(64);
  }
  const located = locateBicep();
  if (!located.path) {
    console.error(`bicep: ${located.missing}`);
    process.exit(2);
  }
  console.log(`bicep: ${run(located.path, INFRA, ["--version"]).stdout.trim()}`);
  if (command === "write") {
    for (const line of writeInfra(located.path)) console.log(line);
    console.log("bicep: wrote infra/azuredeploy.json and the snapshots");
  }
  const { problems, summary } = checkInfra(located.path);
  for (const problem of problems) console.error(problem);
  console.log(`bicep: ${summary}`);
  process.exit(problems.length === 0 ? 0 : 1);
}

if (require.main === module) main();

module.exports = { locateBicep, checkInfra };
