import { createServer, request as httpRequest, type Server } from "node:http";
import { connect, type Socket } from "node:net";

/** A local HTTP proxy for tests: CONNECT tunnels (https targets) and forwarded plain-http requests, both recorded. */
export interface TestProxy {
  url: string;
  /** `host:port` of each CONNECT tunnel. */
  tunnels: string[];
  /** `METHOD http://host:port/path` of each forwarded plain-http request. */
  forwarded: string[];
  close(): Promise<void>;
}

export async function startTestProxy(): Promise<TestProxy> {
  const tunnels: string[] = [];
  const forwarded: string[] = [];
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  };
  const server: Server = createServer((req, res) => {
    // A forward proxy receives the absolute URL as the request target.
    let target: URL;
    try {
      target = new URL(req.url ?? "");
    } catch {
      res.statusCode = 400;
      res.end();
      return;
    }
    forwarded.push(`${req.method} ${target.origin}${target.pathname}`);
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => {
      res.statusCode = 502;
      res.end();
    });
    req.pipe(upstream);
  });
  server.on("connection", track);
  server.on("connect", (req, client: Socket, head: Buffer) => {
    const target = req.url ?? "";
    tunnels.push(target);
    const [host, port] = target.split(":");
    const upstream = connect(Number(port), host === "localhost" ? "127.0.0.1" : (host ?? ""), () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    track(upstream);
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
