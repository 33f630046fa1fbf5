/**
 * A local Metric Insights: a plain `node:http` server faithful to `/work/shared/contracts/metric-insights-api.md`
 * (status codes, body shapes, string ids, "Y"/"N" flags), not shaped for our client's convenience. Tests start it on
 * port 0 and run the real `MiRestDirectory` against it.
 *
 * Authentication ([DOC]/[MI-CODE] unless noted):
 * - `POST /api/get_token` (and `/api/get_token/`), JSON or form body `{application_id, application_key, user}` →
 *   200 `{token, expires}`; unknown application or wrong key → 401 `{"message":"Unauthorized"}`; a `user` that does
 *   not exist or is disabled → 400 `{"status":"ERROR","message":...}` ([INFERRED], contract §4 Q9).
 * - `GET /api/get_token` with a valid `Token` → 200 with a new `{token, expires}` (the old token stays valid until its
 *   own expiry); without auth → 200 `[]`; with an expired token → 412.
 * - Data calls: no `Token` (nor Bearer) → 401 `{"message":"Unauthorized"}`; an expired or unknown `Token` → 412
 *   `{"status":"ERROR","message":"Session expired"}`; `Authorization: Bearer <personal token>` (v7.1+) → acts as its user.
 * - An application without "Can Manage Users" → 401 `{"message":"External Application has no User Management Access"}`
 *   on every `/api/user` call (reads too: U-SETUP says "api/user calls fail") and on writes to `/api/user_group` and
 *   `/api/user_group_member` (U-SCRIPTGRP names `user_group_member` writes). Reads of groups and members are allowed.
 *   Personal tokens belong to no application, so this check does not apply to them (§4 Q3 is open).
 * - Writes to `user`, `user_group`, `user_group_member` need the token's user to be an enabled administrator, else 403
 *   `{"message":"User has no permission to ..."}`. Reads are allowed to any authenticated user.
 *
 * Sim-only knobs (not MI behaviour): `latencyMs` delays every answer; `maxConcurrentRequests` answers 503
 * `{"status":"ERROR","message":"Service Unavailable"}` to requests beyond that many in flight; `faults` injects
 * answers; `now` drives token expiry.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { MiFaults } from "./mi-faults.js";
import { MiRequestLog, routeOf } from "./mi-request-log.js";
import { handleItem, methodNotAllowed, type SimRequest, type SimResponse } from "./mi-sim-routes.js";
import { MiSimState } from "./mi-sim-state.js";
import { MiSimTokens, type SimApplication, type SimPrincipal } from "./mi-sim-tokens.js";

export type { MiFaultRequest, MiFaultSpec } from "./mi-faults.js";
export { MiFaults, mysqlDeadlockMessage } from "./mi-faults.js";
export type { MiRequestEntry } from "./mi-request-log.js";
export { MiRequestLog } from "./mi-request-log.js";
export type { NewSimUser, SimGroup, SimMembership, SimUser } from "./mi-sim-state.js";
export { MiSimState } from "./mi-sim-state.js";
export type { SimApplication } from "./mi-sim-tokens.js";

export interface MiSimOptions {
  /** Default 0 (an ephemeral port). The server listens on 127.0.0.1. */
  port?: number;
  /** Default: one application "sim-app" / "sim-app-key" with user management. */
  applications?: SimApplication[];
  /** The seeded administrator; default "admin". */
  adminUsername?: string;
  /** Personal API tokens (Bearer, v7.1+) and the user each represents. */
  personalTokens?: { token: string; username: string }[];
  /** Lifetime of tokens from `get_token`; default 900 (MI's `API_TOKEN_LIFE_TIME` default, about 15 minutes). */
  tokenLifetimeSeconds?: number;
  /** Sim knob: delay before every answer. */
  latencyMs?: number;
  /** Sim knob: more requests than this in flight → 503. Unlimited when absent. */
  maxConcurrentRequests?: number;
  /** Clock for token expiry; default the real clock. */
  now?: () => Date;
}

