import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { z } from "zod";
import { describeError } from "../errors/sync-error.js";
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
