import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { CommanderError } from "commander";
import type { RunConfig } from "../config/resolve-run-config.js";
import { resolveRunConfig } from "../config/resolve-run-config.js";
import { describeError, SyncError, UsageError } from "../errors/sync-error.js";
import { explain } from "../explain/explain.js";
import type { Logger } from "../logging/logger.js";
import type { ServeFlags } from "../serve/serve-options.js";
import type * as ServeModule from "../serve/serve-until-signalled.js";
import { runSync } from "../sync/run-sync.js";
import { connectionSecrets, openAppStorage } from "./app-storage.js";
import { buildPorts, type CliPorts } from "./build-ports.js";
import { ExitStatus, exitStatusForError, exitStatusForResult } from "./exit-status.js";
import {
  createProgram,
  type Environment,
  normaliseAutoCreate,
  type ParsedCommandLine,
  type ParsedExplain,
} from "./program.js";
import { startProgress } from "./progress.js";
import { createRedactor } from "./redact.js";
import { renderExplanation } from "./render-explanation.js";
import { renderJson, renderSummary } from "./render-summary.js";

/** What the CLI touches of the outside world; tests give their own. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Environment;
  readFile: (path: string) => string;
  /** Builds the adapters; tests may wrap the real ones (never replace them with fakes). */
  buildPorts: (config: RunConfig, logger: Logger) => CliPorts;
  /** Runs `serve` until it stops and returns its exit status. */
  serve?: (flags: ServeFlags) => Promise<number>;
}

