import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { type GraphSim, startGraphSim } from "../../sim/graph/index.js";
import type { CreateSubscriptionInput } from "../../src/entra/entra-subscriptions.js";
import type { GraphEntraDirectory } from "../../src/entra/graph-entra-directory.js";
import { SubscriptionError } from "../../src/entra/subscription-error.js";
import { ServiceError } from "../../src/errors/sync-error.js";
import { directoryFor } from "../helpers/graph-directory.js";

const CLIENT_STATE = "s3cret-client-state-value";
const FUNCTION_KEY = "func-key-abc123";
const HOUR_MS = 60 * 60 * 1000;

/**
 * A tiny webhook: `/notify` answers Graph's validation request with 200 text/plain and the decoded token; `/broken`
 * answers 500. Counts validation requests.
 */
async function startWebhook(): Promise<{ url: string; validations: number; close: () => Promise<void> }> {
  const state = { validations: 0 };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    req.resume();
    req.on("end", () => {
      const token = url.searchParams.get("validationToken");
      if (token !== null) state.validations++;
      if (url.pathname === "/notify" && token !== null) {
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.end(token);
        return;
      }
      res.writeHead(url.pathname === "/broken" ? 500 : 202);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get validations() {
      return state.validations;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The error and everything it carries must not hold the clientState or the function key. */
function assertNoSecrets(error: unknown): void {
  assert.ok(error instanceof Error);
  const text = `${error.message} ${JSON.stringify(error)} ${String(error.cause ?? "")}`;
  assert.ok(!text.includes(CLIENT_STATE), "clientState leaked into the error");
  assert.ok(!text.includes(FUNCTION_KEY), "the function key leaked into the error");
}

describe("GraphEntraDirectory subscriptions", () => {
  let sim: GraphSim;
  let quotaSim: GraphSim;
  let webhook: Awaited<ReturnType<typeof startWebhook>>;
  let directory: GraphEntraDirectory;
  const groupId = "00000000-0000-4000-8000-0000000000e1";

  const input = (overrides: Partial<CreateSubscriptionInput> = {}): CreateSubscriptionInput => ({
    resource: `groups/${groupId}`,
    changeType: "updated,deleted",
    notificationUrl: `${webhook.url}/notify?code=${FUNCTION_KEY}`,
    expirationDateTime: new Date(Date.now() + 24 * HOUR_MS),
    clientState: CLIENT_STATE,
    ...overrides,
  });

  before(async () => {
    webhook = await startWebhook();
    sim = await startGraphSim({ allowHttpNotificationUrls: true });
    sim.directory.addGroup({ id: groupId, displayName: "MI Sales" });
    quotaSim = await startGraphSim({ allowHttpNotificationUrls: true, subscriptionQuota: 1 });
    quotaSim.directory.addGroup({ id: groupId, displayName: "MI Sales" });
    directory = directoryFor(sim);
  });
  after(async () => {
    await sim.close();
    await quotaSim.close();
    await webhook.close();
  });

  it("create (after the validation handshake), renew, reauthorize, list, delete twice", async () => {
    const validationsBefore = webhook.validations;
    const expiry = new Date(Date.now() + 24 * HOUR_MS);
    const created = await directory.createSubscription(input({ expirationDateTime: expiry }));
    assert.equal(webhook.validations, validationsBefore + 1);
    assert.equal(created.resource, `groups/${groupId}`);
    assert.equal(created.changeType, "updated,deleted");
    assert.equal(created.notificationUrl, `${webhook.url}/notify?code=${FUNCTION_KEY}`);
    assert.equal(Date.parse(created.expirationDateTime), expiry.getTime());
    assert.ok(!("clientState" in created), "clientState is not handed back");

    const later = new Date(Date.now() + 48 * HOUR_MS);
    const renewed = await directory.renewSubscription(created.id, later);
    assert.equal(renewed.id, created.id);
    assert.equal(Date.parse(renewed.expirationDateTime), later.getTime());

    await directory.reauthorizeSubscription(created.id);

    const listed = await directory.listSubscriptions();
    assert.deepEqual(
      listed.map((s) => s.id),
      [created.id],
    );
    assert.equal(listed[0]?.expirationDateTime, renewed.expirationDateTime);

    await directory.deleteSubscription(created.id);
    await directory.deleteSubscription(created.id); // unknown id: success
    assert.deepEqual(await directory.listSubscriptions(), []);
  });

  it("renew or reauthorize an unknown subscription → entra.subscription_not_found", async () => {
    const unknown = "11111111-2222-4333-8444-555555555555";
    await assert.rejects(directory.renewSubscription(unknown, new Date(Date.now() + HOUR_MS)), (error) => {
      assert.ok(error instanceof SubscriptionError);
      assert.equal(error.code, "entra.subscription_not_found");
      assert.equal(error.status, 404);
      return true;
    });
    await assert.rejects(directory.reauthorizeSubscription(unknown), { code: "entra.subscription_not_found" });
  });

  it("a failing validation handshake → entra.subscription_validation, no secret in the error", async () => {
    await assert.rejects(
      directory.createSubscription(input({ notificationUrl: `${webhook.url}/broken?code=${FUNCTION_KEY}` })),
      (error) => {
        assert.ok(error instanceof SubscriptionError);
        assert.equal(error.code, "entra.subscription_validation");
        assert.equal(error.status, 400);
        assertNoSecrets(error);
        return true;
      },
    );
    assert.deepEqual(await directory.listSubscriptions(), []);
  });

  it("over the quota → entra.subscription_quota, no secret in the error", async () => {
    const quotaDirectory = directoryFor(quotaSim);
    const first = await quotaDirectory.createSubscription(input());
    await assert.rejects(quotaDirectory.createSubscription(input({ resource: "users" })), (error) => {
      assert.ok(error instanceof SubscriptionError);
      assert.equal(error.code, "entra.subscription_quota");
      assert.equal(error.status, 403);
      assertNoSecrets(error);
      return true;
    });
    await quotaDirectory.deleteSubscription(first.id);
  });

  it("creation is retried on 503 but not after a 504 gateway timeout (it may have reached Graph)", async () => {
    sim.faults.inject({ match: "/v1.0/subscriptions", status: 503, retryAfter: "0" });
    sim.requests.reset();
    const created = await directory.createSubscription(input());
    assert.equal(sim.requests.count("POST /subscriptions"), 2);
    await directory.deleteSubscription(created.id);

    sim.faults.inject({ match: "/v1.0/subscriptions", status: 504 });
    sim.requests.reset();
    await assert.rejects(directory.createSubscription(input()), (error) => {
      assert.ok(error instanceof ServiceError);
      assert.equal(error.code, "entra.unavailable");
      assertNoSecrets(error);
      return true;
    });
    assert.equal(sim.requests.count("POST /subscriptions"), 1);
  });

  it("a clientState over 128 characters → RangeError before any request", async () => {
    await assert.rejects(directory.createSubscription(input({ clientState: "x".repeat(129) })), RangeError);
  });
});
