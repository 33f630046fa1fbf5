import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Dispatcher, getGlobalDispatcher, setGlobalDispatcher } from "undici";
import { type MiSim, startMiSim } from "../../sim/mi/index.js";
import { MiRestDirectory } from "../../src/mi/mi-rest-directory.js";
import { configureProxy } from "../../src/net/configure-proxy.js";
import { startTestProxy, type TestProxy } from "../helpers/http-proxy.js";

let sim: MiSim;
let proxy: TestProxy;
let original: Dispatcher;
const saved = { NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy };

before(async () => {
  original = getGlobalDispatcher();
  delete process.env.NO_PROXY;
  delete process.env.no_proxy;
  sim = await startMiSim();
  proxy = await startTestProxy();
});
after(async () => {
  setGlobalDispatcher(original);
  for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value;
  await sim.close();
  await proxy.close();
});

test("--proxy: MI requests (token, reads, writes) go through the proxy too", async () => {
  assert.equal(configureProxy({ proxyUrl: proxy.url }), true);
  const mi = new MiRestDirectory({
    baseUrl: sim.url,
    auth: { kind: "application", applicationId: "sim-app", applicationKey: "sim-app-key", username: "admin" },
  });
  await mi.connect();
  const group = await mi.createGroup("Through The Proxy");
  assert.ok((await mi.listGroups()).some((g) => g.id === group.id));
  // undici's proxy agent tunnels plain http too (CONNECT), on keep-alive connections: one or a few tunnels, all to MI.
  const host = new URL(sim.url).host;
  assert.ok(proxy.tunnels.length > 0, "MI traffic went through the proxy");
  assert.deepEqual([...new Set(proxy.tunnels)], [host]);
});
