import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  APP_SETTING_NAMES,
  liveSettingsFromAppSettings,
  liveSettingsSchema,
  settingsFromAppSettings,
} from "../../src/config/app-settings.js";
import { resolveRunConfig } from "../../src/config/resolve-run-config.js";
import {
  appSettings,
  keyVaultReference,
  ofType,
  type PredictedResource,
  readRepoFile,
  readSnapshot,
  root,
  SNAPSHOTS,
  type SnapshotName,
  single,
} from "./snapshots.js";

// The deployment and the app agree: every setting the app requires is set, every setting set is one the app (or the
// Functions host) reads, every Key Vault reference names a secret the template writes, and the managed identity
// holds exactly the roles that something in the app or the host uses. Read from the compiler's evaluation of
// infra/azuredeploy.json (test/infra/snapshots.ts) and from the app's own settings schema and code.

/** Settings the app reads outside the two schema objects in src/config/app-settings.ts, with the file reading each. */
const READ_DIRECTLY: Record<string, string> = {
  RECONCILE_SCHEDULE: "src/functions/reconcile.ts",
  SUBSCRIPTIONS_SCHEDULE: "src/functions/subscriptions.ts",
  STATUS_MAX_RECONCILE_AGE_HOURS: "src/status/health-thresholds-from-env.ts",
  STATUS_QUEUE_BACKLOG: "src/status/health-thresholds-from-env.ts",
  APPLICATIONINSIGHTS_CONNECTION_STRING: "src/functions/runtime.ts",
};

/** Settings the Functions host reads, not the app (learn.microsoft.com/azure/azure-functions/functions-app-settings). */
const HOST_SETTINGS = new Set([
  "AzureWebJobsStorage__accountName",
  "AzureWebJobsStorage__credential",
  "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
  "APPLICATIONINSIGHTS_CONNECTION_STRING",
  // The Node worker's arguments (the heap limit of infra/node-heap.json); `serve` passes them on as the host does.
  "languageWorkers__node__arguments",
]);

/**
 * Set by the template before the app knows them (the app side is being added: SYNC_DEPROVISION, boolean, default
 * false, makes the timer reconcile also disable leavers). Accepted only while the schema does not name them, and
 * reported as a diagnostic; once the schema names them they are ordinary known settings.
 */
const AHEAD_OF_APP = new Set(["SYNC_DEPROVISION"]);

function knownSettings(): Set<string> {
  return new Set([
    ...Object.values(APP_SETTING_NAMES),
    ...Object.keys(liveSettingsSchema.shape),
    ...Object.keys(READ_DIRECTLY),
    ...HOST_SETTINGS,
  ]);
}

/** What each Key Vault secret resolves to at run time, for the app's own parsers: realistic shapes, no real secret. */
const SECRET_PLACEHOLDERS: Record<string, string> = {
  "o365-client-secret": "placeholder-client-secret",
  "o365-client-certificate":
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
  "mi-application-key": "placeholder-application-key",
  "mi-api-token": "placeholder-api-token",
  "sync-state-connection":
    "DefaultEndpointsProtocol=https;AccountName=stplaceholder;AccountKey=cGxhY2Vob2xkZXI=;EndpointSuffix=core.windows.net",
  "notification-url": "https://func-placeholder.azurewebsites.net/api/graph/notifications?code=placeholder",
  "lifecycle-notification-url": "https://func-placeholder.azurewebsites.net/api/graph/lifecycle?code=placeholder",
};

/** The app settings as the app sees them in Azure: Key Vault references and deploy-time expressions resolved. */
function runtimeEnvironment(settings: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings)) {
    const reference = keyVaultReference(value);
    if (reference) {
      const resolved = SECRET_PLACEHOLDERS[reference.secret];
      assert.ok(resolved, `${name}: no placeholder for Key Vault secret '${reference.secret}' (add one above)`);
      env[name] = resolved;
    } else if (value.startsWith("[")) {
      env[name] = name === "APPLICATIONINSIGHTS_CONNECTION_STRING" ? "InstrumentationKey=placeholder" : "placeholder";
    } else {
      env[name] = value;
    }
  }
  return env;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** True once the app can reach its tables and queue with the managed identity instead of a connection string. */
const appSupportsIdentityState = ["src/functions/runtime.ts", ...sourceFiles("src/state")].some((file) =>
  /ManagedIdentityCredential|DefaultAzureCredential/.test(readRepoFile(file)),
);

/** Snapshots whose deployment the app can run today; the others are tests marked todo with the reason. */
function todoReason(name: SnapshotName): string | undefined {
  const settings = appSettings(readSnapshot(name));
  if (settings.SYNC_STATE_CONNECTION === undefined && !appSupportsIdentityState) {
    return "the app reaches its state only with a connection string today (report: identity-based state storage)";
  }
  return undefined;
}

test("every setting the app reads directly is really read where this test says", () => {
  for (const [name, file] of Object.entries(READ_DIRECTLY)) {
    assert.match(readRepoFile(file), new RegExp(`\\b${name}\\b`), `${file} no longer reads ${name}`);
  }
});

