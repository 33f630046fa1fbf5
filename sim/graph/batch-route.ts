import { z } from "zod";
import { GraphRequestError, type GraphResponse, graphError, jsonOk, newRequestIds } from "./graph-response.js";
import type { GraphRequest, SimContext } from "./sim-context.js";

/** At most 20 requests per batch (json-batching.md, contract §4). */
const MAX_REQUESTS = 20;

const batchSchema = z.object({
  requests: z.array(
    z.object({
      id: z.string().min(1),
      method: z.string().min(1),
      url: z.string().min(1),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.unknown().optional(),
      dependsOn: z.array(z.string()).optional(),
    }),
  ),
});

type BatchStep = z.infer<typeof batchSchema>["requests"][number];

/** Answers one inner request the way a direct request would be answered (the simulator's router). */
export type InnerRouter = (ctx: SimContext, req: GraphRequest) => Promise<GraphResponse>;

interface InnerResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * `POST /$batch` (contract §4): ≤20 requests with unique ids, relative urls and their own headers. The outer answer
 * is 200 once the payload parses; each inner request is routed, charged and fault-checked on its own (an inner 429
 * carries its own `Retry-After`). A request whose `dependsOn` target failed gets 424. Responses come back in a
 * shuffled but deterministic order (sorted by a hash of the id), so clients must match by id.
 */
export async function handleBatch(ctx: SimContext, req: GraphRequest, route: InnerRouter): Promise<GraphResponse> {
  let json: unknown;
  try {
    json = JSON.parse(req.body);
  } catch {
    throw new GraphRequestError(
      400,
      "BadRequest",
      "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
    );
  }
  const parsed = batchSchema.safeParse(json);
  if (!parsed.success || parsed.data.requests.length === 0) throw invalidBatch("Invalid batch payload format.");
  const steps = parsed.data.requests;
  if (steps.length > MAX_REQUESTS) {
    throw invalidBatch(`The batch request exceeds the maximum of ${MAX_REQUESTS} requests.`);
  }
  const byId = new Map<string, BatchStep>();
  for (const step of steps) {
    if (byId.has(step.id)) throw invalidBatch(`Request Id '${step.id}' is duplicated.`);
    byId.set(step.id, step);
  }
  for (const step of steps) {
    for (const dependency of step.dependsOn ?? []) {
      if (!byId.has(dependency)) throw invalidBatch(`Depends on request id '${dependency}' is not found.`);
    }
  }

  const done = new Map<string, InnerResponse>();
  const running = new Set<string>();
  // Steps run one at a time, in dependency order, so a step sees the effects of those it depends on.
  const run = async (step: BatchStep): Promise<InnerResponse> => {
    const finished = done.get(step.id);
    if (finished) return finished;
    if (running.has(step.id)) throw invalidBatch(`Request Id '${step.id}' has a circular dependsOn.`);
    running.add(step.id);
    let failedDependency = false;
    for (const dependency of step.dependsOn ?? []) {
      if ((await run(byId.get(dependency) as BatchStep)).status >= 400) failedDependency = true;
    }
    const response = failedDependency ? dependencyFailed(step, req) : await execute(ctx, req, step, route);
    running.delete(step.id);
    done.set(step.id, response);
    return response;
  };
  const responses: InnerResponse[] = [];
  for (const step of steps) responses.push(await run(step));
  responses.sort((a, b) => hash(a.id) - hash(b.id) || (a.id < b.id ? -1 : 1));
  return { ...jsonOk({ responses }), resourceUnits: 0 };
}

async function execute(
  ctx: SimContext,
  outer: GraphRequest,
  step: BatchStep,
  route: InnerRouter,
): Promise<InnerResponse> {
  const method = step.method.toUpperCase();
  const { path, response } = await answer(ctx, outer, step, route);
  ctx.requests.record({
    method,
    path: `/v1.0${path}`,
    route: response.route ?? `${method} ${path}`,
    status: response.status,
    resourceUnits: response.resourceUnits ?? 0,
    batched: true,
  });
  return inner(step.id, response);
}

async function answer(
  ctx: SimContext,
  outer: GraphRequest,
  step: BatchStep,
  route: InnerRouter,
): Promise<{ path: string; response: GraphResponse }> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(step.headers ?? {})) headers[name.toLowerCase()] = value;
  const ids = newRequestIds(headers["client-request-id"] ?? outer.ids.clientRequestId);
  const method = step.method.toUpperCase();
  if (/^[a-z][a-z0-9+.-]*:/i.test(step.url)) {
    return { path: step.url, response: graphError(400, "BadRequest", "The batch request url must be relative.", ids) };
  }
  const url = new URL(`https://batch.invalid/${step.url.replace(/^\/+/, "")}`);
  const path = url.pathname.replace(/\/+$/, "") || "/";
  if (step.body !== undefined && headers["content-type"] === undefined) {
    const message = "Content-Type header is required when a body is present.";
    return { path, response: graphError(400, "BadRequest", message, ids) };
  }
  if (/^\/\$batch$/i.test(path)) {
    return { path, response: graphError(400, "BadRequest", "A batch request cannot contain another batch.", ids) };
  }
  const request: GraphRequest = {
    method,
    path,
    params: url.searchParams,
    headers: { ...headers, authorization: outer.headers.authorization ?? "" },
    body: step.body === undefined ? "" : JSON.stringify(step.body),
    ids,
    batched: true,
  };
  return { path, response: await route(ctx, request) };
}

function inner(id: string, response: GraphResponse): InnerResponse {
  return { id, status: response.status, headers: response.headers, body: response.body };
}

/** 424 for a request whose dependency failed (json-batching.md, contract §4). */
function dependencyFailed(step: BatchStep, outer: GraphRequest): InnerResponse {
  const response = graphError(
    424,
    "FailedDependency",
    "Request failed due to failure of a dependent request.",
    newRequestIds(outer.ids.clientRequestId),
  );
  return inner(step.id, response);
}

function invalidBatch(message: string): GraphRequestError {
  return new GraphRequestError(400, "BadRequest", message);
}

/** FNV-1a: a stable, platform-independent shuffle key. */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    value ^= text.charCodeAt(i);
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  return value;
}
