// Standalone simulator for the sandbox: starts it with the demo tenant and prints one JSON line
// {url, tenantId, clientId, clientSecret, certPath, demo} on stdout, then runs until SIGINT/SIGTERM.
// The secret is the simulator's own, printed on purpose: the sandbox needs it.
import { buildDemoTenant } from "./demo-tenant.js";
import { startGraphSim } from "./start-graph-sim.js";

function parsePort(argv: string[]): number {
  const index = argv.indexOf("--port");
  const inline = argv.find((arg) => arg.startsWith("--port="));
  const raw = inline ? inline.slice("--port=".length) : index >= 0 ? argv[index + 1] : "0";
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${String(raw)}`);
  return port;
}

async function main(): Promise<void> {
  const sim = await startGraphSim({ port: parsePort(process.argv.slice(2)) });
  const demo = buildDemoTenant(sim.directory);
  const { url, tenantId, clientId, clientSecret, certPath } = sim;
  process.stdout.write(`${JSON.stringify({ url, tenantId, clientId, clientSecret, certPath, demo })}\n`);
  const stop = (): void => {
    sim.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`graph-sim: ${String(error)}\n`);
  process.exit(1);
});
