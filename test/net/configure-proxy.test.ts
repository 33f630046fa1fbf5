import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { type Dispatcher, getGlobalDispatcher, setGlobalDispatcher } from "undici";
import { type GraphSim, startGraphSim } from "../../sim/graph/index.js";
import { GraphEntraDirectory } from "../../src/entra/graph-entra-directory.js";
import { configureProxy } from "../../src/net/configure-proxy.js";
import { startTestProxy, type TestProxy } from "../helpers/http-proxy.js";

describe("configureProxy: Graph and token traffic through an HTTP proxy", () => {
  let sim: GraphSim;
  let proxy: TestProxy;
  let original: Dispatcher;
  const saved = {
    HTTPS_PROXY: process.env.HTTPS_PROXY,
    HTTP_PROXY: process.env.HTTP_PROXY,
    NO_PROXY: process.env.NO_PROXY,
  };

  before(async () => {
    original = getGlobalDispatcher();
    for (const name of ["HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy"]) {
      delete process.env[name];
    }
    sim = await startGraphSim();
    sim.directory.addGroup({ displayName: "MI Sales" });
    proxy = await startTestProxy();
  });
  afterEach(() => {
    setGlobalDispatcher(original);
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  after(async () => {
    await sim.close();
    await proxy.close();
  });

  const directory = () =>
    new GraphEntraDirectory({
      tenantId: sim.tenantId,
      clientId: sim.clientId,
      credential: { kind: "secret", secret: sim.clientSecret },
      graphEndpoint: sim.url,
      authorityHost: sim.url,
    });
  const simHost = () => new URL(sim.url).host;

  it("no proxy given or in the environment → no-op", () => {
    assert.equal(configureProxy({}), false);
    assert.equal(getGlobalDispatcher(), original);
  });

  it("--proxy → token and Graph requests go through CONNECT tunnels", async () => {
    const before = proxy.tunnels.length;
    assert.equal(configureProxy({ proxyUrl: proxy.url }), true);
    const resolution = await directory().resolveGroups({ names: ["MI Sales"], ids: [] });
    assert.equal(resolution.groups.length, 1);
    const tunnels = proxy.tunnels.slice(before);
    assert.ok(tunnels.length >= 1);
    assert.ok(tunnels.every((t) => t === simHost()));
  });

  it("HTTPS_PROXY from the environment is used", async () => {
    const before = proxy.tunnels.length;
    process.env.HTTPS_PROXY = proxy.url;
    assert.equal(configureProxy({}), true);
    await directory().resolveGroups({ names: ["MI Sales"], ids: [] });
    assert.ok(proxy.tunnels.length > before);
  });

  it("NO_PROXY bypasses the proxy for the hosts it lists", async () => {
    const before = proxy.tunnels.length;
    assert.equal(configureProxy({ proxyUrl: proxy.url, noProxy: "localhost,127.0.0.1" }), true);
    const resolution = await directory().resolveGroups({ names: ["MI Sales"], ids: [] });
    assert.equal(resolution.groups.length, 1);
    assert.equal(proxy.tunnels.length, before);
  });
});
