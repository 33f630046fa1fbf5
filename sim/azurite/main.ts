// Standalone Azurite (Table + Queue, in memory) for the sandbox and benchmarks: prints one JSON line
// {connectionString} on stdout, then runs until SIGINT/SIGTERM. The key in it is Azurite's public development key.
// Usage: node dist/sim/azurite/main.js [--table-port 10002] [--queue-port 10001]   (0 picks a free port)
import { startAzurite } from "./start-azurite.js";

function parsePort(argv: string[], flag: string, fallback: number): number {
  const index = argv.indexOf(flag);
  const inline = argv.find((arg) => arg.startsWith(`${flag}=`));
  const raw = inline ? inline.slice(flag.length + 1) : index >= 0 ? argv[index + 1] : String(fallback);
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid ${flag} ${String(raw)}`);
  return port;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const azurite = await startAzurite({
    tablePort: parsePort(argv, "--table-port", 10002),
    queuePort: parsePort(argv, "--queue-port", 10001),
  });
  process.stdout.write(`${JSON.stringify({ connectionString: azurite.connectionString })}\n`);
  const stop = (): void => {
    azurite.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`azurite: close failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`azurite: ${String(error)}\n`);
  process.exit(1);
});
