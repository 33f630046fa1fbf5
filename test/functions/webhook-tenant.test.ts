import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { HttpRequest, InvocationContext } from "@azure/functions";
import { startAzurite } from "../../sim/azurite/start-azurite.js";
import { type GraphSim, startGraphSim } from "../../sim/graph/index.js";
import { resolveTenantId } from "../../src/entra/resolve-tenant-id.js";
import { UsageError } from "../../src/errors/sync-error.js";
import { createGraphNotificationsHandler } from "../../src/functions/graph-notifications.js";
import { syncQueueOutput } from "../../src/functions/queue-binding.js";
import { getWebhookDeps } from "../../src/functions/runtime.js";
import { sealClientState } from "../../src/live/seal-client-state.js";
import { TableSyncStateStore } from "../../src/state/table-sync-state-store.js";
import { directoryFor } from "../helpers/graph-directory.js";

// The webhook's tenant check when the tenant is configured by domain, as most admins write it: the function builds
// its dependencies from app settings (this process's environment) exactly as in Azure, and resolves the domain to the
// tenant id once, from the Graph simulator's OpenID configuration over real HTTPS.

const GROUP = "4d0ef681-e88f-42a3-a2db-e6bf1e249e10";
const SECRET = "tenant-test-client-state";

let sim: GraphSim;
let azurite: Awaited<ReturnType<typeof startAzurite>>;

before(async () => {
  sim = await startGraphSim();
  azurite = await startAzurite();
  Object.assign(process.env, {
    O365_USERSYNC_TENANT: sim.tenantDomain,
    O365_USERSYNC_AUTHORITY_HOST: sim.url,
    AzureWebJobsStorage: azurite.connectionString,
    SYNC_TABLE_PREFIX: "tenanttest",
  });
  const store = new TableSyncStateStore({ connectionString: azurite.connectionString, tablePrefix: "tenanttest" });
  await store.initialize();
  await store.saveSubscription({
    id: "sub-1",
    resource: `groups/${GROUP}`,
    kind: "group",
    groupId: GROUP,
    clientState: sealClientState(SECRET),
    expirationDateTime: "2030-01-01T00:00:00Z",
    notificationUrl: "https://func.example/api/graph/notifications",
    createdAt: "2026-11-28T00:00:00Z",
  });
});
after(async () => {
  await sim.close();
  await azurite.close();
});

async function notify(tenantId: string | undefined): Promise<unknown[]> {
  const handler = createGraphNotificationsHandler(getWebhookDeps);
  const context = new InvocationContext({ invocationId: "t", functionName: "graph-notifications" });
  const value = [
    {
      subscriptionId: "sub-1",
      clientState: SECRET,
      changeType: "updated",
      resource: `Groups/${GROUP}`,
      resourceData: { "@odata.type": "#Microsoft.Graph.Group", id: GROUP },
      ...(tenantId === undefined ? {} : { tenantId }),
    },
  ];
  const response = await handler(
    new HttpRequest({
      method: "POST",
      url: "https://func.example/api/graph/notifications",
      body: { string: JSON.stringify({ value }) },
    }),
    context,
  );
  assert.equal(response.status, 202);
  return (context.extraOutputs.get(syncQueueOutput) as unknown[] | undefined) ?? [];
}

test("webhook with the tenant configured by domain: another tenant's notification is refused, ours accepted (#11)", async () => {
  assert.deepEqual(await notify("11111111-1111-4111-8111-111111111111"), [], "another tenant → nothing enqueued");
  assert.deepEqual(await notify(undefined), [], "no tenantId → nothing enqueued");
  assert.equal((await notify(sim.tenantId)).length, 1, "our tenant → one message");
  assert.equal((await notify(sim.tenantId.toUpperCase())).length, 1, "ids compare case-insensitively");
  assert.equal(sim.requests.count("GET /openid-configuration"), 1, "the domain is resolved once per process");
});

test("resolveTenantId: a GUID as is, without a request; an unknown domain → UsageError naming the setting", async () => {
  const options = { authorityHost: sim.url };
  assert.equal(await resolveTenantId(sim.tenantId.toUpperCase(), options), sim.tenantId);
  await assert.rejects(resolveTenantId("fabrikam.onmicrosoft.com", options), (error: unknown) => {
    assert.ok(error instanceof UsageError);
    assert.match(error.message, /O365_USERSYNC_TENANT: Entra knows no tenant 'fabrikam\.onmicrosoft\.com'/);
    return true;
  });
  await assert.rejects(resolveTenantId(" ", options), UsageError);
});

test("the simulator's authority accepts the tenant by domain: MSAL signs in and Graph answers", async () => {
  const directory = directoryFor(sim, { tenantId: sim.tenantDomain });
  const group = sim.directory.addGroup({ displayName: "By Domain" });
  const resolution = await directory.resolveGroups({ names: ["By Domain"], ids: [] });
  assert.deepEqual(
    resolution.groups.map((g) => g.id),
    [group.id],
  );
});
