import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { QueueClient } from "@azure/storage-queue";
import { type RunningAzurite, startAzurite } from "../../sim/azurite/start-azurite.js";
import { freePort } from "../../sim/sandbox/free-port.js";
import { type ServeProcess, spawnServe } from "../../sim/sandbox/spawn-serve.js";
import { startStorageFaultProxy } from "../../sim/sandbox/storage-fault-proxy.js";
import { eventually } from "../helpers/eventually.js";
import { FIXTURE_SETTINGS, fixtureAppRoot, fixtureEvents, sendFixtureMessage } from "./fixture-app.js";

// `mi-o365-usersync serve` as its own process, as an admin runs it: exit statuses, readiness, SIGTERM, and the timer
// singleton shared by two processes on one storage account.

const MASTER_KEY = "process-test-master-key";
let azurite: RunningAzurite;
let appRoot: string;

before(async () => {
  azurite = await startAzurite();
  appRoot = fixtureAppRoot();
});
after(() => azurite.close());

/** serve on the fixture app, in a fresh working folder (so no local.settings.json or .serve/ is picked up). */
function serveFixture(args: string[], extraEnv: Record<string, string> = {}): ServeProcess {
  return spawnServe({
    args,
    cwd: mkdtempSync(join(tmpdir(), "serve-cwd-")),
    env: {
      PATH: process.env.PATH,
      AzureWebJobsScriptRoot: appRoot,
      FUNCTIONS_DEFAULT_KEY: "process-test-function-key",
      FUNCTIONS_MASTER_KEY: MASTER_KEY,
      ...FIXTURE_SETTINGS,
      ...extraEnv,
    },
  });
}

const release = () => sendFixtureMessage(azurite.connectionString, "fixture-release", "go");
const events = (kind: string) =>
  fixtureEvents(azurite.connectionString).then((all) => all.filter((e) => e.event === kind));

test("exit 2: a bad option or a bad host.json, with one line naming it", async () => {
  const badPort = serveFixture(["--port", "http"]);
  assert.equal(await badPort.exited, 2);
  assert.deepEqual(badPort.stderr, ["mi-o365-usersync serve: --port must be a port number, 0 to 65535"]);
  const badHostJson = serveFixture(["--storage", azurite.connectionString], {
    AzureWebJobsScriptRoot: fixtureAppRoot({ version: "2.0", extensions: { queues: { batchSize: "lots" } } }),
  });
  assert.equal(await badHostJson.exited, 2);
  assert.equal(badHostJson.stderr.length, 1);
  assert.match(badHostJson.stderr[0]!, /host\.json: extensions\.queues\.batchSize/);
});

test("exit 5: storage that cannot be reached at start", async () => {
  const closed = await freePort();
  const unreachable = azurite.connectionString.replace(/http:\/\/127\.0\.0\.1:\d+/g, `http://127.0.0.1:${closed}`);
  const serve = serveFixture(["--storage", unreachable]);
  assert.equal(await serve.exited, 5);
  assert.match(serve.stderr.at(-1)!, /storage unreachable at start/);
});

test("/admin/host/ping answers 503 until storage answers, then 200", async () => {
  const table = /TableEndpoint=(http:\/\/[^/;]+)/.exec(azurite.connectionString)![1]!;
  const gate = await startStorageFaultProxy(table);
  gate.pause();
  const port = await freePort();
  const serve = serveFixture([
    "--port",
    String(port),
    "--storage",
    azurite.connectionString.replace(table, gate.origin),
  ]);
  const ping = () =>
    fetch(`http://127.0.0.1:${port}/admin/host/ping`).then(
      (r) => r.status,
      () => 0,
    );
  try {
    await eventually(async () => (await ping()) === 503, "503 while storage does not answer");
    gate.resume();
    await serve.ready;
    assert.equal(await ping(), 200);
  } finally {
    gate.resume();
    assert.equal(await serve.stop(), 0);
    await gate.close();
  }
});

