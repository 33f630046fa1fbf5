import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { HttpRequest, InvocationContext, type Timer } from "@azure/functions";
import type { SimDirectorySeed } from "../../sim/graph/index.js";
import { startGraphSim } from "../../sim/graph/index.js";
import { startMiSim } from "../../sim/mi/index.js";
import { startLiveLab } from "../../sim/sandbox/live-lab.js";
import { ensureCertificate } from "../../sim/tls/ensure-certificate.js";
import { describeError } from "../../src/errors/sync-error.js";
import { createGraphLifecycleHandler } from "../../src/functions/graph-lifecycle.js";
import { createGraphNotificationsHandler } from "../../src/functions/graph-notifications.js";
import { createReconcileHandler } from "../../src/functions/reconcile.js";
import { buildLiveDeps } from "../../src/functions/runtime.js";
import { createStatusHandler, createStatusPageHandler, createStatusResyncHandler } from "../../src/functions/status.js";
import { createStatusAuditHandler } from "../../src/functions/status-audit.js";
import { createStatusExplainHandler } from "../../src/functions/status-explain.js";
import { createStatusNamesHandler } from "../../src/functions/status-names.js";
import { createSubscriptionsHandler } from "../../src/functions/subscriptions.js";
import { createSyncWorkerHandler } from "../../src/functions/sync-worker.js";
import type { LiveDeps } from "../../src/live/live-deps.js";
import { groupMessage } from "../../src/live/sync-message.js";
import {
  leaks,
  pemSecret,
  pfxBase64,
  plain,
  recordSessionTokens,
  type Secret,
  storageContents,
  Written,
} from "../helpers/secret-scan.js";

// docs/security.md "no secret anywhere" (#11): every path the product has today runs with every secret set, and every
// byte it writes is scanned for each secret: the CLI's stdout and stderr (success and failure), each Functions
// handler's answer and log lines, the status JSON and page, this process's stdout and stderr (the live path logs
// there), run records and every other table row (the audit trail included), queue messages, the status routes (the
// audit trail, explain, suggestions), `explain` on the command line, and the sandbox's live lab end to end.

const root = join(__dirname, "..", "..", "..");
const tag = (name: string): string => `${name}-${randomBytes(16).toString("base64url")}`;

const TENANT_ID = "6b1f3a52-8c0d-4d7e-9f21-3a4b5c6d7e8f";
const SALES = "0a1b2c3d-0000-4000-8000-00000000a001";
const ANN = "0a1b2c3d-0000-4000-8000-00000000b001";
const BOB = "0a1b2c3d-0000-4000-8000-00000000b002";
const seed: SimDirectorySeed = {
  users: [
    { id: ANN, userPrincipalName: "ann@contoso.com", mail: "ann@contoso.com", givenName: "Ann", surname: "T" },
    { id: BOB, userPrincipalName: "bob@contoso.com", mail: "bob@contoso.com", givenName: "Bob", surname: "T" },
  ],
  groups: [{ id: SALES, displayName: "Sales", members: [ANN, BOB] }],
};

function runCli(args: string[], env: Record<string, string | undefined>): Promise<{ status: number; output: string }> {
  const base: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(O365_USERSYNC_|MI_|HTTPS?_PROXY$|https?_proxy$|NO_PROXY$|no_proxy$)/.test(key)) {
      base[key] = value;
    }
  }
  for (const [key, value] of Object.entries(env)) if (value !== undefined) base[key] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, "bin", "mi-o365-usersync.js"), ...args], {
      env: base,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      output += c;
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      output += c;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ status: code ?? 1, output }));
  });
}

/** A context that keeps every log line, at every level. */
function capturingContext(
  written: Written,
  name: string,
  extra: Partial<{ triggerMetadata: Record<string, unknown> }> = {},
) {
  return new InvocationContext({
    invocationId: `scan-${name}`,
    functionName: name,
    logHandler: (level, ...args) => written.add(`log of ${name} (${level})`, args.map(String).join(" ")),
    ...extra,
  });
}

