import { app } from "@azure/functions";
import { z } from "zod";
import type { LiveDeps } from "../live/live-deps.js";
import { getLiveDeps } from "./runtime.js";
import { type HttpHandler, json, queryRoute, SUBJECT } from "./status-http.js";

/** `?user=`, `?group=` or `?run=` (exactly one), and `limit` (1 to 10,000; default 200). */
export const auditQuerySchema = z
  .strictObject({
    user: SUBJECT("user").optional(),
    group: SUBJECT("group").optional(),
    run: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,64}$/, "run must be a run id")
      .optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(200),
  })
  .refine((q) => [q.user, q.group, q.run].filter((v) => v !== undefined).length === 1, {
    message: "give exactly one of user, group or run",
  });

/**
 * GET /api/status/audit?user=<MI username> | group=<MI group name> | run=<run id> [&limit=N]: the audit trail's
 * entries, newest run first (a run's in plan order), with `truncated` when more exist. 400 bad input; 404 no trail;
 * 502 the trail could not be read.
 */
export function createStatusAuditHandler(getDeps: () => Promise<LiveDeps>): HttpHandler {
  return queryRoute(auditQuerySchema, getDeps, "reading the audit trail", async (deps, query) => {
    const audit = deps.audit;
    if (!audit) return json(404, { error: "this app keeps no audit trail" });
    const { user, group, run, limit } = query;
    const page =
      user !== undefined
        ? await audit.listByUser(user, { limit })
        : group !== undefined
          ? await audit.listByGroup(group, { limit })
          : await audit.listByRun(run as string, { limit });
    return json(200, page);
  });
}

app.http("status-audit", {
  methods: ["GET"],
  authLevel: "function",
  route: "status/audit",
  handler: createStatusAuditHandler(getLiveDeps),
});
