import { app } from "@azure/functions";
import { z } from "zod";
import { describeError } from "../errors/sync-error.js";
import type { LiveDeps } from "../live/live-deps.js";
import { isRequestError, NotSyncedError, type ResyncRequest, resyncOnDemand } from "../live/resync-on-demand.js";
import { ScopeBusyError } from "../live/with-lease.js";
import { buildStatusReport } from "../status/build-status-report.js";
import { healthThresholdsFromEnv } from "../status/health-thresholds-from-env.js";
import type { HealthThresholds } from "../status/judge-health.js";
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from "../status/status-page.js";
import { getLiveDeps } from "./runtime.js";
import { depsOrAnswer, type HttpHandler, json, NO_STORE, SUBJECT } from "./status-http.js";

/** GET /api/status: the status report as JSON (never a secret). 503 when the app's dependencies cannot be built. */
export function createStatusHandler(
  getDeps: () => Promise<LiveDeps>,
  thresholds: Partial<HealthThresholds> = {},
): HttpHandler {
  return async (_request, context) => {
    const built = await depsOrAnswer(getDeps, context);
    if ("answer" in built) return built.answer;
    return json(200, await buildStatusReport(built.deps, { thresholds }));
  };
}

/** GET /api/status/page: the status page (static HTML; its script calls the two JSON routes with the page's `code`). */
export function createStatusPageHandler(): HttpHandler {
  return async () => ({
    status: 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": STATUS_PAGE_CSP,
      "x-frame-options": "DENY",
      ...NO_STORE,
    },
    body: STATUS_PAGE_HTML,
  });
}

const expectedPlan = z.string().min(1).max(64).optional();

/**
 * The resync request body: exactly one of `group` (a synced group's Entra object id or display name) or `user` (UPN,
 * mail or MI username).
 */
export const resyncBodySchema = z.union([
  z.strictObject({ group: SUBJECT("group"), expectedPlan }),
  z.strictObject({
    user: SUBJECT("user").refine((u) => !/\s/u.test(u), "user must be one UPN, mail or MI username"),
    expectedPlan,
  }),
]);

const MAX_BODY_BYTES = 4096;

/**
 * POST /api/status/resync?mode=plan|apply (default plan), body `{ "group": "<id or name>" }` or `{ "user": "<upn>" }`, with
 * an optional `expectedPlan` (the plan's `planDigest`) for apply. 200 with the outcome; 400 bad input; 404 not a
 * synced group; 409 a worker holds the scope; 502 Entra or MI failed (nothing written).
 */
export function createStatusResyncHandler(getDeps: () => Promise<LiveDeps>): HttpHandler {
  return async (request, context) => {
    const mode = request.query.get("mode") ?? "plan";
    if (mode !== "plan" && mode !== "apply") return json(400, { error: "mode must be plan or apply" });
    if (Number(request.headers.get("content-length") ?? "0") > MAX_BODY_BYTES) {
      return json(400, { error: "body too large" });
    }
    const text = await request.text();
    if (Buffer.byteLength(text) > MAX_BODY_BYTES) return json(400, { error: "body too large" });
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return json(400, { error: 'body must be JSON: { "group": "<entra id or name>" } or { "user": "<upn>" }' });
    }
    const parsed = resyncBodySchema.safeParse(raw);
    if (!parsed.success) {
      const reasons = parsed.error.issues.map((i) => i.message).join("; ");
      return json(400, { error: `expected { "group": "<entra id or name>" } or { "user": "<upn>" }: ${reasons}` });
    }
    const body = parsed.data;
    const target: ResyncRequest =
      "group" in body ? { kind: "group", group: body.group } : { kind: "user", user: body.user };
    const built = await depsOrAnswer(getDeps, context);
    if ("answer" in built) return built.answer;
    const deps = built.deps;
    try {
      const outcome = await resyncOnDemand(
        deps,
        target,
        mode,
        body.expectedPlan !== undefined ? { expectedPlan: body.expectedPlan } : {},
      );
      context.log(
        `status: on-demand ${mode} of ${target.kind}: ${outcome.outcome}, ${outcome.operations.length} op(s)`,
      );
      return json(200, outcome);
    } catch (error) {
      context.warn(`status: on-demand ${mode} of ${target.kind} failed: ${describeError(error)}`);
      if (error instanceof NotSyncedError) return json(404, { error: describeError(error) });
      if (error instanceof ScopeBusyError) return json(409, { error: describeError(error) });
      if (isRequestError(error)) return json(400, { error: describeError(error) });
      return json(502, { error: describeError(error) });
    }
  };
}

app.http("status", {
  methods: ["GET"],
  authLevel: "function",
  route: "status",
  handler: createStatusHandler(getLiveDeps, healthThresholdsFromEnv(process.env)),
});

app.http("status-page", {
  methods: ["GET"],
  authLevel: "function",
  route: "status/page",
  handler: createStatusPageHandler(),
});

app.http("status-resync", {
  methods: ["POST"],
  authLevel: "function",
  route: "status/resync",
  handler: createStatusResyncHandler(getLiveDeps),
});
