import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

/** Largest webhook answer body kept; the rest is discarded (only validation answers are read). */
const MAX_ANSWER_BYTES = 64 * 1024;

/** How a webhook POST ended: it answered (any status), or it did not answer in time, or the connection failed. */
export type WebhookAnswer =
  | { outcome: "answered"; status: number; body: string }
  | { outcome: "timeout" | "connection-error"; status: null; body: "" };

export interface PostWebhookOptions {
  body: string;
  contentType: string;
  /** Whole-exchange deadline (connect, send, headers, body), ms. */
  timeoutMs: number;
  /** Aborting counts as a connection error (used when the simulator closes). */
  signal?: AbortSignal;
}

/**
 * POSTs `body` to a webhook with plain `node:http`/`node:https` (the sandbox webhook is `http://127.0.0.1`, and
 * Graph's own client gives up after a fixed time, contract §3.3). Never rejects: every failure is a `WebhookAnswer`.
 * No keep-alive agent, so closing the simulator leaves no sockets behind.
 */
export function postWebhook(url: string, options: PostWebhookOptions): Promise<WebhookAnswer> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (answer: WebhookAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      resolve(answer);
    };
    const failed = (outcome: "timeout" | "connection-error"): WebhookAnswer => ({ outcome, status: null, body: "" });
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve(failed("connection-error"));
      return;
    }
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const payload = Buffer.from(options.body, "utf8");
    const req = send(target, {
      method: "POST",
      agent: false,
      headers: { "Content-Type": options.contentType, "Content-Length": payload.length },
    });
    const timer = setTimeout(() => {
      finish(failed("timeout"));
      req.destroy();
    }, options.timeoutMs);
    const onAbort = (): void => {
      finish(failed("connection-error"));
      req.destroy();
    };
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", () => finish(failed("connection-error")));
    req.on("response", (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
      });
      res.on("error", () => finish(failed("connection-error")));
      res.on("end", () =>
        finish({ outcome: "answered", status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    req.end(payload);
  });
}
