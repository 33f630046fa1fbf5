import { Command } from "commander";
import type { ServeFlags } from "../serve/serve-options.js";

const SERVE_NOTE = `App settings come from the environment, then from "Values" in --settings (default
./local.settings.json when present); the environment wins. They are the Functions app's own settings
(docs/app-settings.md). Storage: --storage, else AzureWebJobsStorage, else an embedded Azurite keeping its data
in --data-dir (development only: it needs the dev dependencies).

Keys: --function-key (env FUNCTIONS_DEFAULT_KEY) opens authLevel "function" routes (?code= or x-functions-key);
--master-key (env FUNCTIONS_MASTER_KEY) opens everything. Keys not given are generated once and kept in --data-dir.

Admin endpoints (master key, as the Functions host's own):
  GET  /admin/host/ping               anonymous: 200 once ready, 503 before
  GET  /admin/host/status             {"state","version","processUptime"}
  GET  /admin/functions               every function with its bindings
  POST /admin/functions/<name>        {"input":"..."}: runs a timer or queue function once; 202

Several processes given the same storage act as scaled-out instances of one app.
SIGTERM or SIGINT: stop fetching and firing, let running invocations finish (host.json functionTimeout), exit 0.

Exit status:
  0  stopped by SIGTERM or SIGINT
  1  the app failed to load
  2  usage or configuration error (the message names the option or setting)
  5  storage unreachable at start`;

/** `mi-o365-usersync serve`: the Functions app on plain Node (contracts/serve.md). `run` receives the flags. */
export function createServeCommand(run: (flags: ServeFlags) => Promise<void>): Command {
  return new Command("serve")
    .description("run the Functions app (webhooks, queue worker, timers) as Azure Functions runs it, on plain Node")
    .option("--port <n>", "HTTP port (default 7071, as func start; 0 picks a free one)")
    .option("--host <addr>", "address to listen on (default 127.0.0.1; 0.0.0.0 to expose it)")
    .option("--storage <connection-string>", "storage account connection string (env AzureWebJobsStorage)")
    .option("--data-dir <dir>", "embedded Azurite's data and the generated keys (default .serve/azurite)")
    .option("--function-key <key>", "the function key (env FUNCTIONS_DEFAULT_KEY)")
    .option("--master-key <key>", "the master key (env FUNCTIONS_MASTER_KEY)")
    .option("--settings <file>", "local.settings.json whose Values are app settings (default ./local.settings.json)")
    .addHelpText("after", `\n${SERVE_NOTE}\n`)
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .action(async (options: ServeFlags) => run(options));
}
