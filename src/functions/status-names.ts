import { app } from "@azure/functions";
import { z } from "zod";
import type { LiveDeps } from "../live/live-deps.js";
import { suggestNames } from "../status/suggest-names.js";
import { getLiveDeps } from "./runtime.js";
import { type HttpHandler, json, queryRoute } from "./status-http.js";

export const namesQuerySchema = z.strictObject({
  q: z
    .string()
    .trim()
    .max(64)
    .refine((s) => !/\p{Cc}/u.test(s), "q must not hold control characters")
    .default(""),
});

/**
 * GET /api/status/names?q=<part of a name>: up to 10 users (from the user ledger, by MI username or email) and 10 synced
 * groups (by name) for the page's suggestions, names starting with `q` first. Reads the app's state only.
 */
export function createStatusNamesHandler(getDeps: () => Promise<LiveDeps>): HttpHandler {
  return queryRoute(namesQuerySchema, getDeps, "suggestions", async (deps, query) =>
    json(200, await suggestNames(deps, query.q)),
  );
}

app.http("status-names", {
  methods: ["GET"],
  authLevel: "function",
  route: "status/names",
  handler: createStatusNamesHandler(getLiveDeps),
});
