import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  appSettings,
  keyVaultReference,
  ofType,
  readRepoFile,
  readSnapshot,
  root,
  SNAPSHOTS,
  single,
} from "./snapshots.js";

// docs/security.md's infrastructure claims, each checked against the compiler's evaluation of the template
// (test/infra/snapshots.ts) and, where the claim is about code, against the function registrations in src/functions.

const WEBHOOK_KEY = "mi-sync-graph";
const STATUS_KEY = "mi-sync-status";

/** Every `app.http(...)` registration in src/functions: name, authLevel and route. */
function httpFunctions(): { name: string; authLevel: string; route: string }[] {
  const dir = join(root, "src", "functions");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .flatMap((file) =>
      [...readRepoFile(`src/functions/${file}`).matchAll(/app\.http\("([^"]+)",\s*\{([^}]*)\}/g)].map((m) => ({
        name: m[1]!,
        authLevel: /authLevel:\s*"(\w+)"/.exec(m[2]!)?.[1] ?? "(default)",
        route: /route:\s*"([^"]+)"/.exec(m[2]!)?.[1] ?? m[1]!,
      })),
    );
}

/** Function name -> names of the function keys the template creates for it. */
function functionKeys(name: (typeof SNAPSHOTS)[number]): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const key of ofType(readSnapshot(name), "Microsoft.Web/sites/functions/keys")) {
    const [, fn, keyName] = key.name.split("/");
    keys.set(fn!, [...(keys.get(fn!) ?? []), keyName!]);
  }
  return keys;
}

test("every HTTP function needs a function-level key; none is anonymous or admin-only", () => {
  const functions = httpFunctions();
  assert.ok(functions.length >= 5, `found ${functions.map((f) => f.name).join(", ")}`);
  for (const fn of functions) assert.equal(fn.authLevel, "function", `${fn.name} (${fn.route})`);
});

test("published: Graph's key opens only the two webhook functions, the admins' key only the status routes", () => {
  const keys = functionKeys("published");
  const functions = httpFunctions();
  for (const fn of functions) {
    const expected = fn.route.startsWith("graph/") ? [WEBHOOK_KEY] : [STATUS_KEY];
    assert.deepEqual(keys.get(fn.name), expected, `${fn.name} (${fn.route})`);
  }
  assert.deepEqual([...keys.keys()].sort(), functions.map((f) => f.name).sort(), "a key for a function the app lacks");
  const resync = functions.find((f) => f.route === "status/resync");
  assert.ok(resync && !keys.get(resync.name)?.includes(WEBHOOK_KEY), "the webhook key must not open status/resync");
});

test("published: the webhook URLs carry the webhook function key, from Key Vault, never the host or master key", () => {
  const resources = readSnapshot("published");
  const settings = appSettings(resources);
  const secrets = new Map(ofType(resources, "Microsoft.KeyVault/vaults/secrets").map((r) => [r.name.split("/")[1], r]));
  for (const [setting, fn, route] of [
    ["NOTIFICATION_URL", "graph-notifications", "graph/notifications"],
    ["LIFECYCLE_NOTIFICATION_URL", "graph-lifecycle", "graph/lifecycle"],
  ] as const) {
    const reference = keyVaultReference(settings[setting] ?? "");
    assert.ok(reference, `${setting} is a Key Vault reference, not a URL with its key in plain app settings`);
    const value = String((secrets.get(reference.secret)?.properties as { value?: string } | undefined)?.value);
    assert.ok(value.includes(`/${route}?code=`), `${reference.secret}: ${value}`);
    assert.ok(value.includes(`/functions/${fn}', '2024-04-01').properties['${WEBHOOK_KEY}']`), `${setting}: ${value}`);
  }
  const template = readRepoFile("infra/azuredeploy.json");
  assert.doesNotMatch(template, /\/host\/default|functionKeys\.default|masterKey|systemKeys/, "a host or master key");
});

test("first-deployment: no function key and no webhook URL before the code exists (the host would refuse them)", () => {
  assert.equal(functionKeys("first-deployment").size, 0);
  const settings = appSettings(readSnapshot("first-deployment"));
  assert.equal(settings.NOTIFICATION_URL, undefined);
  assert.equal(settings.LIFECYCLE_NOTIFICATION_URL, undefined);
});

