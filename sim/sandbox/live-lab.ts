import { InvocationContext } from "@azure/functions";
import { createGraphLifecycleHandler } from "../../src/functions/graph-lifecycle.js";
import { createGraphNotificationsHandler } from "../../src/functions/graph-notifications.js";
import { createReconcileHandler } from "../../src/functions/reconcile.js";
import { buildLiveDeps } from "../../src/functions/runtime.js";
import { createStatusHandler, createStatusPageHandler, createStatusResyncHandler } from "../../src/functions/status.js";
import { createSubscriptionsHandler } from "../../src/functions/subscriptions.js";
import { createSyncWorkerHandler } from "../../src/functions/sync-worker.js";
import type { LiveDeps } from "../../src/live/live-deps.js";
import { startAzurite } from "../azurite/start-azurite.js";
import { type FunctionsHost, startFunctionsHost } from "./functions-host.js";
import { type Lab, type LabOptions, startLab } from "./lab.js";
import { type QueueRunner, startQueueRunner } from "./queue-runner.js";

/**
 * The whole live path on one machine: both simulators, Azurite (in-process), the webhook functions served over http
 * by a thin host stand-in, and a queue runner driving the worker function. The functions are the production ones,
 * built from app settings exactly as in Azure (`buildLiveDeps`).
 */
export interface LiveLab {
  lab: Lab;
  deps: LiveDeps;
  host: FunctionsHost;
  runner: QueueRunner;
  /** The function key the status routes (`/api/status`, `/api/status/page`, `/api/status/resync`) require. */
  functionKey: string;
  /** The app settings the functions were built from (secrets included: it is a sandbox). */
  appSettings: Record<string, string>;
  /** Runs the timer functions once, as the host's schedule would. */
  reconcile(): Promise<void>;
  maintainSubscriptions(): Promise<void>;
  close(): Promise<void>;
}

export interface LiveLabOptions extends LabOptions {
  /** Sync app settings (SYNC_GROUPS, SYNC_AUTO_CREATE, ...). */
  sync: Record<string, string>;
  /** Gives the worker different dependencies (tests that make its state store fail midway, like a killed worker). */
  workerDeps?: (deps: LiveDeps) => LiveDeps;
  log?: (line: string) => void;
}

/** The sandbox's function key (the webhooks' URLs carry it; the status routes check it). */
const FUNCTION_KEY = "sandbox-function-key";

export async function startLiveLab(options: LiveLabOptions): Promise<LiveLab> {
  const lab = await startLab({ ...options, graph: { allowHttpNotificationUrls: true, ...options.graph } });
  const azurite = await startAzurite();
  let deps: LiveDeps | undefined;
  const getDeps = async (): Promise<LiveDeps> => {
    if (!deps) throw new Error("live deps not built yet");
    return deps;
  };
  const webhookDeps = async () => {
    const d = await getDeps();
    return { getSubscription: (id: string) => d.state.getSubscription(id), tenantId: lab.graph.tenantId, now: d.now };
  };
  const host = await startFunctionsHost(
    {
      "/api/graph/notifications": createGraphNotificationsHandler(webhookDeps),
      "/api/graph/lifecycle": createGraphLifecycleHandler(webhookDeps),
      "/api/status": { methods: ["GET"], handler: createStatusHandler(getDeps), functionKey: FUNCTION_KEY },
      "/api/status/page": { methods: ["GET"], handler: createStatusPageHandler(), functionKey: FUNCTION_KEY },
      "/api/status/resync": {
        methods: ["POST"],
        handler: createStatusResyncHandler(getDeps),
        functionKey: FUNCTION_KEY,
      },
    },
    async (body) => (await getDeps()).queue.send(body),
    options.log,
  );
  const appSettings: Record<string, string> = {
    ...lab.env,
    AzureWebJobsStorage: azurite.connectionString,
    NOTIFICATION_URL: `${host.url}/api/graph/notifications?code=${FUNCTION_KEY}`,
    LIFECYCLE_NOTIFICATION_URL: `${host.url}/api/graph/lifecycle?code=${FUNCTION_KEY}`,
    // The Graph simulator's delta shows a change as soon as it notifies it (no processing delay by default).
    SYNC_DELTA_LAG_SECONDS: "0",
    ...options.sync,
  };
  deps = await buildLiveDeps(appSettings);
  const workerDeps = options.workerDeps ? options.workerDeps(deps) : deps;
  const worker = createSyncWorkerHandler(async () => workerDeps);
  const runner = startQueueRunner(deps.queue, worker, {
    ...(options.log ? { log: options.log } : {}),
  });
  const timer = {
    isPastDue: false,
    schedule: { adjustForDST: true },
    scheduleStatus: { last: "", next: "", lastUpdated: "" },
  };
  const context = (name: string) =>
    new InvocationContext({ invocationId: name, functionName: name, logHandler: () => {} });
  return {
    lab,
    deps,
    host,
    runner,
    functionKey: FUNCTION_KEY,
    appSettings,
    reconcile: () => createReconcileHandler(getDeps)(timer, context("reconcile")),
    maintainSubscriptions: () => createSubscriptionsHandler(getDeps)(timer, context("subscriptions")),
    close: async () => {
      await runner.stop();
      await host.close();
      await lab.close();
      await azurite.close();
    },
  };
}
