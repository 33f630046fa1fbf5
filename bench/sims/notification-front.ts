import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, fetch } from "undici";
import { Prng } from "../tenant/prng.js";

/** What the front door did to Graph's POSTs. */
export interface FrontCounts {
  received: number;
  forwarded: number;
  dropped: number;
  duplicated: number;
  delayed: number;
  /** Every instance refused the connection (down): answered 503, so Graph retries. */
  unavailable: number;
  /** The instance took the POST but gave no answer (too slow, or killed meanwhile): 504, not sent elsewhere. */
  noAnswer: number;
  /** The instance answered 5xx, passed on to Graph as is. */
  failed: number;
}

export interface NotificationFront {
  /** `http://127.0.0.1:port`: the public origin Graph is given. */
  origin: string;
  counts: FrontCounts;
  /** Shares (0..1) of change-notification POSTs dropped, duplicated, and held back (reordered). */
  chaos: { drop: number; duplicate: number; delay: number };
  close(): Promise<void>;
}

/**
 * The soak's stand-in for Azure's front end: takes Graph's POSTs at one public URL and hands each to one of the
 * `serve` instances in turn, trying the next only when one refuses the connection (killed, restarting). Like a load
 * balancer, it never sends a POST an instance has taken to another one: no answer is a 504 and a 5xx is passed on,
 * and Graph retries (sending it elsewhere too made one slow POST up to three queue messages). With chaos on, it drops
 * some notifications (answering 202, so Graph believes them delivered), sends some twice, and holds some back up to
 * two seconds so that later ones overtake them. Validation handshakes are never tampered with.
 */
const FORWARD_TIMEOUT_MS = 5_000;

/** True when the instance refused the connection: it is down, and never saw the request. */
function refused(error: unknown): boolean {
  return (error as { cause?: { code?: unknown } } | undefined)?.cause?.code === "ECONNREFUSED";
}

export async function startNotificationFront(instances: () => string[], seed: number): Promise<NotificationFront> {
  const rng = new Prng(seed);
  const counts: FrontCounts = {
    received: 0,
    forwarded: 0,
    dropped: 0,
    duplicated: 0,
    delayed: 0,
    unavailable: 0,
    noAnswer: 0,
    failed: 0,
  };
  const chaos = { drop: 0, duplicate: 0, delay: 0 };
  let next = 0;
  // A bounded pool per instance: a slow instance makes POSTs wait here rather than open a socket each.
  const dispatcher = new Agent({ connections: 32 });

  const forward = async (req: IncomingMessage, body: Buffer): Promise<{ status: number; text: string }> => {
    const urls = instances();
    for (let tried = 0; tried < urls.length; tried++) {
      const base = urls[next++ % urls.length]!;
      try {
        const answer = await fetch(`${base}${req.url ?? "/"}`, {
          method: req.method ?? "POST",
          headers: { "content-type": String(req.headers["content-type"] ?? "application/json") },
          body: body.length > 0 ? new Uint8Array(body) : undefined,
          // Graph gives up after 3 s (contract §3 item 6); past that the answer reaches nobody.
          signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
          dispatcher,
        });
        counts.forwarded++;
        if (answer.status >= 500) counts.failed++;
        return { status: answer.status, text: await answer.text() };
      } catch (error) {
        if (!refused(error)) {
          counts.noAnswer++;
          return { status: 504, text: "" };
        }
        // That instance is down: the next one.
      }
    }
    counts.unavailable++;
    return { status: 503, text: "" };
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        counts.received++;
        const body = Buffer.concat(chunks);
        const handshake = (req.url ?? "").includes("validationToken=");
        if (!handshake && rng.next() < chaos.drop) {
          counts.dropped++;
          res.writeHead(202).end();
          return;
        }
        if (!handshake && rng.next() < chaos.delay) {
          counts.delayed++;
          await new Promise((resolve) => setTimeout(resolve, rng.int(2_000)));
        }
        const answer = await forward(req, body);
        res.writeHead(answer.status, { "content-type": "text/plain" }).end(answer.text);
        if (!handshake && answer.status < 300 && rng.next() < chaos.duplicate) {
          counts.duplicated++;
          setTimeout(() => void forward(req, body), rng.int(1_000));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    chaos,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        void dispatcher.close();
        server.close(() => resolve());
      }),
  };
}
