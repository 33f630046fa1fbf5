import { app } from "@azure/functions";
import { z } from "zod";
import { describeError } from "../errors/sync-error.js";
import type { LiveDeps } from "../live/live-deps.js";
import { suggestNames } from "../status/suggest-names.js";
import { getLiveDeps } from "./runtime.js";
import { depsOrAnswer, type HttpHandler, json, queryOf, reasonsOf } from "./status-http.js";

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
  return async (request, context) => {
    const parsed = namesQuerySchema.safeParse(queryOf(request));
    if (!parsed.success) return json(400, { error: reasonsOf(parsed.error) });
    const built = await depsOrAnswer(getDeps, context);
    if ("answer" in built) return built.answer;
    try {
      return json(200, await suggestNames(built.deps, parsed.data.q));
    } catch (error) {
      context.warn(`status: suggestions failed: ${describeError(error)}`);
      return json(502, { error: describeError(error) });
    }
  };
}

app.http("status-names", {
  methods: ["GET"],
  authLevel: "function",
  route: "status/names",
  handler: createStatusNamesHandler(getLiveDeps),
});
