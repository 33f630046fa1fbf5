import { app } from "@azure/functions";
import { z } from "zod";
import { explain } from "../explain/explain.js";
import type { ExplainDeps } from "../explain/explanation.js";
import type { LiveDeps } from "../live/live-deps.js";
import { getLiveDeps } from "./runtime.js";
import { type HttpHandler, json, queryRoute, SUBJECT } from "./status-http.js";

export const explainQuerySchema = z.strictObject({
  q: SUBJECT("q"),
  kind: z.enum(["auto", "user", "group"]).default("auto"),
});

/** What explain reads, from the app's dependencies: the configured sync, its state and its audit trail. */
export function explainDepsOf(deps: LiveDeps): ExplainDeps {
  return {
    entra: deps.entra,
    mi: deps.mi,
    selector: deps.config.selector,
    options: deps.config.sync,
    userPlan: "ledger",
    logger: deps.logger,
    state: deps.state,
    ...(deps.audit ? { audit: deps.audit } : {}),
    now: deps.now,
  };
}

/**
 * GET /api/status/explain?q=<user or group>[&kind=auto|user|group]: `mi-o365-usersync explain` for the page, read
 * live from Entra and MI with the app's settings, state and audit trail; writes nothing. 200 with the explanation
 * (`kind: "none"` when nothing has that name); 400 bad input; 502 Entra or MI failed.
 */
export function createStatusExplainHandler(getDeps: () => Promise<LiveDeps>): HttpHandler {
  return queryRoute(explainQuerySchema, getDeps, "explain", async (deps, query) =>
    json(200, await explain(explainDepsOf(deps), query.q, query.kind)),
  );
}

app.http("status-explain", {
  methods: ["GET"],
  authLevel: "function",
  route: "status/explain",
  handler: createStatusExplainHandler(getLiveDeps),
});
