import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import type { RpcTypedData } from "./functions-core-types.js";
import { HOST_LOCKS_TABLE, HostLocks } from "./host-locks.js";
import { type HttpRoute, startHttpHost } from "./http-host.js";
import { type InvocationInput, invokeFunction } from "./invoke-function.js";
import { type LoadedApp, loadFunctionApp } from "./load-function-app.js";
import { compileRoute } from "./match-route.js";
import { type QueueListener, startQueueListener } from "./queue-listener.js";
import { readHostConfig } from "./read-host-config.js";
import { readSettingsFile } from "./read-settings-file.js";
import { type HostKeys, resolveKeys } from "./resolve-keys.js";
import { ServeError } from "./serve-error.js";
import type { ServeOptions } from "./serve-options.js";
import { resolveSettingReferences, type ServedFunction, servedFunctions } from "./served-functions.js";
import { startEmbeddedStorage } from "./start-embedded-storage.js";
import { startupLines } from "./startup-lines.js";
import { type StorageAccount, storageAccount } from "./storage-account.js";
import { startTimerListener, type TimerListener } from "./timer-listener.js";
import { writeOutputBindings } from "./write-output-bindings.js";

/** Where `serve` writes: start-up lines on stdout, logs on stderr; `env` is the environment the app reads. */
export interface HostIo {
  env: Record<string, string | undefined>;
  stdout(line: string): void;
  stderr(line: string): void;
}

export interface RunningHost {
  url: string;
  keys: HostKeys;
  /** The storage the app and the host use (AzureWebJobsStorage). */
  connectionString: string;
  /** Stops fetching and firing, lets running invocations finish (at most functionTimeout). Idempotent. */
  stop(): Promise<void>;
}

type Level = "information" | "warning" | "error";

/**
 * Runs the Functions app as the host does (contracts/serve.md): settings, host.json, keys, the HTTP side (listening
 * at once, ready once the app is loaded and storage answers), then queue and timer listeners. Rejects with a
 * ServeError for what stops it starting (2: configuration, 5: storage unreachable), having undone what it started.
 */