for (const name of SNAPSHOTS) {
  const resources = readSnapshot(name);
  const settings = appSettings(resources);

  test(`${name}: the app accepts the settings the template sets (nothing it requires is missing)`, {
    todo: todoReason(name),
  }, () => {
    const env = runtimeEnvironment(settings);
    assert.doesNotThrow(() => liveSettingsFromAppSettings(env), "the Functions app's own settings");
    const readFile = (value: string): string => {
      if (value.includes("-----BEGIN")) return value;
      throw new Error(`not a PEM: ${value}`);
    };
    assert.doesNotThrow(() => resolveRunConfig(settingsFromAppSettings(env), { readFile }), "the sync settings");
  });

  test(`${name}: every setting the template sets is one the app or the Functions host reads`, (t) => {
    const known = knownSettings();
    const unknown = Object.keys(settings).filter((s) => !known.has(s) && !AHEAD_OF_APP.has(s));
    assert.deepEqual(unknown, [], `set by the template, read by nothing: ${unknown.join(", ")}`);
    for (const ahead of Object.keys(settings).filter((s) => AHEAD_OF_APP.has(s) && !known.has(s))) {
      t.diagnostic(`${ahead} is set ahead of the app: src/config/app-settings.ts does not name it yet`);
    }
  });

  test(`${name}: every Key Vault reference names a secret the template writes to that vault`, () => {
    const written = new Set(ofType(resources, "Microsoft.KeyVault/vaults/secrets").map((r) => r.name));
    const references = Object.entries(settings).flatMap(([setting, value]) => {
      const reference = keyVaultReference(value);
      return reference ? [{ setting, ...reference }] : [];
    });
    assert.ok(references.length >= 2, "the credentials are Key Vault references");
    for (const { setting, vault, secret } of references) {
      // A secret whose value is a secure parameter is written only when that parameter is given (an empty one keeps
      // the stored value), so the compiler keeps its condition open; it is still a secret this template owns.
      assert.ok(
        written.has(`${vault}/${secret}`),
        `${setting} references ${vault}/${secret}, which no resource writes`,
      );
    }
  });

  test(`${name}: the app's identity holds exactly the roles something uses`, () => {
    assert.deepEqual([...assignedRoles(resources)].sort(), [...usedRoles(resources, settings).keys()].sort());
  });
}

test("identity-storage: the app's state is reached by identity, with shared-key access off", {
  todo: appSupportsIdentityState ? undefined : "needs the app change in the report (identity-based state storage)",
}, () => {
  assert.ok(appSupportsIdentityState, "src/state and src/functions/runtime.ts build their clients with a credential");
});

const ROLE_NAMES: Record<string, string> = {
  "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
  "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
  "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
  "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
  "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
};

/** "<role> on <resource type>" for every role assignment of the app's identity. */
function assignedRoles(resources: PredictedResource[]): Set<string> {
  const site = single(resources, "Microsoft.Web/sites");
  return new Set(
    ofType(resources, "Microsoft.Authorization/roleAssignments").map((assignment) => {
      const properties = assignment.properties as { roleDefinitionId: string; principalId: string };
      assert.ok(properties.principalId.includes(`/sites/${site.name}'`), `${assignment.name}: not the app's identity`);
      const role = properties.roleDefinitionId.split("/").at(-1)!;
      const scope = /^\[guid\('[^']*\/providers\/([^/]+\/[^/]+)\//.exec(assignment.name)?.[1];
      assert.ok(ROLE_NAMES[role] && scope, `unrecognised role assignment ${assignment.name}`);
      return `${ROLE_NAMES[role]} on ${scope}`;
    }),
  );
}

/** Each role the app's identity needs, with why: what in the template's settings or the code uses it. */
function usedRoles(resources: PredictedResource[], settings: Record<string, string>): Map<string, string[]> {
  const uses = new Map<string, string[]>();
  const use = (role: string, scope: string, why: string) => {
    const key = `${role} on ${scope}`;
    uses.set(key, [...(uses.get(key) ?? []), why]);
  };
  const storage = "Microsoft.Storage/storageAccounts";
  if (settings.AzureWebJobsStorage__credential === "managedidentity") {
    use("Storage Blob Data Owner", storage, "the host's keys, timer status and leases (identity-based host storage)");
    use("Storage Table Data Contributor", storage, "the host's diagnostic events (AZFD0003)");
    const binding = readRepoFile("src/functions/queue-binding.ts");
    if (/SYNC_QUEUE_CONNECTION = "AzureWebJobsStorage"/.test(binding)) {
      use("Storage Queue Data Contributor", storage, "the mi-sync queue trigger and output binding");
    }
  }
  const site = single(resources, "Microsoft.Web/sites").properties as {
    functionAppConfig: { deployment: { storage: { authentication: { type: string } } } };
  };
  if (site.functionAppConfig.deployment.storage.authentication.type === "SystemAssignedIdentity") {
    use("Storage Blob Data Owner", storage, "the deployment package Flex Consumption runs from");
  }
  if (settings.SYNC_STATE_CONNECTION === undefined) {
    use("Storage Table Data Contributor", storage, "the app's state tables, by identity");
    use("Storage Queue Data Contributor", storage, "the app's own queue client, by identity");
  }
  if (Object.values(settings).some((v) => keyVaultReference(v))) {
    use("Key Vault Secrets User", "Microsoft.KeyVault/vaults", "the app settings' Key Vault references");
  }
  if (settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING?.includes("Authorization=AAD")) {
    use("Monitoring Metrics Publisher", "Microsoft.Insights/components", "Entra-authenticated telemetry");
  }
  return uses;
}
