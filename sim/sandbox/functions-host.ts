import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { HttpRequest, type HttpResponseInit, InvocationContext } from "@azure/functions";
import { syncQueueOutput } from "../../src/functions/queue-binding.js";

type HttpHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/**
 * A route: a bare handler answers POST only (the webhooks); `{ methods, handler }` names the methods it answers and,
 * with `functionKey`, answers 401 unless the request carries that key as `?code=` or `x-functions-key`, as the host
 * does for `authLevel: "function"`.
 */
export type HostRoute = HttpHandler | { methods: ("GET" | "POST")[]; handler: HttpHandler; functionKey?: string };

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
  routes: Record<string, HostRoute>,
  enqueue: (body: unknown) => Promise<void>,
  log: (line: string) => void = () => {},
): Promise<FunctionsHost> {
  const responses: FunctionsHost["responses"] = [];
  let invocation = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const started = Date.now();
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const route = routes[url.pathname];
      const methods = typeof route === "function" ? ["POST"] : (route?.methods ?? []);
      const handler = typeof route === "function" ? route : route?.handler;
      const method = req.method ?? "GET";
      if (!handler || !(methods as string[]).includes(method)) {
        res.writeHead(404).end();
        return;
      }
      const key = typeof route === "function" ? undefined : route?.functionKey;
      if (key !== undefined && url.searchParams.get("code") !== key && req.headers["x-functions-key"] !== key) {
        res.writeHead(401).end();
        responses.push({ route: url.pathname, status: 401, ms: Date.now() - started });
        return;
      }
      const body = await readBody(req);
      const request = new HttpRequest({
        method,
        url: url.toString(),
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        ...(method === "GET" ? {} : { body: { string: body } }),
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