for (const name of SNAPSHOTS) {
  const resources = readSnapshot(name);
  const settings = appSettings(resources);

  test(`${name}: FTP and basic (password) publishing are off`, () => {
    const policies = ofType(resources, "Microsoft.Web/sites/basicPublishingCredentialsPolicies");
    assert.deepEqual(policies.map((p) => p.name.split("/")[1]).sort(), ["ftp", "scm"]);
    for (const policy of policies) assert.deepEqual(policy.properties, { allow: false }, policy.name);
  });

  test(`${name}: Application Insights takes Entra-authenticated telemetry only`, () => {
    const component = single(resources, "Microsoft.Insights/components").properties!;
    assert.equal(component.DisableLocalAuth, true);
    assert.equal(settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING, "Authorization=AAD");
  });

  test(`${name}: shared-key access to storage is on only while the app uses a connection string`, () => {
    const account = single(resources, "Microsoft.Storage/storageAccounts").properties!;
    const connectionString = settings.SYNC_STATE_CONNECTION !== undefined;
    assert.equal(account.allowSharedKeyAccess, connectionString);
    assert.equal(settings.AzureWebJobsStorage__credential, "managedidentity");
    assert.equal(settings.AzureWebJobsStorage, undefined, "the host's storage is identity-based, never a key");
    assert.equal(account.allowBlobPublicAccess, false);
    assert.equal(account.minimumTlsVersion, "TLS1_2");
    const hasConnectionSecret = ofType(resources, "Microsoft.KeyVault/vaults/secrets").some((s) =>
      s.name.endsWith("/sync-state-connection"),
    );
    assert.equal(hasConnectionSecret, connectionString, "the account key is in Key Vault only while it is used");
  });

  test(`${name}: every credential in the app settings is a Key Vault reference`, () => {
    for (const setting of [
      "O365_USERSYNC_CLIENT_SECRET",
      "O365_USERSYNC_CLIENT_CERTIFICATE",
      "MI_APPLICATION_KEY",
      "MI_API_TOKEN",
      "SYNC_STATE_CONNECTION",
      "NOTIFICATION_URL",
      "LIFECYCLE_NOTIFICATION_URL",
    ]) {
      const value = settings[setting];
      if (value !== undefined) assert.ok(keyVaultReference(value), `${setting} is not a Key Vault reference`);
    }
  });

  test(`${name}: storage and Key Vault follow publicNetworkAccess; the vault uses RBAC`, () => {
    const account = single(resources, "Microsoft.Storage/storageAccounts").properties!;
    const vault = single(resources, "Microsoft.KeyVault/vaults").properties!;
    const expected = name === "identity-storage" ? "Disabled" : "Enabled";
    for (const props of [account, vault]) {
      assert.equal(props.publicNetworkAccess, expected);
      assert.equal(
        (props.networkAcls as { defaultAction: string }).defaultAction,
        expected === "Enabled" ? "Allow" : "Deny",
      );
    }
    assert.equal(vault.enableRbacAuthorization, true);
    assert.equal(single(resources, "Microsoft.Web/sites").properties!.httpsOnly, true);
  });
}

interface TemplateParameter {
  type: string;
  defaultValue?: unknown;
}

test("azuredeploy.json: no secure parameter has a default, and no literal looks like a secret", () => {
  const template = JSON.parse(readRepoFile("infra/azuredeploy.json")) as {
    parameters: Record<string, TemplateParameter>;
  };
  for (const [name, parameter] of Object.entries(template.parameters)) {
    if (parameter.type === "securestring") assert.equal(parameter.defaultValue ?? "", "", `${name} has a default`);
  }
  const text = readRepoFile("infra/azuredeploy.json");
  const secretLooking: [string, RegExp][] = [
    ["a private key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
    ["a storage account key", /AccountKey=[A-Za-z0-9+/]{20,}/],
    ["a SAS signature", /[?&]sig=[A-Za-z0-9%+/]{20,}/],
    ["an Entra client secret", /[A-Za-z0-9_~.-]{3}8Q~[A-Za-z0-9_~.-]{31,}/],
    ["a long base64 run", /[A-Za-z0-9+/]{60,}={0,2}/],
  ];
  for (const [what, pattern] of secretLooking) assert.doesNotMatch(text, pattern, `azuredeploy.json holds ${what}`);
});

test("main.parameters.example.json names every required parameter and no secure one", () => {
  const template = JSON.parse(readRepoFile("infra/azuredeploy.json")) as {
    parameters: Record<string, TemplateParameter>;
  };
  const example = JSON.parse(readRepoFile("infra/main.parameters.example.json")) as {
    parameters: Record<string, unknown>;
  };
  for (const [name, parameter] of Object.entries(template.parameters)) {
    if (parameter.defaultValue === undefined) assert.ok(name in example.parameters, `${name} has no default`);
    if (parameter.type === "securestring") assert.ok(!(name in example.parameters), `${name} is secure`);
  }
  for (const name of Object.keys(example.parameters)) assert.ok(name in template.parameters, `${name} is no parameter`);
});
