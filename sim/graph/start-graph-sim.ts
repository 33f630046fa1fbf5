import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { ensureCertificate } from "../tls/ensure-certificate.js";
import { AccessTokenStore } from "./access-tokens.js";
import { GraphFaults } from "./graph-faults.js";
import { resolveNotificationSettings } from "./graph-notifications.js";
import { GraphRequestLog } from "./graph-request-log.js";
import { type GraphResponse, graphError, newRequestIds, type RequestIds } from "./graph-response.js";
import type { GraphSim, GraphSimOptions } from "./graph-sim-options.js";
import { NotificationEmitter } from "./notification-emitter.js";
import { PageStore } from "./page-store.js";
import { describeRoute, routeGraphRequest } from "./route-graph-request.js";
import type { GraphRequest, SimContext } from "./sim-context.js";
import { SimDirectory } from "./sim-directory.js";
import { subscriptionJson } from "./sim-subscription.js";
import { SubscriptionStore } from "./subscription-store.js";
import { handleTokenRequest, openIdConfiguration, signingKeys, type TokenEndpointConfig } from "./token-endpoint.js";

const DEFAULT_TENANT_ID = "8c3f1e2a-5b6d-4e7f-9a0b-1c2d3e4f5a6b";
const DEFAULT_TENANT_DOMAIN = "contoso.onmicrosoft.com";
const DEFAULT_CLIENT_ID = "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b";
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000;

