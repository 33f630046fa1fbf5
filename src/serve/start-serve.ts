import { join } from "node:path";
import { createInterface } from "node:readline";
import { Worker } from "node:worker_threads";
import type { HostJsonPatch } from "./read-host-config.js";
import { ServeError, type ServeExitStatus } from "./serve-error.js";
import type { ServeOptions } from "./serve-options.js";

export interface StartServeOptions {
  /** 0 (the default here) picks a free port. */
  port?: number;
  host?: string;
  storage?: string;
  /** Embedded Azurite's data and generated keys (default .serve/azurite, as the command's). */
  dataDir?: string;
  functionKey?: string;
  masterKey?: string;
  /** App settings, as the environment would give them (over `env`). */
  settings?: Record<string, string>;
  /** A local.settings.json to read as well (none by default in-process). */
  settingsFile?: string;
  /** The app's folder; default the package's own. */
  appRoot?: string;
  /** host.json values laid over the file's. */
  hostJson?: HostJsonPatch;
  /** The environment under `settings` (default this process's). */
  env?: Record<string, string | undefined>;
  /** Start-up lines (default: dropped). */
  stdout?: (line: string) => void;
  /** Log lines (default: dropped). */
  stderr?: (line: string) => void;
}

export interface RunningServe {
  url: string;
  functionKey: string;
  masterKey: string;
  /** AzureWebJobsStorage as the app sees it. */
  connectionString: string;
  /** Drains as SIGTERM does, then ends the host's thread. Idempotent. */
  close(): Promise<void>;
}

/** What the host's thread tells this one. */
export type ServeWorkerMessage =
  | { type: "ready"; url: string; functionKey: string; masterKey: string; connectionString: string }
  | { type: "failed"; exitStatus: ServeExitStatus; message: string }
  | { type: "stopped" };

/**
 * `serve` in this process, for tests, the sandbox and the benchmark: the host runs in its own worker thread, which
 * has its own module registry and environment, as the Functions worker has its own process; so the app's modules
 * and settings never mix with the caller's, and several hosts can run side by side. Rejects with a ServeError when
 * the host cannot start. To run `serve` as its own process, spawn the `mi-o365-usersync serve` command.
 */
export async function startServe(options: StartServeOptions = {}): Promise<RunningServe> {
  const serveOptions: ServeOptions = {
    port: options.port ?? 0,
    host: options.host ?? "127.0.0.1",
    dataDir: options.dataDir ?? ".serve/azurite",
    settingsFileExplicit: options.settingsFile !== undefined,
    ...(options.storage === undefined ? {} : { storage: options.storage }),
    ...(options.functionKey === undefined ? {} : { functionKey: options.functionKey }),
    ...(options.masterKey === undefined ? {} : { masterKey: options.masterKey }),
    ...(options.settingsFile === undefined ? {} : { settingsFile: options.settingsFile }),
    ...(options.appRoot === undefined ? {} : { appRoot: options.appRoot }),
    ...(options.hostJson === undefined ? {} : { hostJson: options.hostJson }),
  };
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...(options.env ?? process.env), ...options.settings })) {
    if (value !== undefined) env[key] = value;
  }
  const worker = new Worker(join(__dirname, "serve-worker.js"), {
    workerData: serveOptions,
    env,
    stdout: true,
    stderr: true,
  });
  const forward = (stream: NodeJS.ReadableStream, to: ((line: string) => void) | undefined): void => {
    createInterface({ input: stream }).on("line", (line) => to?.(line));
  };
  forward(worker.stdout, options.stdout);
  forward(worker.stderr, options.stderr);
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  const stopped = new Promise<void>((resolve) => {
    worker.on("message", (message: ServeWorkerMessage) => {
      if (message.type === "stopped") resolve();
    });
    void exited.then(resolve);
  });
  const ready = await new Promise<Extract<ServeWorkerMessage, { type: "ready" }>>((resolve, reject) => {
    worker.on("message", (message: ServeWorkerMessage) => {
      if (message.type === "ready") resolve(message);
      if (message.type === "failed") reject(new ServeError(message.exitStatus, message.message));
    });
    worker.once("error", reject);
    void exited.then(() => reject(new ServeError(1, "the serve thread ended before it was ready")));
  }).catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  let closing: Promise<void> | undefined;
  return {
    url: ready.url,
    functionKey: ready.functionKey,
    masterKey: ready.masterKey,
    connectionString: ready.connectionString,
    close() {
      closing ??= (async () => {
        worker.postMessage({ type: "stop" });
        await stopped;
        // What the app leaves open (keep-alive sockets, SDK timers) must not keep the thread up.
        await worker.terminate();
      })();
      return closing;
    },
  };
}
