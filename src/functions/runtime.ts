import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { InvocationContext } from "@azure/functions";
import { ManagedIdentityCredential } from "@azure/identity";
import type * as AzureMonitor from "@azure/monitor-opentelemetry";
import { TableAuditTrail } from "../audit/table-audit-trail.js";
import { liveSettingsFromAppSettings, settingsFromAppSettings } from "../config/app-settings.js";
import { resolveRunConfig } from "../config/resolve-run-config.js";
import { GraphEntraDirectory } from "../entra/graph-entra-directory.js";
import { resolveTenantId } from "../entra/resolve-tenant-id.js";
import { cachedSubscriptions } from "../live/cached-subscriptions.js";
import type { NotificationDeps } from "../live/handle-notifications.js";
import type { LiveDeps } from "../live/live-deps.js";
import type { Logger } from "../logging/logger.js";
import { MiRestDirectory } from "../mi/mi-rest-directory.js";
import { configureProxy } from "../net/configure-proxy.js";
import { StorageSyncQueue } from "../state/storage-sync-queue.js";
import { TableSyncStateStore } from "../state/table-sync-state-store.js";
import { SYNC_QUEUE_NAME } from "./queue-binding.js";

type Environment = Record<string, string | undefined>;

let telemetryStarted = false;

/**
 * Sends our custom metrics (and the SDK's traces) to Application Insights when the app has a connection string, as
 * the deployment gives it. Loaded only then: the exporter is large and pointless in the CLI, tests and sandbox.
 */
function startTelemetry(env: Environment): void {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING;
  if (telemetryStarted || !connectionString) return;
  telemetryStarted = true;
  const { useAzureMonitor } = require("@azure/monitor-opentelemetry") as typeof AzureMonitor;
  // With local authentication off (the template's default), Application Insights takes Entra-authenticated telemetry
  // only: the Functions host reads APPLICATIONINSIGHTS_AUTHENTICATION_STRING; our exporter needs the same identity.
  const auth = env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? "";
  const clientId = /(?:^|;)\s*ClientId=([^;]+)/i.exec(auth)?.[1]?.trim();
  const credential = /(?:^|;)\s*Authorization=AAD\s*(?:;|$)/i.test(auth)
    ? new ManagedIdentityCredential(clientId ? { clientId } : undefined)
    : undefined;
  useAzureMonitor({ azureMonitorExporterOptions: { connectionString, ...(credential ? { credential } : {}) } });
}

/** The Functions logger as our Logger. */
export function contextLogger(context: InvocationContext): Logger {
  return {
    debug: (message) => context.debug(message),
    info: (message) => context.log(message),
    warn: (message) => context.warn(message),
  };
}

/** The same dependencies, logging to this invocation. */
export function withContextLogger(deps: LiveDeps, context: InvocationContext): LiveDeps {
  return { ...deps, logger: contextLogger(context) };
}

/**
 * Builds the live path's dependencies from app settings. One set per process: MSAL's token cache and the MI token
 * live in the adapters, so reusing them across invocations saves a token request per invocation.
 */
export async function buildLiveDeps(env: Environment): Promise<LiveDeps> {
  startTelemetry(env);
  const settings = liveSettingsFromAppSettings(env);
  // In Azure the certificate arrives as PEM text through a Key Vault reference; locally it may be a file path.
  const readFile = (value: string): string => (value.includes("-----BEGIN") ? value : readFileSync(value, "utf8"));
  const config = resolveRunConfig(settingsFromAppSettings(env), { readFile });
  configureProxy({ ...(config.proxy.url ? { proxyUrl: config.proxy.url } : {}) });
  const logger: Logger = { debug() {}, info: (m) => console.log(m), warn: (m) => console.warn(m) };
  const state = new TableSyncStateStore({
    storage: settings.storage,
    tablePrefix: settings.SYNC_TABLE_PREFIX,
  });
  const queue = new StorageSyncQueue({ storage: settings.storage, queueName: SYNC_QUEUE_NAME });
  const audit = new TableAuditTrail({ storage: settings.storage, tablePrefix: settings.SYNC_TABLE_PREFIX });
  await Promise.all([state.initialize(), queue.initialize(), audit.initialize()]);
  return {
    config,
    settings,
    entra: new GraphEntraDirectory({ ...config.entra, logger }),
    mi: new MiRestDirectory({
      baseUrl: config.mi.baseUrl,
      auth: config.mi.auth,
      maxConcurrency: config.mi.maxConcurrency,
      logger,
    }),
    state,
    queue,
    logger,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    newId: () => randomUUID(),
    newSecret: () => randomBytes(48).toString("base64url"),
    audit,
  };
}

let live: Promise<LiveDeps> | undefined;
let webhook: Promise<Omit<NotificationDeps, "logger">> | undefined;

/** The process's live dependencies, built on first use; a failed build is retried on the next invocation. */
export function getLiveDeps(): Promise<LiveDeps> {
  live ??= buildLiveDeps(process.env).catch((error: unknown) => {
    live = undefined;
    throw error;
  });
  return live;
}

/**
 * What the webhook functions need, and nothing more: the subscriptions table and the tenant id (a tenant configured by
 * domain is resolved to its id once, from Entra's OpenID configuration). They must answer in well under Graph's 3
 * seconds, so they neither build the Graph and MI clients nor depend on MI settings.
 */
export function getWebhookDeps(): Promise<Omit<NotificationDeps, "logger">> {
  webhook ??= (async () => {
    const settings = liveSettingsFromAppSettings(process.env);
    const state = new TableSyncStateStore({
      storage: settings.storage,
      tablePrefix: settings.SYNC_TABLE_PREFIX,
    });
    const [tenantId] = await Promise.all([
      resolveTenantId(process.env.O365_USERSYNC_TENANT ?? "", {
        authorityHost: process.env.O365_USERSYNC_AUTHORITY_HOST || "https://login.microsoftonline.com",
      }),
      state.initialize(),
    ]);
    return {
      getSubscription: cachedSubscriptions((id) => state.getSubscription(id)),
      tenantId,
      now: () => new Date(),
    };
  })().catch((error: unknown) => {
    webhook = undefined;
    throw error;
  });
  return webhook;
}
