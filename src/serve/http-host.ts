import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseAdminInvoke } from "./admin-request.js";
import { type AuthLevel, checkKey } from "./check-key.js";
import type { RpcHttpData } from "./functions-core-types.js";
import { BodyTooLargeError, readBody, sendRpcHttpResponse, toRpcHttpRequest } from "./http-exchange.js";
import type { RouteMatcher } from "./match-route.js";
import type { HostKeys } from "./resolve-keys.js";
import { ServeError } from "./serve-error.js";

/** An HTTP-triggered function as served. */
export interface HttpRoute {
  name: string;
  match: RouteMatcher;
  /** Upper-case. */
  methods: Set<string>;
  authLevel: AuthLevel;
}

/** What the admin endpoints read and do. */
export interface AdminApi {
  ready(): boolean;
  status(): unknown;
  listFunctions(): unknown[];
  /** Runs a non-HTTP function once, in the background. */
  fire(name: string, input: string): "accepted" | "unknown" | "http";
}

export interface HttpHostOptions {
  host: string;
  port: number;
  keys: HostKeys;
  /** The HTTP functions served (none until the app is loaded). */
  routes(): HttpRoute[];
  admin: AdminApi;
  /** Runs the function and writes its outputs; rejects when either fails. */
  invoke(route: HttpRoute, request: RpcHttpData): Promise<RpcHttpData | undefined>;
  log(level: "information" | "warning" | "error", message: string): void;
}

export interface HttpHost {
  /** `http://host:port`, the port as bound (`--port 0` picks one). */
  url: string;
  /** Stops accepting connections; resolves when the requests in progress are answered, or after `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
}

/**
 * The host's HTTP side: `/<routePrefix>/<route>` for HTTP triggers (auth level checked, 404 for a method the function
 * did not register, 500 when the function or its output bindings fail) and the admin endpoints under `/admin/`.
 * Listens before the app is loaded, so that `/admin/host/ping` answers 503 until it is ready.
 */
export async function startHttpHost(options: HttpHostOptions): Promise<HttpHost> {
  const running = new Set<Promise<void>>();
  const server: Server = createServer((request, response) => {
    const task = handle(options, request, response)
      .catch((error: unknown) => {
        options.log("error", `${request.method} ${request.url?.split("?")[0]}: ${describe(error)}`);
        if (!response.headersSent) response.writeHead(error instanceof BodyTooLargeError ? 413 : 500);
        response.end();
      })
      .finally(() => running.delete(task));
    running.add(task);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new ServeError(
          2,
          `--port ${options.port} on --host ${options.host}: cannot listen (${error.code ?? error.message})`,
        ),
      ),
    );
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host}:${port}`,
    close: async (timeoutMs) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...running]),
        new Promise<void>((resolve) => {
          if (Number.isFinite(timeoutMs)) timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      server.closeAllConnections();
      await closed;
    },
  };
}

async function handle(options: HttpHostOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? "/", `http://${request.headers.host ?? "localhost"}`);
  const method = (request.method ?? "GET").toUpperCase();
  if (url.pathname === "/admin" || url.pathname.startsWith("/admin/")) {
    await handleAdmin(options, request, response, url, method);
    return;
  }
  const matched = options
    .routes()
    .map((route) => ({ route, params: route.match(url.pathname) }))
    .filter((m) => m.params !== undefined);
  const hit = matched.find((m) => m.route.methods.has(method));
  if (!hit) {
    response.writeHead(404).end();
    return;
  }
  if (!options.admin.ready()) {
    response.writeHead(503).end();
    return;
  }
  if (!checkKey(request, url, hit.route.authLevel, options.keys)) {
    response.writeHead(401).end();
    return;
  }
  const body = await readBody(request);
  const answer = await options.invoke(hit.route, toRpcHttpRequest(request, url, hit.params ?? {}, body));
  sendRpcHttpResponse(response, answer);
}

async function handleAdmin(
  options: HttpHostOptions,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  method: string,
): Promise<void> {
  const path = url.pathname.replace(/\/+$/, "");
  const json = (status: number, body: unknown): void => {
    response.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
  };
  if (path === "/admin/host/ping") {
    response.writeHead(options.admin.ready() ? 200 : 503).end();
    return;
  }
  if (!checkKey(request, url, "admin", options.keys)) {
    response.writeHead(401).end();
    return;
  }
  if (path === "/admin/host/status" && method === "GET") return json(200, options.admin.status());
  if (path === "/admin/functions" && method === "GET") return json(200, options.admin.listFunctions());
  const invoke = /^\/admin\/functions\/([^/]+)$/.exec(path);
  if (invoke && method === "POST") {
    const parsed = parseAdminInvoke(await readBody(request, 1024 * 1024));
    if (!parsed.ok) return json(400, { error: parsed.error });
    if (!options.admin.ready()) {
      response.writeHead(503).end();
      return;
    }
    const outcome = options.admin.fire(decodeURIComponent(invoke[1]!), parsed.input);
    if (outcome === "unknown") return json(404, { error: "no such function" });
    if (outcome === "http") return json(400, { error: "an HTTP function is called at its own route" });
    response.writeHead(202).end();
    return;
  }
  response.writeHead(404).end();
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));
