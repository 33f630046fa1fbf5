import type { IncomingMessage, ServerResponse } from "node:http";
import type { RpcHttpCookie, RpcHttpData } from "./functions-core-types.js";

/** The Functions host's default request body limit (100 MB). */
export const MAX_REQUEST_BODY_BYTES = 100 * 1024 * 1024;

export class BodyTooLargeError extends Error {}

/** Reads a request body, refusing one over `limit` bytes. */
export function readBody(request: IncomingMessage, limit = MAX_REQUEST_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError(`request body over ${limit} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

/** An incoming request as the host hands it to the worker (the package builds its HttpRequest from this). */
export function toRpcHttpRequest(
  request: IncomingMessage,
  url: URL,
  params: Record<string, string>,
  body: Buffer,
): RpcHttpData {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return {
    method: request.method ?? "GET",
    url: url.toString(),
    headers,
    params,
    ...(body.length > 0 ? { body: { bytes: body }, rawBody: { bytes: body } } : {}),
  };
}

/** Sends the response the package made of the handler's return value. */
export function sendRpcHttpResponse(response: ServerResponse, data: RpcHttpData | undefined): void {
  if (!data) {
    response.writeHead(204).end();
    return;
  }
  const body = data.body?.bytes
    ? Buffer.from(data.body.bytes)
    : data.body?.string !== undefined && data.body.string !== null
      ? Buffer.from(data.body.string, "utf8")
      : Buffer.alloc(0);
  const headers: Record<string, string | string[]> = { ...(data.headers ?? {}) };
  const cookies = (data.cookies ?? []).map(formatCookie);
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  response.writeHead(Number(data.statusCode ?? 200), headers).end(body);
}

function formatCookie(cookie: RpcHttpCookie): string {
  const parts = [`${cookie.name ?? ""}=${cookie.value ?? ""}`];
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  const expires = cookie.expires?.value?.seconds;
  if (typeof expires === "number") parts.push(`Expires=${new Date(expires * 1000).toUTCString()}`);
  if (cookie.secure?.value) parts.push("Secure");
  if (cookie.httpOnly?.value) parts.push("HttpOnly");
  if (cookie.sameSite && cookie.sameSite !== "none") {
    parts.push(
      `SameSite=${cookie.sameSite === "explicitNone" ? "None" : cookie.sameSite[0]!.toUpperCase() + cookie.sameSite.slice(1)}`,
    );
  }
  if (typeof cookie.maxAge?.value === "number") parts.push(`Max-Age=${cookie.maxAge.value}`);
  return parts.join("; ");
}
