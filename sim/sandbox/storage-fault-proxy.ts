import { Agent, createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A request as the fault rules see it. */
export interface ProxiedRequest {
  method: string;
  /** Path and query, e.g. `/devstoreaccount1/misyncDeltaChains(PartitionKey='groups',RowKey='groups-0')`. */
  path: string;
}

/**
 * A reverse proxy in front of one storage endpoint (Azurite's table service, say) that can fail chosen requests, so
 * that a test can make the app's storage fail midway through an invocation running in `serve`, as a worker killed
 * at that point would leave it. A failed request never reaches storage.
 */
export interface StorageFaultProxy {
  /** `http://127.0.0.1:port`: put it in the connection string in place of the endpoint's origin. */
  origin: string;
  /** Answers the next request `matches` accepts with a 403 (which the SDKs do not retry) instead of forwarding it. */
  failNext(matches: (request: ProxiedRequest) => boolean): void;
  /** Requests failed so far. */
  readonly failed: number;
  /** Requests seen, by method and path (entity keys, message ids and queries left out). */
  readonly seen: Record<string, number>;
  /** Holds every request from now until `resume` (storage that does not answer yet). */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startStorageFaultProxy(target: string): Promise<StorageFaultProxy> {
  const upstream = new URL(target);
  // Requests beyond this many at once wait here: a storage endpoint under load must not cost one socket per request.
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const rules: ((request: ProxiedRequest) => boolean)[] = [];
  let failed = 0;
  const counts: Record<string, number> = {};
  let paused: Promise<void> | undefined;
  let resume = (): void => {};
  const server: Server = createServer(async (req, res) => {
    await paused;
    const seen: ProxiedRequest = { method: req.method ?? "GET", path: req.url ?? "/" };
    const kind = `${seen.method} ${seen.path
      .replace(/\?.*$/, "")
      .replace(/\(.*\)$/, "()")
      .replace(/\/messages\/[^/]+$/, "/messages/:id")}`;
    counts[kind] = (counts[kind] ?? 0) + 1;
    const rule = rules.findIndex((matches) => matches(seen));
    if (rule >= 0) {
      rules.splice(rule, 1);
      failed++;
      req.resume();
      const error = { "odata.error": { code: "AuthorizationFailure", message: { lang: "en-US", value: "injected" } } };
      res.writeHead(403, { "content-type": "application/json" }).end(JSON.stringify(error));
      return;
    }
    const forwarded = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: seen.path,
        method: seen.method,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    failNext: (matches) => {
      rules.push(matches);
    },
    get failed() {
      return failed;
    },
    seen: counts,
    pause: () => {
      paused ??= new Promise<void>((resolve) => {
        resume = resolve;
      });
    },
    resume: () => {
      paused = undefined;
      resume();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
