import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { z } from "zod";
import { describeError, SyncError } from "../errors/sync-error.js";
import type { LiveDeps } from "../live/live-deps.js";
import { withContextLogger } from "./runtime.js";

/** The status routes' handlers: a request and its invocation in, an answer out. */
export type HttpHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/** Every status answer: never cached, never sniffed, never sent on as a referrer. */
export const NO_STORE = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

export const json = (status: number, body: unknown): HttpResponseInit => ({
  status,
  headers: { "content-type": "application/json; charset=utf-8", ...NO_STORE },
  body: JSON.stringify(body),
});

/** A user or group as an admin types it: one line of at most 256 characters, no control character. */
export const SUBJECT = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `${what} must not be empty`)
    .max(256, `${what} is at most 256 characters`)
    .refine((s) => !/\p{Cc}/u.test(s), `${what} must not hold control characters`);

/** The query string as a plain object (a parameter given twice keeps its first value), for a zod schema. */
export function queryOf(request: HttpRequest): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [key, value] of request.query.entries()) if (!(key in query)) query[key] = value;
  delete query.code;
  return query;
}

/** The schema's first problems, as one line for a 400 answer. */
export function reasonsOf(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
}

/** The app's dependencies logging to this invocation, or the 503 answer when they cannot be built. */
export async function depsOrAnswer(
  getDeps: () => Promise<LiveDeps>,
  context: InvocationContext,
): Promise<{ deps: LiveDeps } | { answer: HttpResponseInit }> {
  try {
    return { deps: withContextLogger(await getDeps(), context) };
  } catch (error) {
    context.warn(`status: ${describeError(error)}`);
    return {
      answer: json(503, { error: `the app is not configured or its storage is unreachable: ${describeError(error)}` }),
    };
  }
}

/**
 * A GET status route: its query checked by `schema` (400 with the reasons), the app's dependencies (503 when they
 * cannot be built), then `read`, whose failure is logged as `what` and answered 400 for a usage error, else 502 (Entra,
 * MI or storage failed).
 */
export function queryRoute<T extends z.ZodType>(
  schema: T,
  getDeps: () => Promise<LiveDeps>,
  what: string,
  read: (deps: LiveDeps, query: z.output<T>) => Promise<HttpResponseInit>,
): HttpHandler {
  return async (request, context) => {
    const parsed = schema.safeParse(queryOf(request));
    if (!parsed.success) return json(400, { error: reasonsOf(parsed.error) });
    const built = await depsOrAnswer(getDeps, context);
    if ("answer" in built) return built.answer;
    try {
      return await read(built.deps, parsed.data);
    } catch (error) {
      context.warn(`status: ${what} failed: ${describeError(error)}`);
      const usage = error instanceof SyncError && error.kind === "usage";
      return json(usage ? 400 : 502, { error: describeError(error) });
    }
  };
}