export async function runHost(options: ServeOptions, io: HostIo): Promise<RunningHost> {
  const started = Date.now();
  const log = (level: Level, source: string, message: string): void => {
    io.stderr(`${new Date().toISOString()} [${level}] ${source}: ${message}`);
  };
  const fromFile = options.settingsFile
    ? readSettingsFile(resolve(options.settingsFile), options.settingsFileExplicit)
    : {};
  for (const [key, value] of Object.entries(fromFile)) if (io.env[key] === undefined) io.env[key] = value;
  const appRoot = resolve(options.appRoot ?? io.env.AzureWebJobsScriptRoot ?? join(__dirname, "..", "..", ".."));
  const config = readHostConfig(appRoot, options.hostJson);
  const dataDir = resolve(options.dataDir);
  const keys = resolveKeys({ functionKey: options.functionKey, masterKey: options.masterKey }, dataDir);

  let state: "starting" | "running" | "stopping" = "starting";
  let served: ServedFunction[] = [];
  let routes: HttpRoute[] = [];
  let app: LoadedApp | undefined;
  const queues: QueueListener[] = [];
  /** The listeners of each queue, by its URL: told when an output binding of this host sends to it. */
  const listening = new Map<string, QueueListener[]>();
  const timers = new Map<string, TimerListener>();
  const background = new Set<Promise<unknown>>();
  const accounts = new Map<string, StorageAccount>();
  const account = (connectionString: string, setting: string): StorageAccount => {
    const found = accounts.get(connectionString) ?? storageAccount(connectionString, setting);
    accounts.set(connectionString, found);
    return found;
  };

  const invoke = async (fn: ServedFunction, input: InvocationInput) => {
    const loaded = app!;
    const response = await invokeFunction(loaded, fn.fn, input, {
      timeoutMs: config.functionTimeoutMs,
      log: (where, level, category, message) => {
        if (category === "system" && level !== "warning" && level !== "error" && level !== "critical") return;
        if (level === "trace" || level === "debug" || level === "none") return;
        log(level === "critical" ? "error" : (level as Level), where.functionName, message);
      },
    });
    const written = await writeOutputBindings(fn.fn, response, {
      encoding: config.queues.messageEncoding,
      resolve: (text) => resolveSettingReferences(fn.fn.name, text, io.env),
      account: (connection) => {
        const name = connection ?? "AzureWebJobsStorage";
        const value = io.env[name] ?? io.env[`AzureWebJobs${name}`] ?? "";
        return account(value, name);
      },
    });
    for (const queue of written) for (const listener of listening.get(queue.url) ?? []) listener.notify();
    return response;
  };
  const runQueueMessage = async (fn: ServedFunction, text: string, meta: Record<string, RpcTypedData>) => {
    await invoke(fn, { inputData: [{ name: fn.triggerName, data: { string: text } }], triggerMetadata: meta });
  };

  const http = await startHttpHost({
    host: options.host,
    port: options.port,
    keys,
    routes: () => routes,
    log: (level, message) => log(level, "serve", message),
    invoke: async (route, request) => {
      const fn = served.find((f) => f.fn.name === route.name)!;
      const response = await invoke(fn, { inputData: [{ name: fn.triggerName, data: { http: request } }] });
      return response.returnValue?.http ?? undefined;
    },
    admin: {
      ready: () => state === "running",
      status: () => ({
        state: state === "running" ? "Running" : state === "starting" ? "Initialized" : "Stopping",
        version: app?.version ?? "",
        processUptime: Date.now() - started,
      }),
      listFunctions: () =>
        served.map((f) => ({
          name: f.fn.name,
          bindings: Object.entries(f.fn.bindings).map(([name, binding]) => ({ ...binding, name })),
        })),
      fire: (name, input) => {
        const fn = served.find((f) => f.fn.name === name);
        if (!fn) return "unknown";
        if (fn.kind === "http") return "http";
        const run =
          fn.kind === "timer" ? timers.get(name)!.fireNow() : runQueueMessage(fn, input, adminQueueMetadata(input));
        const task = run
          .catch((error: unknown) => log("error", name, `run requested by the admin API failed: ${describe(error)}`))
          .finally(() => background.delete(task));
        background.add(task);
        return "accepted";
      },
    },
  });
  log("information", "serve", `listening on ${http.url} (not ready yet)`);

  let embedded: { connectionString: string; close(): Promise<void> } | undefined;
  try {
    const storage = options.storage ?? io.env.AzureWebJobsStorage;
    if (storage === undefined || storage === "") {
      embedded = await startEmbeddedStorage(dataDir);
      io.stdout(`storage: embedded Azurite, data in ${dataDir}: AzureWebJobsStorage=${embedded.connectionString}`);
    }
    const connectionString = storage || embedded!.connectionString;
    io.env.AzureWebJobsStorage = connectionString;

    app = await loadFunctionApp(appRoot, (level, _category, message) => {
      if (level === "warning" || level === "error" || level === "critical") log("warning", "worker", message);
    });
    served = servedFunctions(app.functions, io.env);
    const hostId = (io.env.AzureFunctionsWebHost__hostid || app.name).replace(/[^A-Za-z0-9-]/g, "-");
    const locks = new HostLocks(
      storageAccount(connectionString, "AzureWebJobsStorage").table(HOST_LOCKS_TABLE),
      hostId,
    );
    await checkStorage(connectionString, served);

    const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    routes = served.flatMap((f) =>
      f.kind === "http" && !f.disabled
        ? [
            {
              name: f.fn.name,
              match: compileRoute(config.routePrefix, f.route),
              methods: new Set(f.methods),
              authLevel: f.authLevel,
            },
          ]
        : [],
    );
    for (const fn of served) {
      const fnLog = (level: Level, message: string) => log(level, fn.fn.name, message);
      if (fn.kind === "timer") {
        timers.set(
          fn.fn.name,
          startTimerListener({
            functionName: fn.fn.name,
            schedule: fn.schedule,
            runOnStartup: fn.runOnStartup,
            scheduled: !fn.disabled,
            locks,
            owner,
            log: fnLog,
            invoke: async (timer) => {
              await invoke(fn, { inputData: [{ name: fn.triggerName, data: { json: JSON.stringify(timer) } }] });
            },
          }),
        );
      } else if (fn.kind === "queue" && !fn.disabled) {
        const client = account(fn.connectionString, fn.connectionSetting);
        const queue = client.queue(fn.queueName);
        const listener = startQueueListener({
          queue,
          poison: client.queue(`${fn.queueName}-poison`),
          config: config.queues,
          log: fnLog,
          invoke: (text, meta) => runQueueMessage(fn, text, meta),
        });
        queues.push(listener);
        listening.set(queue.url, [...(listening.get(queue.url) ?? []), listener]);
      }
    }
    state = "running";
    for (const line of startupLines(served, { url: http.url, routePrefix: config.routePrefix, keys, timers })) {
      io.stdout(line);
    }
    io.stdout(`ready: ${http.url} serves ${served.length} functions`);

    let stopping: Promise<void> | undefined;
    return {
      url: http.url,
      keys,
      connectionString,
      stop: () => {
        stopping ??= (async () => {
          state = "stopping";
          log("information", "serve", "stopping: no new messages or timer runs; waiting for running invocations");
          for (const queue of queues) queue.stop();
          const timeout = config.functionTimeoutMs;
          await Promise.all([
            ...queues.map((q) => q.drain(timeout)),
            ...[...timers.values()].map((t) => t.drain(timeout)),
            http.close(timeout),
            Promise.race([Promise.allSettled([...background]), delay(timeout)]),
          ]);
          await app?.registry.runHooks("appTerminate", { hookData: {}, appHookData: {} }).catch(() => undefined);
          await embedded?.close();
          log("information", "serve", "stopped");
        })();
        return stopping;
      },
    };
  } catch (error) {
    await http.close(0);
    await embedded?.close();
    throw error;
  }
}

/** Storage answers: the host's lock table exists and every trigger queue does (created if missing). Else exit 5. */
async function checkStorage(connectionString: string, served: ServedFunction[]): Promise<void> {
  const quick = storageAccount(connectionString, "AzureWebJobsStorage", { retries: "quick" });
  try {
    await quick.table(HOST_LOCKS_TABLE).createTable();
    for (const fn of served) {
      if (fn.kind !== "queue") continue;
      await storageAccount(fn.connectionString, fn.connectionSetting, { retries: "quick" })
        .queue(fn.queueName)
        .createIfNotExists();
    }
  } catch (error) {
    if (error instanceof ServeError) throw error;
    throw new ServeError(5, `storage unreachable at start (AzureWebJobsStorage): ${describe(error)}`, { cause: error });
  }
}

/** A queue trigger's metadata for a run requested through the admin API (no stored message behind it). */
function adminQueueMetadata(text: string): Record<string, RpcTypedData> {
  const now = JSON.stringify(new Date().toISOString());
  return {
    QueueTrigger: { string: text },
    Id: { string: randomUUID() },
    PopReceipt: { string: "" },
    DequeueCount: { json: "1" },
    InsertionTime: { json: now },
    ExpirationTime: { json: now },
    NextVisibleTime: { json: now },
  };
}

const delay = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    if (Number.isFinite(ms)) setTimeout(resolve, ms).unref();
  });

const describe = (error: unknown): string => (error instanceof Error ? error.message.split("\n")[0]! : String(error));
