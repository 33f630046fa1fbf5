// `npm run sandbox`: the product's main job on its built-in sandbox. Starts the Graph and MI simulators with a demo
// tenant, runs the real `mi-o365-usersync provision` against them, changes the directory, runs again, and prints the
// command lines it ran and the requests each run cost. `-- --keep-running` leaves the simulators up for replaying.

import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { buildDemoTenant } from "../graph/demo-tenant.js";
import { relaunchWithCertificate } from "../tls/relaunch-with-certificate.js";
import { type CliRun, cliScript, type Lab, startLab } from "./lab.js";
import { runLiveDemo } from "./live-demo.js";

const keepRunning = process.argv.includes("--keep-running");
const out = (line = ""): void => {
  process.stdout.write(`${line}\n`);
};

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

async function step(lab: Lab, title: string, args: string[]): Promise<CliRun> {
  out(`\n=== ${title}`);
  out(`$ mi-o365-usersync ${args.map(shellQuote).join(" ")}`);
  lab.graph.requests.reset();
  lab.mi.requests.reset();
  const started = Date.now();
  const run = await lab.runCli(args);
  const ms = Date.now() - started;
  for (const line of run.stdout.trimEnd().split("\n")) out(`  ${line}`);
  if (run.stderr.trim()) for (const line of run.stderr.trimEnd().split("\n")) out(`  (stderr) ${line}`);
  out(
    `  -> exit ${run.status} in ${ms} ms; requests: Graph ${lab.graph.requests.total} ` +
      `(${lab.graph.requests.batchedRequests} inside $batch), MI reads ${lab.mi.requests.reads}, ` +
      `MI writes ${lab.mi.requests.writes}, MI token requests ${lab.mi.requests.tokenRequests}`,
  );
  return run;
}

async function main(): Promise<void> {
  const lab = await startLab();
  try {
    await demo(lab);
  } finally {
    await lab.close();
  }
}

async function demo(lab: Lab): Promise<void> {
  const tenant = buildDemoTenant(lab.graph.directory);
  const root = join(__dirname, "..", "..", "..");
  const envFile = join(root, ".sandbox", "env");
  mkdirSync(dirname(envFile), { recursive: true });
  writeFileSync(
    envFile,
    `${Object.entries(lab.env)
      .map(([k, v]) => `${k}=${shellQuote(v)}`)
      .join("\n")}\n`,
  );
  chmodSync(envFile, 0o600);

  out("mi-o365-usersync sandbox");
  out(`  Graph simulator (https): ${lab.graph.url}   tenant ${lab.graph.tenantId}`);
  out(`  MI simulator (http):     ${lab.mi.url}`);
  out(`  demo tenant: ${tenant.summary}`);
  out(`  the commands below run ${relative(process.cwd(), cliScript()) || cliScript()} with the environment in`);
  out(
    `  ${relative(process.cwd(), envFile)} (credentials for the simulators; replay with --keep-running, see the end)`,
  );

  const args = ["provision", "--auto-create", "all", "--process-child-groups", "--filter", tenant.prefix];
  const first = await step(lab, "1. First sync: empty MI, every 'MI ' group and its users created", args);
  if (first.status !== 0) throw new Error(`first sync exited ${first.status}`);

  out("\n=== 2. Changes in Entra");
  for (const line of tenant.applyChanges()) out(`  ${line}`);

  const second = await step(lab, "3. Second sync: only the difference is written", [...args, "--full-summary"]);
  if (second.status !== 0) throw new Error(`second sync exited ${second.status}`);
  const third = await step(lab, "4. Third sync: nothing changed, nothing written", args);
  if (third.status !== 0) throw new Error(`third sync exited ${third.status}`);

  out("\n=== 5. The live path: Graph change notifications -> webhook -> queue -> worker -> MI");
  const live = await runLiveDemo(out);
  // Test seam for the security test: the secrets this run configured, so that it can scan the output for them.
  const secretsFile = process.env.SANDBOX_SECRETS_FILE;
  if (secretsFile) {
    const configured = [lab.graph.clientSecret, lab.env.MI_APPLICATION_KEY ?? "", ...live.secrets];
    writeFileSync(secretsFile, JSON.stringify(configured), { mode: 0o600 });
  }

  if (keepRunning) {
    out("\nSimulators keep running (Ctrl-C to stop). Replay in another shell from the repo root:");
    out(`  set -a; . ${relative(process.cwd(), envFile)}; set +a`);
    out(`  node bin/mi-o365-usersync.js ${args.map(shellQuote).join(" ")} --dry-run`);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
  }
}

relaunchWithCertificate()
  .then((relaunched) => (relaunched ? undefined : main()))
  .catch((error: unknown) => {
    process.stderr.write(`sandbox failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
