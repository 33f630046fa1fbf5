import { buildLiveDeps } from "../../src/functions/runtime.js";
import type { LiveDeps } from "../../src/live/live-deps.js";
import { type RunningServe, startServe } from "../../src/serve/start-serve.js";
import { startAzurite } from "../azurite/start-azurite.js";
import { freePort } from "./free-port.js";
import { type Lab, type LabOptions, startLab } from "./lab.js";
import { runTimerFunction } from "./run-timer-function.js";
import { type StorageFaultProxy, startStorageFaultProxy } from "./storage-fault-proxy.js";
import { waitUntil } from "./wait-until.js";

/**
 * The whole live path on one machine: both simulators, Azurite (in-process), and the Functions app run by
 * `mi-o365-usersync serve` (in its own thread, exactly as the command runs it: the app's own registrations, host.json,
 * queue trigger, admin API), with its settings pointing at the simulators.
 */
export interface LiveLab {
  lab: Lab;
  /** The same state and queue as the app's, seen from the test (its own clients on the same storage). */
  deps: LiveDeps;
  host: { url: string };
  runner: {
    /**
     * Resolves once Graph has no notification left to deliver and the work queue holds no message, hidden ones
     * (running, retrying, deferred) included.
     */
    idle(): Promise<void>;
    /** Stops the app (drains, as on SIGTERM): nothing more is processed. */
    stop(): Promise<void>;
  };
  /** The function key the webhooks' and status routes' URLs carry. */
  functionKey: string;
  /** The app settings `serve` was given (secrets included: it is a sandbox). */
  appSettings: Record<string, string>;
  /** Sits between the app and Azurite's table service: makes the app's state writes fail on demand. */
  tableFaults: StorageFaultProxy;
  /** Runs the timer functions once through the admin API, as their schedule would, and waits for their run record. */
  reconcile(): Promise<void>;
  maintainSubscriptions(): Promise<void>;
  close(): Promise<void>;
}

export interface LiveLabOptions extends LabOptions {
  /** Sync app settings (SYNC_GROUPS, SYNC_AUTO_CREATE, ...). */
  sync: Record<string, string>;
  log?: (line: string) => void;
}

/** The sandbox's keys (the webhooks' URLs carry the function key; the admin API takes the master key). */
const FUNCTION_KEY = "sandbox-function-key";
const MASTER_KEY = "sandbox-master-key-not-a-secret";

export async function startLiveLab(options: LiveLabOptions): Promise<LiveLab> {
  const lab = await startLab({ ...options, graph: { allowHttpNotificationUrls: true, ...options.graph } });
  const azurite = await startAzurite();
  const tableEndpoint = /TableEndpoint=(http:\/\/[^/;]+)/.exec(azurite.connectionString)?.[1] ?? "";
  const tableFaults = await startStorageFaultProxy(tableEndpoint);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const appSettings: Record<string, string> = {
    ...lab.env,
    AzureWebJobsStorage: azurite.connectionString,
    NOTIFICATION_URL: `${url}/api/graph/notifications?code=${FUNCTION_KEY}`,
    LIFECYCLE_NOTIFICATION_URL: `${url}/api/graph/lifecycle?code=${FUNCTION_KEY}`,
    // The timers run when a test says so (the admin API), never on their schedule in the middle of one.
    "AzureWebJobs.reconcile.Disabled": "true",
    "AzureWebJobs.subscriptions.Disabled": "true",
    "AzureWebJobs.poison-redrive.Disabled": "true",
    // The Graph simulator's delta shows a change as soon as it notifies it (no processing delay by default).
    SYNC_DELTA_LAG_SECONDS: "0",
    ...options.sync,
  };
  const serve: RunningServe = await startServe({
    port,
    functionKey: FUNCTION_KEY,
    masterKey: MASTER_KEY,
    storage: azurite.connectionString.replace(tableEndpoint, tableFaults.origin),
    settings: appSettings,
    // A failed message is retried at once rather than after host.json's 5 s, so tests wait for states, not time.
    hostJson: { extensions: { queues: { visibilityTimeout: "00:00:00" } } },
    stderr: (line) => {
      if (/\[(warning|error)\]/.test(line)) options.log?.(line.replace(/^\S+ /, ""));
    },
  });
  const deps = await buildLiveDeps(appSettings);

  return {
    lab,
    deps,
    host: { url: serve.url },
    runner: {
      // Graph's notifications first (a POST in flight becomes a message), then the queue.
      idle: () =>
        waitUntil(async () => {
          await lab.graph.notifications.flush();
          return (await deps.queue.depth()).queued === 0;
        }, "no notification in flight and an empty work queue"),
      stop: () => serve.close(),
    },
    functionKey: FUNCTION_KEY,
    appSettings,
    tableFaults,
    reconcile: async () => {
      await runTimerFunction(serve, "reconcile", "reconcile", deps.state);
    },
    maintainSubscriptions: async () => {
      await runTimerFunction(serve, "subscriptions", "subscriptions", deps.state);
    },
    close: async () => {
      await serve.close();
      await tableFaults.close();
      await lab.close();
      await azurite.close();
    },
  };
}
