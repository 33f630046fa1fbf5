import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { HttpRequest, type HttpResponseInit, InvocationContext } from "@azure/functions";
import { syncQueueOutput } from "../../src/functions/queue-binding.js";

type HttpHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/**
 * A thin stand-in for the Functions host's HTTP side (the Core Tools cannot be installed here): serves the webhook
 * functions on plain http, builds the same HttpRequest/InvocationContext the host would, and does what the host does
 * with the queue output binding: enqueues the messages after the function returns.
 */
export interface FunctionsHost {
  url: string;
  /** Every answer given, for the sandbox's figures. */
  responses: { route: string; status: number; ms: number }[];
  close(): Promise<void>;
}

export async function startFunctionsHost(
  routes: Record<string, HttpHandler>,
  enqueue: (body: unknown) => Promise<void>,
  log: (line: string) => void = () => {},
): Promise<FunctionsHost> {
  const responses: FunctionsHost["responses"] = [];
  let invocation = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const started = Date.now();
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const handler = routes[url.pathname];
      if (!handler || req.method !== "POST") {
        res.writeHead(404).end();
        return;
      }
      const body = await readBody(req);
      const request = new HttpRequest({
        method: "POST",
        url: url.toString(),
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: { string: body },
      });
      const context = new InvocationContext({
        invocationId: `sandbox-${++invocation}`,
        functionName: url.pathname,
        logHandler: (level, ...args) => {
          if (level === "warning" || level === "error") log(`[${url.pathname}] ${args.map(String).join(" ")}`);
        },
      });
      const answer = await handler(request, context);
      const messages = context.extraOutputs.get(syncQueueOutput);
      if (Array.isArray(messages)) for (const m of messages) await enqueue(m);
      res.writeHead(answer.status ?? 200, answer.headers as Record<string, string>);
      res.end(typeof answer.body === "string" ? answer.body : "");
      responses.push({ route: url.pathname, status: answer.status ?? 200, ms: Date.now() - started });
    })().catch((error: unknown) => {
      log(`functions host: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    responses,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