test("SIGTERM: no new messages are fetched, the running one finishes, exit 0", async () => {
  const serve = serveFixture(["--storage", azurite.connectionString]);
  await serve.ready;
  await sendFixtureMessage(azurite.connectionString, "fixture-in", { tag: "held", hold: true });
  await eventually(async () => (await events("delivery")).some((e) => isTagged(e, "held")), "the held message running");
  serve.kill("SIGTERM");
  await serve.logged(/stopping: no new messages/);
  await sendFixtureMessage(azurite.connectionString, "fixture-in", { tag: "after-sigterm" });
  await release();
  assert.equal(await serve.exited, 0);
  assert.ok(
    (await events("done")).some((e) => isTagged(e, "held")),
    "the running invocation finished",
  );
  assert.ok(!(await events("delivery")).some((e) => isTagged(e, "after-sigterm")), "nothing fetched after SIGTERM");
  const left = await new QueueClient(azurite.connectionString, "fixture-in").receiveMessages({ numberOfMessages: 32 });
  assert.deepEqual(
    left.receivedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, "base64").toString("utf8")).tag),
    ["after-sigterm"],
    "the held message was completed; the later one waits for the next instance",
  );
  for (const m of left.receivedMessageItems) {
    await new QueueClient(azurite.connectionString, "fixture-in").deleteMessage(m.messageId, m.popReceipt);
  }
});

test("a second signal ends the process at once; the running message is left to reappear", async () => {
  const serve = serveFixture(["--storage", azurite.connectionString]);
  await serve.ready;
  await sendFixtureMessage(azurite.connectionString, "fixture-in", { tag: "abandoned", hold: true });
  await eventually(
    async () => (await events("delivery")).some((e) => isTagged(e, "abandoned")),
    "the held message running",
  );
  serve.kill("SIGTERM");
  await serve.logged(/stopping/);
  serve.kill("SIGTERM");
  assert.equal(await serve.exited, 1);
  const props = await new QueueClient(azurite.connectionString, "fixture-in").getProperties();
  assert.equal(props.approximateMessagesCount, 1, "still on the queue, hidden until its invisibility lapses");
});

test("timer singleton: runs fired in two processes on one storage account never overlap; the second waits", async () => {
  const [a, b] = [
    serveFixture(["--storage", azurite.connectionString]),
    serveFixture(["--storage", azurite.connectionString]),
  ];
  try {
    const urls = await Promise.all([a.ready, b.ready]);
    const fire = (url: string) =>
      fetch(`${url}/admin/functions/tick`, {
        method: "POST",
        headers: { "x-functions-key": MASTER_KEY },
        body: JSON.stringify({ input: "" }),
      }).then((r) => r.status);
    assert.deepEqual(await Promise.all(urls.map(fire)), [202, 202]);
    await eventually(async () => (await events("start")).length === 1, "one run started");
    const [first] = await events("start");
    const waiting = first!.pid === a.pid ? b : a;
    await waiting.logged(/waiting for the singleton lock/);
    assert.equal((await events("start")).length, 1, "the other instance waits while the first runs");
    await release();
    await eventually(async () => (await events("start")).length === 2, "the second run started");
    const order = (await fixtureEvents(azurite.connectionString))
      .filter((e) => e.event === "start" || e.event === "end")
      .map((e) => `${e.event}:${e.pid === first!.pid ? "first" : "second"}`);
    assert.deepEqual(order, ["start:first", "end:first", "start:second"]);
    assert.equal((await events("start"))[1]!.pid, waiting.pid);
    await release();
    await eventually(async () => (await events("end")).length === 2, "the second run ended");
  } finally {
    assert.deepEqual(await Promise.all([a.stop(), b.stop()]), [0, 0]);
  }
});

const isTagged = (event: Record<string, unknown>, tag: string): boolean =>
  (event.message as { tag?: string } | undefined)?.tag === tag;
