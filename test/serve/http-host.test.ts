import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { RunningServe } from "../../src/serve/start-serve.js";
import { eventually } from "../helpers/eventually.js";
import { type FixtureServe, fixtureEvents, startFixtureServe } from "./fixture-app.js";

// serve's HTTP side against the fixture app: auth levels and keys, 404 for what is not registered, output bindings
// written before the response, and the host's admin endpoints.

const FUNCTION_KEY = "http-test-function-key";
const MASTER_KEY = "http-test-master-key";
let fixture: FixtureServe;
let serve: RunningServe;
let azurite: { connectionString: string };

before(async () => {
  fixture = await startFixtureServe({ functionKey: FUNCTION_KEY, masterKey: MASTER_KEY });
  serve = fixture.serve;
  azurite = fixture;
});
after(() => fixture.close());

const call = (path: string, init: RequestInit = {}) => fetch(`${serve.url}${path}`, init);

test("auth levels: anonymous open; function takes either key, by code or header; admin takes the master key only", async () => {
  const cases: [string, RequestInit, number][] = [
    ["/api/open", {}, 200],
    ["/api/keyed", {}, 401],
    ["/api/keyed?code=wrong-key", {}, 401],
    [`/api/keyed?code=${FUNCTION_KEY}`, {}, 200],
    ["/api/keyed", { headers: { "x-functions-key": FUNCTION_KEY } }, 200],
    [`/api/keyed?code=${MASTER_KEY}`, {}, 200],
    [`/api/admin-only?code=${FUNCTION_KEY}`, {}, 401],
    ["/api/admin-only", { headers: { "x-functions-key": MASTER_KEY } }, 200],
  ];
  for (const [path, init, status] of cases) {
    assert.equal((await call(path, init)).status, status, `${init.headers ? "header" : "query"} ${path}`);
  }
});

test("routes: the route prefix, optional parameters, the query; a method the function did not register is 404", async () => {
  assert.deepEqual(await (await call("/api/open/42?q=x")).json(), { method: "GET", id: "42", q: "x" });
  assert.deepEqual(await (await call("/API/Open")).json(), { method: "GET", id: null, q: null });
  assert.equal((await call(`/api/keyed?code=${FUNCTION_KEY}`, { method: "DELETE" })).status, 404);
  assert.equal((await call("/api/enqueue")).status, 404, "GET on a POST-only function");
  assert.equal((await call("/api/nothing-here")).status, 404);
  assert.equal((await call("/open")).status, 404, "outside the route prefix");
});

test("output binding: the queue messages are written before the HTTP response is sent", async () => {
  const response = await call("/api/enqueue", { method: "POST", body: JSON.stringify([{ n: 1 }, "two"]) });
  assert.equal(response.status, 202);
  // No waiting: by the time the response arrived, both messages were on the queue, base64 as the extension writes.
  const events = await fixtureEvents(azurite.connectionString);
  assert.deepEqual(events.slice(-2), [{ n: 1 }, { text: "two" }]);
});

test("output binding that cannot be written → 500, so the caller retries", async () => {
  const tooLarge = "x".repeat(70_000); // over Queue Storage's 64 KiB message limit
  const response = await call("/api/enqueue", { method: "POST", body: JSON.stringify([tooLarge]) });
  assert.equal(response.status, 500);
});

test("admin: ping is anonymous; status and the function list need the master key", async () => {
  assert.equal((await call("/admin/host/ping")).status, 200);
  assert.equal((await call("/admin/host/status")).status, 401);
  assert.equal((await call(`/admin/functions?code=${FUNCTION_KEY}`)).status, 401);
  const status = (await (await call(`/admin/host/status?code=${MASTER_KEY}`)).json()) as Record<string, unknown>;
  assert.equal(status.state, "Running");
  assert.equal(status.version, "1.2.3");
  assert.equal(typeof status.processUptime, "number");
  const functions = (await (await call(`/admin/functions?code=${MASTER_KEY}`)).json()) as { name: string }[];
  assert.deepEqual(functions.map((f) => f.name).sort(), ["admin-only", "enqueue", "keyed", "open", "tick", "worker"]);
});

test("admin: POST /admin/functions/<name> answers 202 at once and runs it; unknown → 404; bad body → 400", async () => {
  const fire = (name: string, body: string) =>
    call(`/admin/functions/${name}`, { method: "POST", headers: { "x-functions-key": MASTER_KEY }, body });
  assert.equal((await fire("nope", "{}")).status, 404);
  assert.equal((await fire("worker", "[1]")).status, 400);
  assert.equal((await fire("worker", JSON.stringify({ input: JSON.stringify({ via: "admin" }) }))).status, 202);
  await eventually(
    async () =>
      (await fixtureEvents(azurite.connectionString)).some((e) => JSON.stringify(e.message) === '{"via":"admin"}'),
    "the queue function ran with the input as its message",
  );
});
