/**
 * Runs the MI simulator standalone: `node --import tsx sim/mi/main.ts [--port N]` (or the compiled
 * `dist/sim/mi/main.js`). Prints one JSON line `{url, applicationId, applicationKey, adminUsername}` on stdout and runs
 * until SIGINT or SIGTERM.
 */
import { defaultSimApplication, startMiSim } from "./index.js";

function portFromArgs(args: string[]): number {
  const index = args.findIndex((arg) => arg === "--port" || arg.startsWith("--port="));
  if (index === -1) return 0;
  const arg = args[index]!;
  const raw = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args[index + 1];
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`mi-sim: --port needs a number from 0 to 65535, got ${String(raw)}\n`);
    process.exit(2);
  }
  return port;
}

async function main(): Promise<void> {
  const sim = await startMiSim({ port: portFromArgs(process.argv.slice(2)) });
  process.stdout.write(
    `${JSON.stringify({
      url: sim.url,
      applicationId: defaultSimApplication.applicationId,
      applicationKey: defaultSimApplication.applicationKey,
      adminUsername: "admin",
    })}\n`,
  );
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

void main();