const defaultIo = (): CliIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  readFile: (path) => readFileSync(path, "utf8"),
  buildPorts,
  serve: async (flags) => {
    // Loaded only for `serve`: the sync commands need neither the storage SDKs nor the Functions package.
    const { serveUntilSignalled } = require("../serve/serve-until-signalled.js") as typeof ServeModule;
    const status = await serveUntilSignalled(flags, {
      env: process.env,
      stdout: (line) => process.stdout.write(`${line}\n`),
      stderr: (line) => process.stderr.write(`${line}\n`),
      onSignal: (listener) => {
        process.on("SIGTERM", listener);
        process.on("SIGINT", listener);
      },
      exitNow: (code) => process.exit(code),
    });
    // What the app leaves open (keep-alive sockets, SDK timers) must not hold a stopped host up.
    setTimeout(() => process.exit(), 2_000).unref();
    return status;
  },
});

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(`${__dirname}/../../../package.json`, "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

/** Runs the command line and returns the exit status (cli.md "Exit status"). Never throws. */
export async function run(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  let status: number = ExitStatus.done;
  let verbose = argv.includes("-v") || argv.includes("--verbose");
  let redact = (text: string): string => text;
  const printError = (error: unknown): void => {
    const message = redact(describeError(error));
    io.stderr.write(`mi-o365-usersync: error: ${message}\n`);
    if (error instanceof SyncError && error.hint) io.stderr.write(`  hint: ${redact(error.hint)}\n`);
    if (error instanceof UsageError || error instanceof CommanderError) {
      const command = argv.find((a) => a === "serve" || a === "explain") ?? "provision";
      io.stderr.write(`  see 'mi-o365-usersync ${command} --help'\n`);
    }
    if (verbose && error instanceof Error && error.stack) io.stderr.write(`${redact(error.stack)}\n`);
    else if (!(error instanceof SyncError) && !(error instanceof CommanderError)) {
      io.stderr.write("  (an unexpected error; run again with -v for details)\n");
    }
  };

  const execute = async ({ settings, entraCredentialFlags, auditStorage }: ParsedCommandLine): Promise<void> => {
    redact = createRedactor([
      settings.clientSecret,
      settings.miApplicationKey,
      settings.miToken,
      ...connectionSecrets(auditStorage),
    ]);
    if (settings.username !== undefined && entraCredentialFlags.length > 0) {
      throw new UsageError(
        "usage.username_credentials",
        `--username takes Entra credentials from the environment only; remove ${entraCredentialFlags.join(", ")} and ` +
          "set O365_USERSYNC_TENANT, O365_USERSYNC_CLIENT_ID and O365_USERSYNC_CLIENT_SECRET",
      );
    }
    const config = resolveRunConfig(settings, { readFile: io.readFile });
    verbose = config.output.verbose;
    const logger = createStderrLogger(io, verbose, redact);
    for (const warning of config.warnings) logger.warn(warning);

    const ports = io.buildPorts(config, logger);
    // Told where the app's audit trail is, the run records there as the app's runs do (path `cli`); a trail that
    // cannot be reached stops the run before anything is read or written.
    if (auditStorage && config.mode === "apply") {
      const { audit } = openAppStorage(auditStorage, io.env);
      await audit.initialize();
      const runId = randomUUID();
      ports.audit = { trail: audit, context: { runId, path: "cli" } };
      logger.info(`audit trail: this run records as ${runId}`);
    }
    const progress = !verbose && !config.output.json && io.stderr.isTTY ? startProgress() : undefined;
    let result: Awaited<ReturnType<typeof runSync>>;
    try {
      result = await runSync({ selector: config.selector, options: config.sync, mode: config.mode }, ports, {
        ...(progress ? { onPlan: progress.start, onProgress: progress.update } : {}),
      });
    } finally {
      progress?.stop();
    }
    if (config.output.json) io.stdout.write(redact(renderJson(result)));
    else if (config.output.summary !== "none" || result.dryRun) {
      io.stdout.write(redact(renderSummary(result, config.output.summary === "full" ? "full" : "counts")));
    }
    if (result.outcome === "refused") {
      io.stderr.write(
        `mi-o365-usersync: error: refused by --max-removals: the plan removes or disables ${result.verdict.removals}, ` +
          `the limit is ${result.verdict.limit} (of ${result.verdict.base} managed memberships); nothing was written\n` +
          "  hint: review the plan with --dry-run, then raise --max-removals (N, N% or none) if it is right\n",
      );
    } else if (result.abortedBy) {
      printError(result.abortedBy);
    }
    status = exitStatusForResult(result);
  };

  const explainRun = async ({ settings, subject, kind, auditStorage }: ParsedExplain): Promise<void> => {
    redact = createRedactor([
      settings.clientSecret,
      settings.miApplicationKey,
      settings.miToken,
      ...connectionSecrets(auditStorage),
    ]);
    const config = resolveRunConfig(settings, { readFile: io.readFile });
    verbose = config.output.verbose;
    const logger = createStderrLogger(io, verbose, redact);
    for (const warning of config.warnings) logger.warn(warning);
    const ports = io.buildPorts(config, logger);
    const app = auditStorage ? openAppStorage(auditStorage, io.env) : undefined;
    const explanation = await explain(
      {
        entra: ports.entra,
        mi: ports.mi,
        selector: config.selector,
        options: config.sync,
        // The command line keeps no ledger: its plan reads every synced group, as provision --dry-run does.
        userPlan: "full",
        logger,
        ...(app ? { state: app.state, audit: app.audit } : {}),
        now: () => new Date(),
      },
      subject,
      kind,
    );
    io.stdout.write(
      redact(config.output.json ? `${JSON.stringify(explanation, null, 2)}\n` : renderExplanation(explanation)),
    );
    status = explanation.kind === "none" ? ExitStatus.someFailed : ExitStatus.done;
  };

  try {
    const serve = async (flags: ServeFlags): Promise<void> => {
      if (!io.serve) throw new UsageError("usage.command_line", "serve is not available here");
      status = await io.serve(flags);
    };
    const program = createProgram(version(), io.env, execute, serve, explainRun);
    program.configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: () => {},
    });
    for (const command of program.commands) {
      command.configureOutput({
        writeOut: (s) => io.stdout.write(s),
        writeErr: (s) => io.stderr.write(s),
        outputError: () => {},
      });
    }
    await program.parseAsync(normaliseAutoCreate(argv), { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Asked-for help and --version exit 0; help shown because no command was given exits 1 in commander: usage.
      if (error.exitCode === 0) return ExitStatus.done;
      if (error.code === "commander.help") return ExitStatus.usage;
      printError(new UsageError("usage.command_line", error.message.replace(/^error: /, "")));
      return ExitStatus.usage;
    }
    printError(error);
    return exitStatusForError(error);
  }
  return status;
}

function createStderrLogger(io: CliIo, verbose: boolean, redact: (text: string) => string): Logger {
  return {
    debug: (message) => {
      if (verbose) io.stderr.write(`${redact(message)}\n`);
    },
    info: (message) => {
      if (verbose) io.stderr.write(`${redact(message)}\n`);
    },
    warn: (message) => io.stderr.write(`warning: ${redact(message)}\n`),
  };
}

/** The installed command's entry point. */
export function main(argv: string[]): void {
  run(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`mi-o365-usersync: internal error: ${describeError(error)}\n`);
      process.exitCode = ExitStatus.someFailed;
    },
  );
}