const timer: Timer = {
  isPastDue: false,
  schedule: { adjustForDST: true },
  scheduleStatus: { last: "", next: "", lastUpdated: "" },
};

test("no secret anywhere: CLI, every function, status, run records, tables, logs and the live lab (#11)", {
  timeout: 240_000,
}, async () => {
  const written = new Written();
  const { generate } = await import("selfsigned");
  const pems = await generate([{ name: "commonName", value: "mi-o365-usersync" }], { keySize: 2048 });
  const pem = `${pems.cert}\n${pems.private}`;
  const pfx = pfxBase64(pems.cert, pems.private);
  const clientSecret = tag("client-secret");
  const wrongClientSecret = tag("wrong-client-secret");
  const miKey = tag("mi-app-key");
  const wrongMiKey = tag("wrong-mi-app-key");
  const miToken = tag("mi-personal-token");
  const sessionTokens = new Set<string>();
  const clientStates: string[] = [];

  // This process's own output: the live path's default logger writes there.
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((s) => s.write.bind(s));
  streams.forEach((stream, i) => {
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      written.add(i === 0 ? "this process's stdout" : "this process's stderr", String(chunk));
      return (originals[i] as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
  });

  let functionKey = "";
  try {
    // ---- the CLI, as a separate process, against its own simulators ------------------------------------------------
    const certificate = await ensureCertificate();
    const graph = await startGraphSim({ tenantId: TENANT_ID, clientSecret, clientCertificatePem: pems.cert, seed });
    const mi = await startMiSim({
      applications: [{ applicationId: "scan-app", applicationKey: miKey, canManageUsers: true }],
      personalTokens: [{ token: miToken, username: "admin" }],
    });
    const miProxy = await recordSessionTokens(mi.url, sessionTokens);
    try {
      const dir = mkdtempSync(join(tmpdir(), "mi-scan-"));
      const pemPath = join(dir, "app.pem");
      writeFileSync(pemPath, pem);
      const env = {
        NODE_EXTRA_CA_CERTS: certificate.certPath,
        O365_USERSYNC_TENANT: TENANT_ID,
        O365_USERSYNC_CLIENT_ID: graph.clientId,
        O365_USERSYNC_CLIENT_SECRET: clientSecret,
        O365_USERSYNC_GRAPH_ENDPOINT: graph.url,
        O365_USERSYNC_AUTHORITY_HOST: graph.url,
        MI_URL: miProxy.url,
        MI_APPLICATION_ID: "scan-app",
        MI_APPLICATION_KEY: miKey,
        MI_API_USER: "admin",
      };
      const noSecret = { O365_USERSYNC_CLIENT_SECRET: undefined };
      const runs: { name: string; args: string[]; env?: Record<string, string | undefined>; ok: boolean }[] = [
        { name: "provision --json", args: ["provision", "-a", "Sales", "--json"], ok: true },
        { name: "provision -v --summary full", args: ["provision", "Sales", "-v", "--full-summary"], ok: true },
        { name: "dry run", args: ["provision", "-n", "Sales", "--json"], ok: true },
        {
          name: "certificate file",
          args: ["provision", "Sales", "-v"],
          env: { ...noSecret, O365_USERSYNC_CLIENT_CERTIFICATE: pemPath },
          ok: true,
        },
        { name: "MI personal token", args: ["provision", "Sales", "-v"], env: { MI_API_TOKEN: miToken }, ok: true },
        { name: "explain a user", args: ["explain", "ann@contoso.com", "Sales", "-v"], ok: true },
        { name: "explain a group --json", args: ["explain", "Sales", "Sales", "--json"], ok: true },
        {
          name: "explain, wrong MI key",
          args: ["explain", "ann@contoso.com", "Sales"],
          env: { MI_APPLICATION_KEY: wrongMiKey },
          ok: false,
        },
        {
          name: "PEM text as the certificate setting",
          args: ["provision", "Sales", "-v"],
          env: { ...noSecret, O365_USERSYNC_CLIENT_CERTIFICATE: pem },
          ok: false,
        },
        {
          name: "PFX as the certificate setting",
          args: ["provision", "Sales", "-v"],
          env: { ...noSecret, O365_USERSYNC_CLIENT_CERTIFICATE: pfx },
          ok: false,
        },
        {
          name: "secret and certificate both",
          args: ["provision", "Sales", "-v"],
          env: { O365_USERSYNC_CLIENT_CERTIFICATE: pemPath },
          ok: false,
        },
        {
          name: "wrong client secret",
          args: ["provision", "Sales", "-v"],
          env: { O365_USERSYNC_CLIENT_SECRET: wrongClientSecret },
          ok: false,
        },
        {
          name: "wrong MI key",
          args: ["provision", "Sales", "-v"],
          env: { MI_APPLICATION_KEY: wrongMiKey },
          ok: false,
        },
        {
          name: "secrets on the command line, bad flag",
          args: ["provision", "Sales", "--client-secret", clientSecret, "--mi-application-key", miKey, "--bogus"],
          ok: false,
        },
      ];
      for (const run of runs) {
        const { status, output } = await runCli(run.args, { ...env, ...run.env });
        written.add(`CLI ${run.name} (exit ${status})`, output);
        assert.equal(status === 0, run.ok, `CLI ${run.name}: exit ${status}\n${output.slice(-1500)}`);
      }
      assert.ok(sessionTokens.size > 0, "the CLI runs obtained MI session tokens");
    } finally {
      await miProxy.close();
      await Promise.all([graph.close(), mi.close()]);
    }

    // ---- the Functions app: building it from app settings that hold secrets, and failing ---------------------------
    for (const [name, settings] of [
      ["PFX as the certificate", { O365_USERSYNC_CLIENT_CERTIFICATE: pfx }],
      ["secret and PEM both", { O365_USERSYNC_CLIENT_CERTIFICATE: pem, O365_USERSYNC_CLIENT_SECRET: clientSecret }],
    ] as const) {
      const env = {
        O365_USERSYNC_TENANT: TENANT_ID,
        O365_USERSYNC_CLIENT_ID: "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b",
        MI_URL: "https://mi.invalid",
        MI_APPLICATION_ID: "scan-app",
        MI_APPLICATION_KEY: miKey,
        MI_API_USER: "admin",
        SYNC_GROUPS: "Sales",
        AzureWebJobsStorage: "UseDevelopmentStorage=true",
        ...settings,
      };
      const failing = () => buildLiveDeps(env);
      const error = await failing().then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof Error, `building the app with ${name} fails`);
      written.add(`app build error (${name})`, `${describeError(error)}\n${error.stack ?? ""}`);
      const context = capturingContext(written, `status with ${name}`);
      const answer = await createStatusHandler(failing)(
        new HttpRequest({ method: "GET", url: "https://f.example/api/status" }),
        context,
      );
      assert.equal(answer.status, 503);
      written.add(`status body with ${name}`, answer.body);
    }

    // ---- the live lab: every function, as Azure runs them, on a certificate in the setting (Key Vault style) -------
    const live = await startLiveLab({
      graph: { tenantId: TENANT_ID, clientSecret, clientCertificatePem: pems.cert, seed },
      mi: { applications: [{ applicationId: "scan-app", applicationKey: miKey, canManageUsers: true }] },
      sync: {
        SYNC_GROUPS: "Sales",
        SYNC_AUTO_CREATE: "all",
        O365_USERSYNC_CLIENT_SECRET: "",
        O365_USERSYNC_CLIENT_CERTIFICATE: pem,
      },
      log: (line) => written.add("live lab log", line),
    });
    try {
      functionKey = live.functionKey;
      const deps = live.deps;
      const newSecret = deps.newSecret;
      deps.newSecret = () => {
        const secret = newSecret();
        clientStates.push(secret);
        return secret;
      };
      const getDeps = async (): Promise<LiveDeps> => deps;
      await live.reconcile();
      await live.maintainSubscriptions();
      await live.runner.idle();
      // The app runs in serve, with its own deps: the secrets it made are those it gave Graph (the simulator keeps them).
      for (const subscription of live.lab.graph.subscriptions()) clientStates.push(String(subscription.clientState));
      await createReconcileHandler(getDeps)(timer, capturingContext(written, "reconcile"));
      await createSubscriptionsHandler(getDeps)(timer, capturingContext(written, "subscriptions"));
      assert.ok(clientStates.length > 0, "subscriptions were created with clientState secrets");

      const records = await deps.state.listSubscriptions();
      const sales = records.find((r) => r.resource === `groups/${SALES}`);
      assert.ok(sales, "a subscription on Sales");
      const host = (path: string, init: RequestInit = {}) =>
        fetch(`${live.host.url}${path}${path.includes("?") ? "&" : "?"}code=${live.functionKey}`, init).then(
          async (r) => {
            const body = await r.text();
            written.add(
              `HTTP ${init.method ?? "GET"} ${path} → ${r.status}`,
              `${JSON.stringify([...r.headers])}\n${body}`,
            );
            return r.status;
          },
        );
      const notification = (clientState: string, extra: Record<string, unknown> = {}) => ({
        subscriptionId: sales.id,
        clientState,
        changeType: "updated",
        resource: `Groups/${SALES}`,
        resourceData: { "@odata.type": "#Microsoft.Graph.Group", id: SALES },
        tenantId: TENANT_ID,
        ...extra,
      });
      // One of the secrets the app made is this subscription's (Graph echoes it); the others and a forged one are refused.
      for (const clientState of [...clientStates, "a-forged-client-state"]) {
        const body = JSON.stringify({ value: [notification(clientState)] });
        assert.equal(await host("/api/graph/notifications", { method: "POST", body }), 202);
        const lifecycle = JSON.stringify({
          value: [notification(clientState, { lifecycleEvent: "reauthorizationRequired" })],
        });
        assert.equal(await host("/api/graph/lifecycle", { method: "POST", body: lifecycle }), 202);
      }
      assert.equal(
        await host("/api/graph/notifications?validationToken=Validation%3A%20scan", { method: "POST" }),
        200,
      );
      await live.runner.idle();
      assert.equal(await host("/api/status"), 200);
      assert.equal(await host("/api/status/page"), 200);
      for (const mode of ["plan", "apply"]) {
        await host(`/api/status/resync?mode=${mode}`, { method: "POST", body: JSON.stringify({ group: SALES }) });
        await host(`/api/status/resync?mode=${mode}`, {
          method: "POST",
          body: JSON.stringify({ user: "ann@contoso.com" }),
        });
      }
      await host("/api/status/resync?mode=apply", { method: "POST", body: "{not json" });
      await host("/api/status/resync?mode=plan", { method: "POST", body: JSON.stringify({ group: "Sales" }) });
      assert.equal(await host("/api/status/audit?group=Sales&limit=1000"), 200);
      assert.equal(await host("/api/status/audit?user=ann@contoso.com"), 200);
      const [lastRun] = await deps.state.listRuns({ limit: 1 });
      assert.equal(await host(`/api/status/audit?run=${lastRun?.runId}`), 200);
      assert.equal(await host("/api/status/explain?q=ann@contoso.com"), 200);
      assert.equal(await host("/api/status/explain?q=Sales"), 200);
      assert.equal(await host("/api/status/names?q=a"), 200);
      assert.equal(await host("/api/status/explain?q=%07"), 400);

      // The handlers once more, called directly, so that every log line of every level is kept.
      const worker = createSyncWorkerHandler(getDeps);
      await worker(groupMessage(SALES, "resync", new Date()), capturingContext(written, "sync-worker"));
      await worker(
        { v: 1, kind: "nonsense" },
        capturingContext(written, "sync-worker (bad message)", { triggerMetadata: { dequeueCount: 5 } }),
      ).catch((error: unknown) =>
        written.add("sync-worker error", `${describeError(error)}\n${(error as Error).stack ?? ""}`),
      );
      const webhookDeps = async () => ({
        getSubscription: (id: string) => deps.state.getSubscription(id),
        tenantId: TENANT_ID,
        now: deps.now,
      });
      for (const [name, handler] of [
        ["graph-notifications", createGraphNotificationsHandler(webhookDeps)],
        ["graph-lifecycle", createGraphLifecycleHandler(webhookDeps)],
      ] as const) {
        for (const clientState of [...clientStates.slice(-3), "a-forged-client-state"]) {
          const body = JSON.stringify({
            value: [notification(clientState, { lifecycleEvent: "reauthorizationRequired" })],
          });
          const answer = await handler(
            new HttpRequest({
              method: "POST",
              url: `https://f.example/api/${name}?code=${live.functionKey}`,
              body: { string: body },
            }),
            capturingContext(written, name),
          );
          written.add(`${name} answer`, answer);
        }
      }
      const statusAnswer = await createStatusHandler(getDeps)(
        new HttpRequest({ method: "GET", url: "https://f.example/api/status" }),
        capturingContext(written, "status"),
      );
      written.add("status answer", statusAnswer);
      written.add(
        "status page answer",
        await createStatusPageHandler()(
          new HttpRequest({ method: "GET", url: "https://f.example/api/status/page" }),
          capturingContext(written, "status page"),
        ),
      );
      const resync = await createStatusResyncHandler(getDeps)(
        new HttpRequest({
          method: "POST",
          url: "https://f.example/api/status/resync?mode=apply",
          body: { string: JSON.stringify({ group: SALES }) },
        }),
        capturingContext(written, "status resync"),
      );
      written.add("status resync answer", resync);
      for (const [name, handler, url] of [
        ["status audit", createStatusAuditHandler(getDeps), "https://f.example/api/status/audit?user=ann@contoso.com"],
        ["status explain", createStatusExplainHandler(getDeps), "https://f.example/api/status/explain?q=Sales"],
        ["status names", createStatusNamesHandler(getDeps), "https://f.example/api/status/names?q=s"],
      ] as const) {
        written.add(
          `${name} answer`,
          await handler(new HttpRequest({ method: "GET", url }), capturingContext(written, name)),
        );
      }
      await live.runner.idle();

      const runs = await deps.state.listRuns({ limit: 200 });
      assert.ok(runs.length > 5, `run records: ${runs.length}`);
      assert.ok(
        runs.some((r) => r.kind === "reconcile" && r.status === "succeeded"),
        "the live lab synced (certificate credential, MI application key)",
      );
      assert.ok(
        written.parts.some(
          (p) => p.where.startsWith("HTTP POST /api/graph/notifications → 202") && p.text.includes('"accepted":1'),
        ),
        "a notification with the subscription's own secret was accepted",
      );
      const storage = deps.settings.storage;
      assert.equal(storage.kind, "connectionString", "the lab's state is in Azurite");
      if (storage.kind === "connectionString") await storageContents(storage.connectionString, written);
    } finally {
      await live.close();
    }
  } finally {
    streams.forEach((stream, i) => {
      stream.write = originals[i] as typeof stream.write;
    });
  }

  const secrets: Secret[] = [
    plain("the client secret", clientSecret),
    plain("a wrong client secret", wrongClientSecret),
    pemSecret("the certificate's private key", pems.private),
    { name: "the PFX", fragments: [pfx, pfx.slice(0, 64), pfx.slice(-64)] },
    plain("the MI application key", miKey),
    plain("a wrong MI application key", wrongMiKey),
    plain("the MI personal token", miToken),
    ...[...sessionTokens].map((t, i) => plain(`MI session token ${i + 1}`, t)),
    ...clientStates.map((s, i) => plain(`clientState ${i + 1}`, s)),
    plain("the function key", functionKey),
  ];
  assert.ok(functionKey.length > 0);
  const bytes = written.parts.reduce((n, p) => n + p.text.length, 0);
  assert.ok(
    written.parts.length > 50 && bytes > 10_000,
    `scanned ${written.parts.length} outputs, ${bytes} characters`,
  );
  assert.deepEqual(leaks(written, secrets), [], "a secret was written");
  // The scan itself: one line of the key, printed anywhere, is found.
  const probe = new Written();
  probe.add("probe", `some text ${pems.private.split("\n")[3]} more text`);
  assert.deepEqual(leaks(probe, [pemSecret("the key", pems.private)]), ["the key in probe"]);
});
