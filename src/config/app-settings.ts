import { z } from "zod";
import { UsageError } from "../errors/sync-error.js";
import type { StorageTarget } from "../state/storage-target.js";
import type { Settings } from "./settings.js";

/**
 * The app-setting name of every sync setting. Credentials and endpoints use the same environment variables as the
 * CLI; every sync option is `SYNC_` plus the flag's name (`--auto-create` → `SYNC_AUTO_CREATE`). Both resolve through
 * the one schema in settings.ts, so the CLI and the Functions app cannot drift apart.
 */
export const APP_SETTING_NAMES = {
  groups: "SYNC_GROUPS",
  filter: "SYNC_FILTER",
  tenant: "O365_USERSYNC_TENANT",
  clientId: "O365_USERSYNC_CLIENT_ID",
  clientSecret: "O365_USERSYNC_CLIENT_SECRET",
  clientCertificate: "O365_USERSYNC_CLIENT_CERTIFICATE",
  graphEndpoint: "O365_USERSYNC_GRAPH_ENDPOINT",
  authorityHost: "O365_USERSYNC_AUTHORITY_HOST",
  miUrl: "MI_URL",
  miApplicationId: "MI_APPLICATION_ID",
  miApplicationKey: "MI_APPLICATION_KEY",
  miUser: "MI_API_USER",
  miToken: "MI_API_TOKEN",
  miConcurrency: "MI_CONCURRENCY",
  proxy: "HTTPS_PROXY",
  noProxy: "NO_PROXY",
  dryRun: "SYNC_DRY_RUN",
  verbose: "SYNC_VERBOSE",
  userType: "SYNC_USER_TYPE",
  usernameAttr: "SYNC_USERNAME_ATTR",
  firstNameAttr: "SYNC_FIRST_NAME_ATTR",
  lastNameAttr: "SYNC_LAST_NAME_ATTR",
  emailAttr: "SYNC_EMAIL_ATTR",
  skipDefaultGroup: "SYNC_SKIP_DEFAULT_GROUP",
  processChildGroups: "SYNC_PROCESS_CHILD_GROUPS",
  autoCreate: "SYNC_AUTO_CREATE",
  force: "SYNC_FORCE",
  targetGroup: "SYNC_TARGET_GROUP",
  customUserAttribute: "SYNC_CUSTOM_USER_ATTRIBUTE",
  mapAttrToGroup: "SYNC_MAP_ATTR_TO_GROUP",
  customAttrAppId: "SYNC_CUSTOM_ATTR_APP_ID",
  trustedServerUsernameAttr: "SYNC_TRUSTED_SERVER_USERNAME_ATTR",
  attributesTransformation: "SYNC_ATTRIBUTES_TRANSFORMATION",
  processUsers: "SYNC_PROCESS_USERS",
  maxRemovals: "SYNC_MAX_REMOVALS",
  disableLeavers: "SYNC_DEPROVISION",
} as const satisfies Partial<Record<keyof Settings, string>>;

type Environment = Record<string, string | undefined>;

const BOOLEAN_KEYS = new Set<string>([
  "dryRun",
  "verbose",
  "skipDefaultGroup",
  "processChildGroups",
  "force",
  "disableLeavers",
]);

function parseBoolean(name: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(v)) return true;
  if (["false", "0", "no", "off", ""].includes(v)) return false;
  throw new UsageError("usage.invalid_setting", `app setting ${name}: '${value}' is not true or false`);
}

/**
 * Reads the sync settings from app settings (the process environment in Azure Functions). Groups are separated by
 * newlines or semicolons (names may contain commas). `SYNC_AUTO_CREATE` takes `all`, `groups` or `off`.
 */
export function settingsFromAppSettings(env: Environment): Settings {
  const settings: Record<string, unknown> = { command: "provision", summary: "counts" };
  for (const [key, name] of Object.entries(APP_SETTING_NAMES)) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    if (key === "groups") {
      settings.groups = value
        .split(/[\n;]/)
        .map((g) => g.trim())
        .filter((g) => g !== "");
    } else if (BOOLEAN_KEYS.has(key)) {
      settings[key] = parseBoolean(name, value);
    } else {
      settings[key] = value;
    }
  }
  return settings as Settings;
}