/** Starts the Microsoft Graph + Entra token endpoint simulator over HTTPS on localhost. */
export async function startGraphSim(options: GraphSimOptions = {}): Promise<GraphSim> {
  const certificate = await ensureCertificate(options.certificateDir);
  const tenantId = (options.tenantId ?? DEFAULT_TENANT_ID).toLowerCase();
  const tenantDomain = (options.tenantDomain ?? DEFAULT_TENANT_DOMAIN).toLowerCase();
  const clientId = (options.clientId ?? DEFAULT_CLIENT_ID).toLowerCase();
  const clientSecret = options.clientSecret ?? "sim-client-secret";
  const now = options.now ?? (() => new Date());
  const directory = new SimDirectory(now);
  if (options.seed) directory.loadSeed(options.seed);
  const faults = new GraphFaults(options.latencyMs ?? 0, `Tenant_Application/ReadWrite/${clientId}/${tenantId}`);
  const requests = new GraphRequestLog();
  const tokens = new AccessTokenStore(options.tokenLifetimeSeconds ?? 3599);
  const subscriptions = new SubscriptionStore(now);
  const notifications = new NotificationEmitter(
    { directory, store: subscriptions, tenantId },
    resolveNotificationSettings(options.notifications),
  );

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    serve(req, res).catch((error: unknown) => {
      process.stderr.write(`graph-sim: request failed: ${String(error)}\n`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
  const primary = createServer({ cert: certificate.cert, key: certificate.key }, handler);
  const port = await listen(primary, options.port ?? 0, "127.0.0.1");
  const servers: Server[] = [primary];
  // Some hosts resolve localhost to ::1 first; answer there too when IPv6 loopback exists.
  const secondary = createServer({ cert: certificate.cert, key: certificate.key }, handler);
  if (await listen(secondary, port, "::1").catch(() => undefined)) servers.push(secondary);

  const baseUrl = `https://localhost:${port}`;
  const ctx: SimContext = {
    baseUrl,
    tenantId,
    clientId,
    directory,
    pages: new PageStore(),
    faults,
    requests,
    settings: {
      defaultPageSize: options.defaultPageSize ?? 100,
      maxPageSize: options.maxPageSize ?? 999,
      shortPages: options.shortPages ?? false,
      now,
      deltaTokenLifetimeMs: options.deltaTokenLifetimeMs ?? SEVEN_DAYS_MS,
      deltaVisibilityDelayMs: options.deltaVisibilityDelayMs ?? 0,
      hideMembershipRemovalsOfDeletedUsers: options.hideMembershipRemovalsOfDeletedUsers ?? false,
      allowHttpNotificationUrls: options.allowHttpNotificationUrls ?? false,
      subscriptionQuota: options.subscriptionQuota ?? 100,
      creatorId: randomUUID(),
    },
    subscriptions,
    notifications,
  };
  const tokenConfig: TokenEndpointConfig = {
    baseUrl,
    tenantId,
    tenantDomain,
    clientId,
    clientSecret,
    clientCertificatePem: options.clientCertificatePem,
    tokens,
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", baseUrl);
    const headers = lowerHeaders(req);
    const ids = newRequestIds(headers["client-request-id"] ?? url.searchParams.get("client-request-id") ?? undefined);
    const body = await readBody(req);
    if (faults.latencyMs > 0) await (options.sleep ?? sleep)(faults.latencyMs);
    const path = url.pathname.replace(/\/+$/, "") || "/";
    let response: GraphResponse;
    if (body === undefined) {
      response = {
        ...graphError(413, "RequestEntityTooLarge", "The request body is too large.", ids),
        route: `${method} ${path}`,
      };
    } else if (/^\/v1\.0(\/|$)/i.test(path)) {
      response = await serveGraph(method, path.slice(5) || "/", url.searchParams, headers, body, ids);
    } else {
      response = serveAuthority(method, path, headers, body, ids);
    }
    write(res, response, ids);
    requests.record({
      method,
      path,
      route: response.route ?? `${method} ${path}`,
      status: response.status,
      resourceUnits: response.resourceUnits ?? 0,
      batched: false,
    });
  }

  async function serveGraph(
    method: string,
    path: string,
    params: URLSearchParams,
    headers: Record<string, string>,
    body: string,
    ids: RequestIds,
  ): Promise<GraphResponse> {
    const request: GraphRequest = { method, path, params, headers, body, ids, batched: false };
    const check = tokens.check(headers.authorization, faults.accessTokenCutoff);
    if (check !== "valid") {
      const message =
        check === "missing"
          ? "Access token is empty."
          : check === "expired"
            ? "Access token has expired or is not yet valid."
            : "Access token validation failure.";
      // Real Graph sends this challenge with 401 (contract §5).
      const challenge = `Bearer realm="", authorization_uri="${baseUrl}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`;
      return {
        ...graphError(401, "InvalidAuthenticationToken", message, ids, { "WWW-Authenticate": challenge }),
        route: describeRoute(ctx, request),
        resourceUnits: 0,
      };
    }
    return routeGraphRequest(ctx, request);
  }

  function serveAuthority(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string,
    ids: RequestIds,
  ): GraphResponse {
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/i.exec(path);
    if (token?.[1] && method === "POST") {
      const fault = faults.take(path, false, ids);
      if (fault) return { ...fault, route: "POST /token" };
      return handleTokenRequest(
        tokenConfig,
        decodeURIComponent(token[1]),
        headers["content-type"] ?? "",
        body,
        ids.clientRequestId,
      );
    }
    const metadata = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/i.exec(path);
    if (metadata?.[1] && method === "GET") {
      return openIdConfiguration(tokenConfig, decodeURIComponent(metadata[1]), ids.clientRequestId);
    }
    if (/^\/[^/]+\/discovery\/v2\.0\/keys$/i.test(path) && method === "GET") return signingKeys();
    return {
      ...graphError(404, "NotFound", `No simulator endpoint at ${method} ${path}.`, ids),
      route: `${method} ${path}`,
    };
  }

  return {
    url: baseUrl,
    tenantId,
    tenantDomain,
    clientId,
    clientSecret,
    certPath: certificate.certPath,
    directory,
    faults,
    requests,
    notifications,
    subscriptions: () => subscriptions.live().map(subscriptionJson),
    close: async () => {
      notifications.close();
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function lowerHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/** The body as UTF-8, or `undefined` when over the size limit. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Writes a response with Graph's common headers: `request-id`, echoed `client-request-id` (contract §5). */
function write(res: ServerResponse, response: GraphResponse, ids: RequestIds): void {
  const text = typeof response.body === "string" ? response.body : JSON.stringify(response.body);
  res.writeHead(response.status, {
    "Cache-Control": "no-cache",
    "Strict-Transport-Security": "max-age=31536000",
    ...response.headers,
    "request-id": ids.requestId,
    "client-request-id": ids.clientRequestId,
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}
