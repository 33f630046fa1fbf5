import { UsageError } from "../errors/sync-error.js";
import type { GroupSelector } from "../sync/ports/entra-directory.js";
import type { SyncOptions } from "../sync/sync-options.js";
import { parseTransformationRules } from "../sync/transformations/parse-transformation-rules.js";
import { parseMaxRemovals } from "./max-removals.js";
import { parseProcessUsers } from "./process-users.js";
import { type Settings, settingsSchema } from "./settings.js";

/** How to reach and authenticate to Entra. */
export interface EntraConnection {
  tenantId: string;
  clientId: string;
  credential: { kind: "secret"; secret: string } | { kind: "certificate"; pem: string };
  graphEndpoint: string;
  authorityHost: string;
}

/** How to reach and authenticate to MI. */
export interface MiConnection {
  baseUrl: string;
  auth:
    | { kind: "application"; applicationId: string; applicationKey: string; username: string }
    | { kind: "token"; token: string; username?: string };
  /** Requests MI should see at once (`--mi-concurrency`, default 4). */
  maxConcurrency: number;
}

export interface OutputOptions {
  verbose: boolean;
  summary: "none" | "counts" | "full";
  json: boolean;
}

/** Everything one run needs, validated and typed. */
export interface RunConfig {
  selector: GroupSelector;
  sync: SyncOptions;
  mode: "plan" | "apply";
  entra: EntraConnection;
  mi: MiConnection;
  proxy: { url?: string; noProxy?: string };
  output: OutputOptions;
  /** Things the admin should know before the run starts (an http:// MI URL...). */
  warnings: string[];
}

/** Where each setting comes from, for error messages that say what to fix. */
export const SETTING_SOURCES: Record<string, string> = {
  tenant: "--tenant or O365_USERSYNC_TENANT",
  clientId: "--client-id or O365_USERSYNC_CLIENT_ID",
  clientSecret: "--client-secret or O365_USERSYNC_CLIENT_SECRET",
  clientCertificate: "--client-certificate or O365_USERSYNC_CLIENT_CERTIFICATE",
  graphEndpoint: "--graph-endpoint or O365_USERSYNC_GRAPH_ENDPOINT",
  authorityHost: "--authority-host or O365_USERSYNC_AUTHORITY_HOST",
  miUrl: "--mi-url or MI_URL",
  miApplicationId: "--mi-application-id or MI_APPLICATION_ID",
  miApplicationKey: "--mi-application-key or MI_APPLICATION_KEY",
  miUser: "--mi-user or MI_API_USER",
  miToken: "--mi-token or MI_API_TOKEN",
  miConcurrency: "--mi-concurrency or MI_CONCURRENCY",
  proxy: "--proxy or HTTPS_PROXY",
  customAttrAppId: "--custom-attr-app-id",
  targetGroup: "--target-group",
  filter: "--filter",
};

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export interface ResolveDependencies {
  readFile: (path: string) => string;
}

/**
 * Validates settings and resolves them into a RunConfig. Every problem is a UsageError whose one-line message names
 * the flag (and environment variable) to fix; nothing has been read or written when it is thrown. Messages name a
 * setting, never quote its value: in Azure the certificate setting holds the PEM (or a base64 PFX) itself, and a URL
 * may carry credentials (`https://user:password@proxy`).
 */