/** Settings of the Functions app itself (not of a sync), with their defaults. */
export const liveSettingsSchema = z.object({
  /** Storage for state tables and the queue; the Functions host's own storage by default. */
  SYNC_STATE_CONNECTION: z.string().min(1).optional(),
  AzureWebJobsStorage: z.string().min(1).optional(),
  /** The host's storage by identity (Flex Consumption with shared keys off): the app's tables and queue follow it. */
  AzureWebJobsStorage__accountName: z.string().min(1).optional(),
  /** A user-assigned identity's client id for that account; absent: the system-assigned identity. */
  AzureWebJobsStorage__clientId: z.string().min(1).optional(),
  SYNC_TABLE_PREFIX: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{0,40}$/, "letters and digits, starting with a letter")
    .default("misync"),
  /** Public https URL of the graph-notifications function, with its `?code=` function key. */
  NOTIFICATION_URL: z.string().url().optional(),
  /** Public https URL of the graph-lifecycle function, with its `?code=`. */
  LIFECYCLE_NOTIFICATION_URL: z.string().url().optional(),
  /** Lifetime asked for new and renewed subscriptions; Graph's maximum for directory resources is 41,760. */
  SUBSCRIPTION_LIFETIME_MINUTES: z.coerce.number().int().min(45).max(41_760).default(4_320),
  /** Renew when less than this is left. */
  SUBSCRIPTION_RENEW_BEFORE_MINUTES: z.coerce.number().int().min(15).default(1_440),
  /** Per app+tenant quota for directory subscriptions (contract §3.1: 100). */
  SUBSCRIPTION_QUOTA: z.coerce.number().int().min(2).default(100),
  /**
   * The worker's wait after a failed attempt, doubling with each further one up to 5 minutes; 8 attempts span about
   * 15 minutes at the default (longer than a 5-minute outage of MI or Graph) before the poison queue.
   */
  SYNC_RETRY_BASE_SECONDS: z.coerce.number().int().min(1).max(60).default(5),
  /**
   * How far Graph's delta may trail its change notifications (contract §2 "Processing delays"; not documented for
   * real Graph, so an assumption). A notification counts as read once a delta round began this long after it.
   */
  SYNC_DELTA_LAG_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
  /** Above this many groups the timer reconcile fans out one queue message per group. */
  RECONCILE_FANOUT_THRESHOLD: z.coerce.number().int().min(0).default(20),
  /** Days the audit trail keeps each run's operations; the `audit-prune` timer deletes what is older. */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(90),
});

export type LiveSettings = z.output<typeof liveSettingsSchema> & { storage: StorageTarget };

/** Reads and checks the Functions app's own settings; a bad one is a UsageError naming it. */
export function liveSettingsFromAppSettings(env: Environment): LiveSettings {
  const parsed = liveSettingsSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `app setting ${String(i.path[0] ?? "?")}: ${i.message}`);
    throw new UsageError("usage.invalid_setting", lines.join("; "));
  }
  const connectionString = parsed.data.SYNC_STATE_CONNECTION ?? parsed.data.AzureWebJobsStorage;
  const accountName = parsed.data.AzureWebJobsStorage__accountName;
  const clientId = parsed.data.AzureWebJobsStorage__clientId;
  const storage: StorageTarget | undefined = connectionString
    ? { kind: "connectionString", connectionString }
    : accountName
      ? { kind: "identity", accountName, ...(clientId ? { clientId } : {}) }
      : undefined;
  if (!storage) {
    throw new UsageError(
      "usage.missing_setting",
      "app setting SYNC_STATE_CONNECTION (or AzureWebJobsStorage, or AzureWebJobsStorage__accountName for the managed identity) is required: the storage account for sync state",
    );
  }
  return { ...parsed.data, storage };
}
