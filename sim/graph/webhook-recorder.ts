import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One POST the recorder received. `query` keeps the whole query string, decoded; `rawUrl` as it came on the wire. */
export interface RecordedPost {
  rawUrl: string;
  path: string;
  query: URLSearchParams;
  contentType: string;
  body: string;
  /** `validationToken` query parameter present: a validation handshake (contract §3.2). */
  isValidation: boolean;
}

/** How the recorder answers validation requests: correctly, with the still-encoded token, a status, or never. */
export type ValidationBehaviour = "echo" | "echo-encoded" | "hang" | number;

/**
 * A plain-http webhook for exercising the simulator's change notifications (the sandbox serves its webhook the same
 * way, on `http://127.0.0.1`). It answers validation handshakes per `validation`, and notification POSTs with the
 * next status of `notificationStatuses` (then `defaultStatus`), or never when `hangNotifications` is set.
 */
export class WebhookRecorder {
  readonly posts: RecordedPost[] = [];
  validation: ValidationBehaviour = "echo";
  notificationStatuses: number[] = [];
  defaultStatus = 202;
  hangNotifications = false;

  private constructor(
    private readonly server: ReturnType<typeof createServer>,
    /** `http://127.0.0.1:<port>` */
    readonly origin: string,
  ) {}

  static async start(): Promise<WebhookRecorder> {
    let recorder: WebhookRecorder | undefined;
    const server = createServer((req, res) => {
      recorder?.handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    recorder = new WebhookRecorder(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return recorder;
  }

  /** Non-validation POSTs, each with its parsed JSON `value` array. */
  notifications(): Array<RecordedPost & { value: Array<Record<string, unknown>> }> {
    return this.posts
      .filter((post) => !post.isValidation)
      .map((post) => ({ ...post, value: (JSON.parse(post.body) as { value: Array<Record<string, unknown>> }).value }));
  }

  validations(): RecordedPost[] {
    return this.posts.filter((post) => post.isValidation);
  }

  /** Forgets what was received and restores the default behaviour. */
  reset(): void {
    this.posts.length = 0;
    this.validation = "echo";
    this.notificationStatuses = [];
    this.defaultStatus = 202;
    this.hangNotifications = false;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? "/", this.origin);
    const token = url.searchParams.get("validationToken");
    this.posts.push({
      rawUrl: req.url ?? "/",
      path: url.pathname,
      query: url.searchParams,
      contentType: req.headers["content-type"] ?? "",
      body: Buffer.concat(chunks).toString("utf8"),
      isValidation: token !== null,
    });
    if (token !== null) {
      if (this.validation === "hang") return;
      const status = typeof this.validation === "number" ? this.validation : 200;
      const body = this.validation === "echo-encoded" ? encodeURIComponent(token) : token;
      res.writeHead(status, { "Content-Type": "text/plain" }).end(body);
      return;
    }
    if (this.hangNotifications) return;
    res.writeHead(this.notificationStatuses.shift() ?? this.defaultStatus).end();
  }
}