export interface MiSim {
  /** `http://127.0.0.1:<port>` */
  url: string;
  state: MiSimState;
  faults: MiFaults;
  requests: MiRequestLog;
  /** Sim knob: the delay before every answer from now on (as `latencyMs`). */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

export const defaultSimApplication: SimApplication = {
  applicationId: "sim-app",
  applicationKey: "sim-app-key",
  canManageUsers: true,
};

const unauthorized: SimResponse = { status: 401, body: { message: "Unauthorized" } };
const sessionExpired: SimResponse = { status: 412, body: { status: "ERROR", message: "Session expired" } };
const noUserManagement: SimResponse = {
  status: 401,
  body: { message: "External Application has no User Management Access" },
};

const itemPattern = /^\/api\/(user|user_group|user_group_member)(?:\/id\/([^/]+))?$/;

/** Starts the simulator; resolves once it listens. */
export async function startMiSim(options: MiSimOptions = {}): Promise<MiSim> {
  const now = options.now ?? (() => new Date());
  const applications = options.applications ?? [defaultSimApplication];
  const state = new MiSimState(options.adminUsername ?? "admin");
  const tokens = new MiSimTokens(options.tokenLifetimeSeconds ?? 900, now, options.personalTokens ?? []);
  const faults = new MiFaults(() => tokens.expireAll());
  let latencyMs = options.latencyMs ?? 0;
  const requests = new MiRequestLog();
  let inFlight = 0;

  function getToken(method: string, headers: IncomingMessage["headers"], body: Record<string, unknown>): SimResponse {
    if (method === "GET") {
      const token = headerValue(headers.token);
      if (token === undefined) return { status: 200, body: [] };
      const principal = tokens.resolve(token);
      if (typeof principal === "string") return sessionExpired;
      return { status: 200, body: tokens.issue(principal) };
    }
    if (method !== "POST") return methodNotAllowed();
    const app = applications.find((a) => a.applicationId === body.application_id);
    if (app === undefined || app.applicationKey !== body.application_key) return unauthorized;
    const username = typeof body.user === "string" ? body.user : "";
    const user = state.userByUsername(username);
    if (user === undefined || !user.enabled) {
      return { status: 400, body: { status: "ERROR", message: `Invalid user '${username}'` } };
    }
    return { status: 200, body: tokens.issue({ username: user.username, application: app }) };
  }

  function authenticate(headers: IncomingMessage["headers"]): SimPrincipal | SimResponse {
    const token = headerValue(headers.token);
    if (token !== undefined) {
      const principal = tokens.resolve(token);
      return typeof principal === "string" ? sessionExpired : principal;
    }
    const authorization = headerValue(headers.authorization);
    const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
    if (bearer !== undefined) {
      const username = tokens.resolvePersonal(bearer.trim());
      return username === undefined ? sessionExpired : { username, application: undefined };
    }
    return unauthorized;
  }

  function authorise(principal: SimPrincipal, request: SimRequest): SimResponse | undefined {
    const write = request.method !== "GET";
    if (principal.application && !principal.application.canManageUsers && (request.item === "user" || write)) {
      return noUserManagement;
    }
    if (!write) return undefined;
    const user = state.userByUsername(principal.username);
    if (user === undefined || !user.enabled || user.type !== "administrator") {
      const verb = request.method === "POST" ? "create" : request.method === "PUT" ? "update" : "delete";
      return {
        status: 403,
        body: { message: `User has no permission to ${verb} ${request.item.replaceAll("_", " ")}` },
      };
    }
    return undefined;
  }

  async function respond(req: IncomingMessage, rawBody: string): Promise<SimResponse> {
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", "http://sim");
    const pathname = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
    const fault = faults.take({ method, path: url.pathname + url.search, headers: req.headers, rawBody });
    if (fault) return fault;
    const body = parseBody(req.headers["content-type"], rawBody);
    if (body === undefined) return { status: 400, body: { status: "ERROR", message: "Invalid request body" } };
    if (pathname === "/api/get_token") return getToken(method, req.headers, body);
    const match = itemPattern.exec(pathname);
    if (!match) return { status: 404, body: { status: "ERROR", message: "Not Found" } };
    const request: SimRequest = {
      method,
      item: match[1] as SimRequest["item"],
      id: match[2] === undefined ? undefined : decodeURIComponent(match[2]),
      query: url.searchParams,
      body,
    };
    const principal = authenticate(req.headers);
    if ("status" in principal) return principal;
    return authorise(principal, request) ?? handleItem(state, request);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void (async () => {
        inFlight += 1;
        try {
          let answer: SimResponse;
          if (options.maxConcurrentRequests !== undefined && inFlight > options.maxConcurrentRequests) {
            answer = { status: 503, body: { status: "ERROR", message: "Service Unavailable" } };
          } else {
            if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
            answer = await respond(req, Buffer.concat(chunks).toString("utf8"));
          }
          const method = (req.method ?? "GET").toUpperCase();
          const path = req.url ?? "/";
          requests.record({
            method,
            path,
            route: routeOf(method, new URL(path, "http://sim").pathname),
            status: answer.status,
          });
          send(res, answer);
        } catch (thrown) {
          send(res, { status: 500, body: { status: "ERROR", message: `sim failure: ${String(thrown)}` } });
        } finally {
          inFlight -= 1;
        }
      })();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    state,
    faults,
    requests,
    setLatency: (ms) => {
      latencyMs = ms;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((closeError) => (closeError ? reject(closeError) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === "" ? undefined : first;
}

/** JSON or form-encoded body as a record; `{}` when empty; undefined when unreadable. */
function parseBody(contentType: string | undefined, raw: string): Record<string, unknown> | undefined {
  if (raw.trim() === "") return {};
  if (contentType?.includes("application/x-www-form-urlencoded")) {
    return Object.fromEntries(new URLSearchParams(raw));
  }
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, answer: SimResponse): void {
  const payload = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(payload),
    ...answer.headers,
  });
  res.end(payload);
}
