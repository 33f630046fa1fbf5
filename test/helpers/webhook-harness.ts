import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { HttpRequest, InvocationContext } from "@azure/functions";
import { startAzurite } from "../../sim/azurite/start-azurite.js";
import { type GraphSim, type GraphSimOptions, startGraphSim } from "../../sim/graph/index.js";
import { createGraphNotificationsHandler } from "../../src/functions/graph-notifications.js";
import { syncQueueOutput } from "../../src/functions/queue-binding.js";
import { buildLiveDeps } from "../../src/functions/runtime.js";
import type { NotificationDeps } from "../../src/live/handle-notifications.js";
import type { LiveDeps } from "../../src/live/live-deps.js";

/** A clock a test moves by hand; the Graph simulator and the live path both read it. */
export interface TestClock {
  now: () => Date;
  advanceMinutes(minutes: number): void;
}

export function testClock(start = Date.now()): TestClock {
  let ms = start;
  return {
    now: () => new Date(ms),
    advanceMinutes: (minutes) => {
      ms += minutes * 60_000;
    },
  };
}

export const FUNCTION_KEY = "harness-function-key";

/** What one call of the notifications function answered and enqueued. */
export interface WebhookCall {
  status: number;
  headers: Record<string, string>;
  body: string;
  messages: unknown[];
  logs: string[];
}

/**
 * The subscriptions' world without MI: the Graph simulator (on a test clock), Azurite, the production live
 * dependencies built from app settings, and the production `graph-notifications` function served over http (Graph's
 * validation handshake reaches it). `/elsewhere/notify` answers the handshake too: another deployment's webhook.
 */
export interface WebhookHarness {
  sim: GraphSim;
  deps: LiveDeps;
  clock: TestClock;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  notificationUrl: string;
  /** Calls the notifications function as the host would, with a body of notifications. */
  notify(value: unknown[]): Promise<WebhookCall>;
  close(): Promise<void>;
}

export async function startWebhookHarness(
  options: { graph?: GraphSimOptions; settings?: Record<string, string> } = {},
): Promise<WebhookHarness> {
  const clock = testClock();
  const sim = await startGraphSim({ allowHttpNotificationUrls: true, now: clock.now, ...options.graph });
  const azurite = await startAzurite();
  let deps: LiveDeps | undefined;
  const webhookDeps = async (): Promise<Omit<NotificationDeps, "logger">> => {
    if (!deps) throw new Error("not ready");
    const state = deps.state;
    return { getSubscription: (id) => state.getSubscription(id), tenantId: sim.tenantId, now: clock.now };
  };
  const handler = createGraphNotificationsHandler(webhookDeps);
  const call = async (url: string, body: string): Promise<WebhookCall> => {
    const logs: string[] = [];
    const context = new InvocationContext({
      invocationId: "harness",
      functionName: "graph-notifications",
      logHandler: (_level, ...args) => logs.push(args.map(String).join(" ")),
    });
    const request = new HttpRequest({
      method: "POST",
      url,
      headers: { "content-type": "application/json" },
      body: { string: body },
    });
    const answer = await handler(request, context);
    return {
      status: answer.status ?? 200,
      headers: (answer.headers ?? {}) as Record<string, string>,
      body: typeof answer.body === "string" ? answer.body : "",
      messages: (context.extraOutputs.get(syncQueueOutput) as unknown[] | undefined) ?? [],
      logs,
    };
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const token = url.searchParams.get("validationToken");
      if (url.pathname === "/elsewhere/notify") {
        res.writeHead(token === null ? 202 : 200, { "content-type": "text/plain" }).end(token ?? "");
        return;
      }
      call(`http://127.0.0.1${req.url ?? "/"}`, Buffer.concat(chunks).toString("utf8")).then(
        (answer) => res.writeHead(answer.status, answer.headers).end(answer.body),
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const notificationUrl = `${origin}/api/graph/notifications?code=${FUNCTION_KEY}`;
  const built = await buildLiveDeps({
    O365_USERSYNC_TENANT: sim.tenantId,
    O365_USERSYNC_CLIENT_ID: sim.clientId,
    O365_USERSYNC_CLIENT_SECRET: sim.clientSecret,
    O365_USERSYNC_GRAPH_ENDPOINT: sim.url,
    O365_USERSYNC_AUTHORITY_HOST: sim.url,
    // MI is never called here; the settings only have to be valid.
    MI_URL: "https://mi.invalid",
    MI_API_TOKEN: "unused-mi-token",
    MI_API_USER: "admin",
    SYNC_GROUPS: "Sales;Engineering",
    AzureWebJobsStorage: azurite.connectionString,
    NOTIFICATION_URL: notificationUrl,
    ...options.settings,
  });
  deps = { ...built, now: clock.now, logger: { debug() {}, info() {}, warn() {} } };
  return {
    sim,
    deps,
    clock,
    origin,
    notificationUrl,
    notify: (value) => call(notificationUrl, JSON.stringify({ value })),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sim.close();
      await azurite.close();
    },
  };
}

/** A change notification as Graph sends it for a subscription (contract §3.3). */
export function groupNotification(
  sim: GraphSim,
  subscriptionId: string,
  clientState: unknown,
  groupId: string,
): Record<string, unknown> {
  return {
    subscriptionId,
    clientState,
    changeType: "updated",
    resource: `Groups/${groupId}`,
    resourceData: { "@odata.type": "#Microsoft.Graph.Group", "@odata.id": `Groups/${groupId}`, id: groupId },
    tenantId: sim.tenantId,
  };
}
