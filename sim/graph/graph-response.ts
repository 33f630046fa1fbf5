import { randomUUID } from "node:crypto";

/** The content type Graph puts on JSON success responses (contract §1.1). */
export const ODATA_JSON =
  "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/**
 * A response before it is written to the wire (or embedded in a `$batch` answer). `body` is JSON-serialised unless
 * it is a string, which is sent as is. `route` is the normalised route for the request log; `resourceUnits` the cost.
 */
export interface GraphResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  route?: string;
  resourceUnits?: number;
}

/** Per-request identity used in error envelopes and echoed headers (contract §5). */
export interface RequestIds {
  requestId: string;
  clientRequestId: string;
}

export function newRequestIds(clientRequestId: string | undefined): RequestIds {
  const requestId = randomUUID();
  return { requestId, clientRequestId: clientRequestId ?? requestId };
}

/** `YYYY-MM-DDTHH:mm:ss`, the `innerError.date` format Graph uses. */
export function errorDate(now: Date = new Date()): string {
  return now.toISOString().slice(0, 19);
}

/**
 * Graph's error envelope: `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`
 * with `Content-Type: application/json` (contract §5).
 */
export function graphError(
  status: number,
  code: string,
  message: string,
  ids: RequestIds,
  headers: Record<string, string> = {},
): GraphResponse {
  return {
    status,
    headers: { "Content-Type": "application/json", ...headers },
    body: {
      error: {
        code,
        message,
        innerError: { date: errorDate(), "request-id": ids.requestId, "client-request-id": ids.clientRequestId },
      },
    },
  };
}

export function jsonOk(body: unknown, status = 200): GraphResponse {
  return { status, headers: { "Content-Type": ODATA_JSON, "OData-Version": "4.0" }, body };
}

/** `$count` segments answer plain text (contract §1.1: `GET /groups/$count` → text/plain "893"). */
export function textOk(text: string): GraphResponse {
  return { status: 200, headers: { "Content-Type": "text/plain" }, body: text };
}

export function notFound(id: string, ids: RequestIds): GraphResponse {
  return graphError(
    404,
    "Request_ResourceNotFound",
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
    ids,
  );
}

/** Thrown by query parsing and handlers to answer with a Graph error; caught by the router. */
export class GraphRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function badRequest(message: string, code = "Request_BadRequest"): GraphRequestError {
  return new GraphRequestError(400, code, message);
}

export function unsupportedQuery(message = "Unsupported query."): GraphRequestError {
  return new GraphRequestError(400, "Request_UnsupportedQuery", message);
}
