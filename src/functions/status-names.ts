import { app } from "@azure/functions";
import { z } from "zod";
import { describeError } from "../errors/sync-error.js";
import type { LiveDeps } from "../live/live-deps.js";
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

const SHOWN = 10;

/** What the page suggests as an admin types: synced groups and the users and groups the audit trail has seen. */
export interface NameSuggestions {
  users: { name: string; miId?: string; entraId?: string }[];
  groups: { name: string; id?: string }[];
}

/**
 * GET /api/status/names?q=<start of a name>: up to 10 users and 10 groups for the page's suggestions. Groups: the
 * synced Entra groups (their names as last read, containing `q`) and the MI groups in the trail; users: those in the
 * trail (MI username starting with `q`). Reads the app's state only.
 */
export function createStatusNamesHandler(getDeps: () => Promise<LiveDeps>): HttpHandler {
  return async (request, context) => {
    const parsed = namesQuerySchema.safeParse(queryOf(request));
    if (!parsed.success) return json(400, { error: reasonsOf(parsed.error) });
    const built = await depsOrAnswer(getDeps, context);
    if ("answer" in built) return built.answer;
    const { state, audit } = built.deps;
    const q = parsed.data.q.toLowerCase();
    try {
      const [chains, seen] = await Promise.all([
        state.listDeltaChains("groups"),
        audit ? audit.suggestNames(q, { limit: SHOWN }) : Promise.resolve({ users: [], groups: [] }),
      ]);
      const groups = new Map<string, NameSuggestions["groups"][number]>();
      for (const chain of chains) {
        chain.groupIds.forEach((id, i) => {
          const name = chain.groupNames?.[i];
          if (name?.toLowerCase().includes(q)) groups.set(name.toLowerCase(), { name, id });
        });
      }
      for (const g of seen.groups)
        if (!groups.has(g.name.toLowerCase())) groups.set(g.name.toLowerCase(), { name: g.name });
      const answer: NameSuggestions = {
        users: seen.users.map((u) => ({
          name: u.name,
          ...(u.miId ? { miId: u.miId } : {}),
          ...(u.entraId ? { entraId: u.entraId } : {}),
        })),
        groups: [...groups.values()].sort((a, b) => a.name.localeCompare(b.name)).slice(0, SHOWN),
      };
      return json(200, answer);
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