export function resolveRunConfig(input: Settings, deps: ResolveDependencies): RunConfig {
  const parsed = settingsSchema.safeParse(input);
  if (!parsed.success) {
    const message = parsed.error.issues
      .map((issue) => {
        const key = String(issue.path[0] ?? "");
        return `${SETTING_SOURCES[key] ?? flagName(key)}: ${issue.message}`;
      })
      .join("; ");
    throw new UsageError("usage.invalid_setting", message);
  }
  const s = parsed.data;
  const warnings: string[] = [];

  if (s.groups.length === 0 && s.filter === undefined) {
    throw new UsageError(
      "usage.no_groups",
      "name at least one O365 group (display name or object id) or give --filter",
    );
  }
  if (s.targetGroup !== undefined && s.username !== undefined) {
    throw new UsageError("usage.conflict", "--target-group cannot be combined with --username");
  }

  const tenantId = required(s.tenant, "tenant", "the directory (tenant) id or domain");
  const clientId = required(s.clientId, "clientId", "the app registration's application (client) id");
  if (s.clientSecret !== undefined && s.clientCertificate !== undefined) {
    throw new UsageError(
      "usage.conflict",
      "give either a client secret or a client certificate, not both (O365_USERSYNC_CLIENT_SECRET / --client-certificate)",
    );
  }
  let credential: EntraConnection["credential"];
  if (s.clientCertificate !== undefined) {
    let pem: string;
    try {
      pem = deps.readFile(s.clientCertificate);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new UsageError(
        "usage.certificate_unreadable",
        `${SETTING_SOURCES.clientCertificate}: cannot read the file it names${typeof code === "string" ? ` (${code})` : ""}; give the path of a PEM file holding the certificate and its private key`,
      );
    }
    if (!pem.includes("PRIVATE KEY") || !pem.includes("CERTIFICATE")) {
      throw new UsageError(
        "usage.certificate_invalid",
        `${SETTING_SOURCES.clientCertificate}: must be a PEM file holding both the certificate and its private key`,
      );
    }
    credential = { kind: "certificate", pem };
  } else {
    credential = {
      kind: "secret",
      secret: required(s.clientSecret, "clientSecret", "the app's client secret (or use --client-certificate)"),
    };
  }
  const graphEndpoint = httpsUrl(s.graphEndpoint, "graphEndpoint");
  const authorityHost = httpsUrl(s.authorityHost, "authorityHost");

  const miUrlText = required(s.miUrl, "miUrl", "the base URL of your MI instance, e.g. https://mi.example.com");
  const miUrl = parseUrl(miUrlText, "miUrl");
  if (miUrl.protocol !== "https:" && miUrl.protocol !== "http:") {
    throw new UsageError("usage.invalid_setting", `${SETTING_SOURCES.miUrl}: must be an http(s) URL`);
  }
  if (miUrl.protocol === "http:") {
    warnings.push(`--mi-url is http://: MI credentials and tokens travel in clear text to ${miUrl.host}`);
  }
  let auth: MiConnection["auth"];
  if (s.miToken !== undefined) {
    auth = { kind: "token", token: s.miToken, ...(s.miUser ? { username: s.miUser } : {}) };
    if (!s.miUser) {
      warnings.push("--mi-token without --mi-user: the MI user the token acts as cannot be protected from changes");
    }
  } else {
    const missing = (["miApplicationId", "miApplicationKey", "miUser"] as const).filter((k) => s[k] === undefined);
    if (missing.length > 0) {
      throw new UsageError(
        "usage.missing_setting",
        `MI credentials missing: give ${missing.map((k) => SETTING_SOURCES[k]).join(", ")} ` +
          `(or a personal API token with ${SETTING_SOURCES.miToken})`,
      );
    }
    auth = {
      kind: "application",
      applicationId: s.miApplicationId!,
      applicationKey: s.miApplicationKey!,
      username: s.miUser!,
    };
  }

  const selector: GroupSelector = {
    names: s.groups.filter((g) => !GUID.test(g)),
    ids: s.groups.filter((g) => GUID.test(g)).map((g) => g.toLowerCase()),
    ...(s.filter !== undefined ? { prefix: s.filter } : {}),
  };

  let selectUsers: string[] | undefined;
  if (s.processUsers !== undefined) selectUsers = parseProcessUsers(s.processUsers, deps.readFile);
  if (s.username !== undefined) {
    if (selectUsers && !selectUsers.some((u) => u.toLowerCase() === s.username?.toLowerCase())) {
      throw new UsageError("usage.conflict", `--username '${s.username}' is not among the users --process-users names`);
    }
    selectUsers = [s.username];
  }

  const sync: SyncOptions = {
    command: s.command,
    leavers: s.disableLeavers ? "disable" : "keep",
    autoCreate: s.autoCreate,
    userType: s.userType === "power_user" ? "power" : (s.userType ?? "regular"),
    userTypeExplicit: s.userType !== undefined,
    updateMode: s.force ? "force" : "changed",
    membership: s.processChildGroups ? "transitive" : "direct",
    defaultGroup: s.skipDefaultGroup ? "skip" : "add",
    attributeMap: {
      username: s.usernameAttr,
      firstName: s.firstNameAttr,
      lastName: s.lastNameAttr,
      email: s.emailAttr,
    },
    customAttributes: list(s.customUserAttribute),
    mapAttrToGroup: list(s.mapAttrToGroup),
    customAttrAppId: s.customAttrAppId,
    trustedServerUsernameAttr: s.trustedServerUsernameAttr,
    transformations: s.attributesTransformation ? parseTransformationRules(s.attributesTransformation) : [],
    targetGroup: s.targetGroup,
    selectUsers,
    maxRemovals: parseMaxRemovals(s.maxRemovals),
  };

  const proxyUrl = s.proxy === undefined ? undefined : parseUrl(s.proxy, "proxy").toString();
  return {
    selector,
    sync,
    mode: s.dryRun ? "plan" : "apply",
    entra: { tenantId, clientId, credential, graphEndpoint, authorityHost },
    mi: { baseUrl: miUrlText.replace(/\/+$/, ""), auth, maxConcurrency: Number(s.miConcurrency ?? "4") },
    proxy: { ...(proxyUrl ? { url: proxyUrl } : {}), ...(s.noProxy ? { noProxy: s.noProxy } : {}) },
    // --dry-run implies -v (the original's documented behaviour).
    output: { verbose: s.verbose || s.dryRun, summary: s.summary, json: s.json },
    warnings,
  };
}

function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function required(value: string | undefined, key: string, what: string): string {
  if (value === undefined || value === "") {
    throw new UsageError("usage.missing_setting", `${SETTING_SOURCES[key] ?? flagName(key)} is required: ${what}`);
  }
  return value;
}

function parseUrl(text: string, key: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new UsageError("usage.invalid_setting", `${SETTING_SOURCES[key] ?? flagName(key)}: not a URL`);
  }
}

function httpsUrl(text: string, key: string): string {
  const url = parseUrl(text, key);
  if (url.protocol !== "https:") {
    throw new UsageError("usage.invalid_setting", `${SETTING_SOURCES[key]}: must be an https URL, got ${url.protocol}`);
  }
  return url.origin;
}

/** `a,b` → ["a","b"]; empty entries dropped. */
function list(value: string | undefined): string[] {
  if (value === undefined) return [];
  return [
    ...new Set(
      value
        .split(",")
        .map((v) => v.trim())
        .filter((v) => v !== ""),
    ),
  ];
}
