import { z } from "zod";

/** The body of `POST /admin/functions/<name>`: the trigger's input as a string (a queue message's body). */
export const adminInvokeSchema = z.object({ input: z.string().optional() });

/** Parses an admin invocation body; an empty body means no input. */
export function parseAdminInvoke(body: Buffer): { ok: true; input: string } | { ok: false; error: string } {
  if (body.length === 0) return { ok: true, input: "" };
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString("utf8"));
  } catch {
    return { ok: false, error: 'body must be JSON: {"input": "<string>"}' };
  }
  const parsed = adminInvokeSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, error: 'body must be {"input": "<string>"}' };
  return { ok: true, input: parsed.data.input ?? "" };
}
