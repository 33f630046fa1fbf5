import { z } from "zod";
import { ServiceError } from "../errors/sync-error.js";
import type { GraphFailure } from "./map-graph-failure.js";

const idPageSchema = z.object({
  "@odata.nextLink": z.string().optional(),
  value: z.array(z.object({ id: z.string() })),
});

/** Graph's error code for an object that does not exist (any more) (contract §5). */
const NOT_FOUND_CODE = "request_resourcenotfound";

/** One page of a Graph list, checked by `schema`; an unreadable page throws ServiceError `entra.protocol` naming `what`. */
export function parsePage<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const page = schema.safeParse(body);
  if (page.success) return page.data;
  throw new ServiceError("entra", "entra.protocol", `Microsoft Graph answered ${what} with an unreadable page.`, 200, {
    cause: page.error,
  });
}

/**
 * One page of a `$select=id` list (`transitiveMemberOf`, `members/microsoft.graph.group`): the ids, lowercase, and the
 * next link if any.
 */
export function parseIdPage(body: unknown, what: string): { ids: string[]; nextLink: string | undefined } {
  const page = parsePage(idPageSchema, body, what);
  return { ids: page.value.map((v) => v.id.toLowerCase()), nextLink: page["@odata.nextLink"] };
}

/** A 404 `Request_ResourceNotFound`: the object is gone (a 404 without that code is a wrong endpoint, not this). */
export function isGone(failure: GraphFailure): boolean {
  return failure.status === 404 && failure.code?.toLowerCase() === NOT_FOUND_CODE;
}
