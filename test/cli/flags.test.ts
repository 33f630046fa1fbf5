import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type Lab, type LabOptions, startLab } from "../../sim/sandbox/lab.js";
import { startTestProxy } from "../helpers/http-proxy.js";
import { miMembers, seedTenant, type TestTenant } from "./tenant.js";

// One test per flag (or per small family of flags): each starts fresh simulators, runs the real command, and
// asserts the resulting MI state.

const APP_ID = "11111111-2222-3333-4444-555555555555";

async function withLab(fn: (lab: Lab, tenant: TestTenant) => Promise<void>, options: LabOptions = {}): Promise<void> {
  const lab = await startLab(options);
  try {
    await fn(lab, seedTenant(lab, APP_ID));
  } finally {
    await lab.close();
  }
}

async function ok(lab: Lab, args: string[], env?: Record<string, string | undefined>): Promise<string> {
  const run = await lab.runCli(args, env);
  assert.equal(run.status, 0, `exit ${run.status}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run.stdout;
}

test("--tenant, --client-id, --client-secret as flags (environment unset) authenticate to Entra", () =>
  withLab(async (lab) => {
    await ok(
      lab,
      [
        "provision",
        "-a",
        "Sales",
        "--tenant",
        lab.graph.tenantId,
        "--client-id",
        lab.graph.clientId,
        "--client-secret",
        lab.graph.clientSecret,
      ],
      { O365_USERSYNC_TENANT: undefined, O365_USERSYNC_CLIENT_ID: undefined, O365_USERSYNC_CLIENT_SECRET: undefined },
    );
    assert.equal(miMembers(lab, "Sales").length, 3);
  }));

test("--graph-endpoint and --authority-host as flags; --mi-url, --mi-application-id/-key, --mi-user as flags", () =>
  withLab(async (lab) => {
    const env = lab.env;
    await ok(
      lab,
      [
        "provision",
        "-a",
        "Sales",
        "--graph-endpoint",
        env.O365_USERSYNC_GRAPH_ENDPOINT!,
        "--authority-host",
        env.O365_USERSYNC_AUTHORITY_HOST!,
        "--mi-url",
        env.MI_URL!,
        "--mi-application-id",
        env.MI_APPLICATION_ID!,
        "--mi-application-key",
        env.MI_APPLICATION_KEY!,
        "--mi-user",
        env.MI_API_USER!,
      ],
      {
        O365_USERSYNC_GRAPH_ENDPOINT: "https://graph.invalid",
        O365_USERSYNC_AUTHORITY_HOST: "https://login.invalid",
        MI_URL: undefined,
        MI_APPLICATION_ID: undefined,
        MI_APPLICATION_KEY: undefined,
        MI_API_USER: undefined,
      },
    );
    assert.equal(miMembers(lab, "Sales").length, 3);
  }));

test("--mi-token: a personal Bearer token instead of application credentials", () =>
  withLab(
    async (lab) => {
      await ok(lab, ["provision", "-a", "Sales"], {
        MI_APPLICATION_ID: undefined,
        MI_APPLICATION_KEY: undefined,
        MI_API_USER: undefined,
        MI_API_TOKEN: "personal-token-1",
      });
      assert.equal(miMembers(lab, "Sales").length, 3);
      assert.equal(lab.mi.requests.tokenRequests, 0);
    },
    { mi: { personalTokens: [{ token: "personal-token-1", username: "admin" }] } },
  ));

test("--client-certificate: certificate credential instead of a secret", async () => {
  const { generate } = await import("selfsigned");
  const pems = await generate([{ name: "commonName", value: "mi-o365-usersync" }], { keySize: 2048 });
  const dir = mkdtempSync(join(tmpdir(), "mi-cert-"));
  const pemPath = join(dir, "app.pem");
  writeFileSync(pemPath, `${pems.cert}\n${pems.private}`);
  await withLab(
    async (lab) => {
      await ok(lab, ["provision", "-a", "Sales", "--client-certificate", pemPath], {
        O365_USERSYNC_CLIENT_SECRET: undefined,
      });
      assert.equal(miMembers(lab, "Sales").length, 3);
    },
    { graph: { clientCertificatePem: pems.cert } },
  );
});

test("-t power_user --force: new users get the type; existing users are retyped only with --force", () =>
  withLab(async (lab) => {
    await ok(lab, ["provision", "-a", "Sales", "-t", "power_user"]);
    assert.equal(lab.mi.state.userByUsername("ann@contoso.com")?.type, "power");
    await ok(lab, ["provision", "Sales", "-t", "regular"]);
    assert.equal(lab.mi.state.userByUsername("ann@contoso.com")?.type, "power", "no retype without --force");
    await ok(lab, ["provision", "Sales", "-t", "regular", "--force"]);
    assert.equal(lab.mi.state.userByUsername("ann@contoso.com")?.type, "regular");
  }));

test("--username-attr, --first-name-attr, --last-name-attr, --email-attr map other Graph properties", () =>
  withLab(async (lab) => {
    await ok(lab, [
      "provision",
      "-a",
      "Sales",
      "--username-attr",
      "mail",
      "--first-name-attr",
      "department",
      "--last-name-attr",
      "givenName",
      "--email-attr",
      "userPrincipalName",
    ]);
    const ann = lab.mi.state.userByUsername("ann@contoso.com");
    assert.equal(ann?.firstName, "Finance");
    const jane = lab.mi.state.userByUsername("jane@partner.com");
    assert.ok(jane, "guest's username comes from mail");
    assert.equal(jane?.email, "jane_partner.com#EXT#@contoso.onmicrosoft.com");
  }));

test("--skip-default-group: synced users are not added to the Default Group", () =>
  withLab(async (lab) => {
    await ok(lab, ["provision", "-a", "Sales", "--skip-default-group"]);
    assert.deepEqual(
      miMembers(lab, "Default Group").filter((u) => u !== "admin"),
      [],
    );
    assert.equal(miMembers(lab, "Sales").length, 3);
  }));

test("--auto-create groups: groups are created but only existing users are updated", () =>
  withLab(async (lab) => {
    lab.mi.state.addUser({ username: "ann@contoso.com", email: "ann@contoso.com", type: "regular" });
    const out = await ok(lab, ["provision", "--auto-create", "groups", "Sales"]);
    assert.deepEqual(miMembers(lab, "Sales"), ["ann@contoso.com"]);
    assert.match(out, /not created \(--auto-create groups/);
  }));

test("no --auto-create: a group missing in MI is not synced; an existing one gets its users created", () =>
  withLab(async (lab) => {
    lab.mi.state.addGroup("Engineering");
    const out = await ok(lab, ["provision", "Sales", "Engineering"]);
    assert.equal(lab.mi.state.groupByName("Sales"), undefined);
    assert.deepEqual(miMembers(lab, "Engineering"), ["cat@contoso.com"]);
    assert.match(out, /MI group 'Sales' does not exist/);
  }));

test("-a followed by a group name means --auto-create all and keeps the group (rule 12)", () =>
  withLab(async (lab) => {
    await ok(lab, ["provision", "-a", "Engineering"]);
    assert.deepEqual(miMembers(lab, "Engineering"), ["cat@contoso.com"]);
  }));

test("--target-group: every selected group syncs into one MI group", () =>
  withLab(async (lab) => {
    await ok(lab, ["provision", "-a", "Sales", "Engineering", "--target-group", "Everyone"]);
    assert.deepEqual(miMembers(lab, "Everyone"), [
      "ann@contoso.com",
      "bob@contoso.com",
      "cat@contoso.com",
      "jane_partner.com#EXT#@contoso.onmicrosoft.com",
    ]);
    assert.equal(lab.mi.state.groupByName("Sales"), undefined);
  }));

test("--filter: groups whose name starts with the prefix (case-insensitive), united with named groups", () =>
  withLab(async (lab) => {
    await ok(lab, ["provision", "-a", "--filter", "eng", "Sales"]);
    assert.ok(lab.mi.state.groupByName("Engineering"));
    assert.ok(lab.mi.state.groupByName("Sales"));
    assert.equal(lab.mi.state.groupByName("Platform"), undefined);
  }));

test("groups by object id", () =>
  withLab(async (lab, tenant) => {
    await ok(lab, ["provision", "-a", tenant.groups.Platform!]);
    assert.deepEqual(miMembers(lab, "Platform"), ["dan@contoso.com"]);
  }));

test("--custom-user-attribute with --custom-attr-app-id and --trusted-server-username-attr write the extras", () =>
  withLab(async (lab) => {
    await ok(lab, [
      "provision",
      "-a",
      "Sales",
      "--custom-user-attribute",
      "costCenter",
      "--custom-attr-app-id",
      APP_ID,
      "--trusted-server-username-attr",
      "extensionAttribute3",
    ]);
    const ann = lab.mi.state.userByUsername("ann@contoso.com");
    const bob = lab.mi.state.userByUsername("bob@contoso.com");
    assert.equal(ann?.customAttributes.costCenter, "CC-1");
    assert.equal(bob?.trustedServerUsername, "bobby");
    lab.mi.requests.reset();
    await ok(lab, [
      "provision",
      "Sales",
      "--custom-user-attribute",
      "costCenter",
      "--custom-attr-app-id",
      APP_ID,
      "--trusted-server-username-attr",
      "extensionAttribute3",
    ]);
    assert.equal(lab.mi.requests.writes, 0, "unchanged extras are not rewritten");
  }));

test("--map-attr-to-group: users join the MI groups their attribute names", () =>
  withLab(async (lab) => {
    await ok(lab, ["provision", "-a", "Sales", "--map-attr-to-group", "department"]);
    assert.deepEqual(miMembers(lab, "Finance"), ["ann@contoso.com"]);
    assert.deepEqual(miMembers(lab, "Audit"), ["bob@contoso.com"]);
  }));

test("--attributes-transformation: Python-style rules shape username and email", () =>
  withLab(async (lab) => {
    await ok(lab, [
      "provision",
      "-a",
      "Sales",
      "--attributes-transformation",
      "[{'attr_name': 'username', 'action': '^([a-zA-Z0-9._%+-]+)@', 'method': 'match'}, {'attr_name': 'email', 'action': 'contoso,example', 'method': 'sub'}]",
    ]);
    assert.equal(lab.mi.state.userByUsername("ann")?.email, "ann@example.com");
  }));

test("--process-users list and @file: only those users are synced", () =>
  withLab(async (lab) => {
    const dir = mkdtempSync(join(tmpdir(), "mi-users-"));
    const file = join(dir, "users.txt");
    writeFileSync(file, "# finance\r\nANN@contoso.com\r\n\r\n");
    await ok(lab, ["provision", "-a", "Sales", "--process-users", `@${file}`]);
    assert.deepEqual(miMembers(lab, "Sales"), ["ann@contoso.com"]);
    await ok(lab, ["provision", "Sales", "--process-users", "bob@contoso.com,jane@partner.com"]);
    assert.deepEqual(miMembers(lab, "Sales"), [
      "ann@contoso.com",
      "bob@contoso.com",
      "jane_partner.com#EXT#@contoso.onmicrosoft.com",
    ]);
  }));

test("--username: one user only, credentials from the environment", () =>
  withLab(async (lab) => {
    await ok(lab, ["provision", "-a", "Sales", "--username", "bob@contoso.com"]);
    assert.deepEqual(miMembers(lab, "Sales"), ["bob@contoso.com"]);
  }));

test("-q prints no summary; --full-summary lists every operation; -v logs steps on stderr", () =>
  withLab(async (lab) => {
    const quiet = await lab.runCli(["provision", "-a", "Sales", "-q"]);
    assert.equal(quiet.status, 0);
    assert.equal(quiet.stdout, "");
    lab.graph.directory.removeMember(
      lab.graph.directory.listGroups().find((g) => g.displayName === "Sales")!.id,
      lab.graph.directory.findUserByUpn("bob@contoso.com")!.id,
    );
    const full = await lab.runCli(["provision", "Sales", "--full-summary", "-v"]);
    assert.equal(full.status, 0);
    assert.match(full.stdout, /\[applied\] remove bob@contoso.com from 'Sales'/);
    assert.match(full.stderr, /Entra: 1 group\(s\) selected/);
  }));

test("--max-removals: over the limit → exit 3 and nothing written; raising it applies", () =>
  withLab(async (lab, tenant) => {
    await ok(lab, ["provision", "-a", "Sales"]);
    for (const u of ["ann", "bob", "guest"]) lab.graph.directory.removeMember(tenant.groups.Sales!, tenant.users[u]!);
    lab.mi.requests.reset();
    const refused = await lab.runCli(["provision", "Sales", "--max-removals", "2"]);
    assert.equal(refused.status, 3, refused.stderr);
    assert.match(refused.stderr, /refused by --max-removals: the plan removes or disables 3, the limit is 2/);
    assert.equal(lab.mi.requests.writes, 0);
    await ok(lab, ["provision", "Sales", "--max-removals", "100%"]);
    assert.deepEqual(miMembers(lab, "Sales"), []);
  }));

test("--json: one JSON object with dryRun, counts, operations, errors", () =>
  withLab(async (lab) => {
    const doc = JSON.parse(await ok(lab, ["provision", "-a", "Sales", "--json"])) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc).slice(0, 3), ["dryRun", "command", "outcome"]);
    const counts = doc.counts as Record<string, number>;
    for (const key of [
      "groupsCreated",
      "usersCreated",
      "usersUpdated",
      "usersEnabled",
      "usersDisabled",
      "membershipsAdded",
      "membershipsRemoved",
      "failed",
      "warnings",
    ]) {
      assert.equal(typeof counts[key], "number", key);
    }
    const operations = doc.operations as { op: string; status: string; reason: string }[];
    assert.ok(operations.every((o) => o.op && o.status === "applied" && o.reason));
    assert.deepEqual(doc.errors, []);
  }));

test("--version and --help", () =>
  withLab(async (lab) => {
    assert.match(await ok(lab, ["--version"]), /^\d+\.\d+\.\d+/);
    const help = await ok(lab, ["provision", "--help"]);
    for (const flag of [
      "--auto-create",
      "--max-removals",
      "--mi-url",
      "--process-users",
      "--attributes-transformation",
      "Exit status",
    ]) {
      assert.ok(help.includes(flag), flag);
    }
  }));

test("--proxy: token, Graph and MI traffic all go through the proxy", async () => {
  const proxy = await startTestProxy();
  try {
    await withLab(async (lab) => {
      await ok(lab, ["provision", "-a", "Sales", "--proxy", proxy.url]);
      assert.equal(miMembers(lab, "Sales").length, 3);
      const graphHost = new URL(lab.graph.url).host;
      assert.ok(proxy.tunnels.includes(graphHost), `Graph through the proxy; tunnels: ${proxy.tunnels.join(", ")}`);
      // undici's proxy agent may tunnel plain-http targets with CONNECT too; either way MI goes through the proxy.
      const miHost = new URL(lab.mi.url).host;
      assert.ok(
        proxy.tunnels.includes(miHost) || proxy.forwarded.some((r) => r.includes(miHost)),
        `MI through the proxy; tunnels: ${proxy.tunnels.join(", ")}; forwarded: ${proxy.forwarded.join(", ")}`,
      );
    });
  } finally {
    await proxy.close();
  }
});
