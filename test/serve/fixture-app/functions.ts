// A small Functions app for testing `serve` itself: one function per host behaviour. Its entry point is loaded by
// serve exactly as the product's (see fixture-app.ts, which lays out its package.json and host.json).
import { app, type HttpRequest, type InvocationContext, output } from "@azure/functions";
import { QueueClient } from "@azure/storage-queue";

const LOG_QUEUE = "fixture-log";
const logOutput = output.storageQueue({ queueName: LOG_QUEUE, connection: "AzureWebJobsStorage" });

const queue = (name: string): QueueClient => new QueueClient(process.env.AzureWebJobsStorage ?? "", name);

/** Records an event straight away (not through an output binding, which a failing run never writes). */
async function record(event: Record<string, unknown>): Promise<void> {
  const log = queue(LOG_QUEUE);
  await log.createIfNotExists();
  await log.sendMessage(Buffer.from(JSON.stringify({ ...event, pid: process.pid })).toString("base64"));
}

/** Waits until the test puts a message in `fixture-release` (and takes it). */
async function released(): Promise<void> {
  const gate = queue("fixture-release");
  await gate.createIfNotExists();
  for (;;) {
    const [message] = (await gate.receiveMessages({ numberOfMessages: 1 })).receivedMessageItems;
    if (message) {
      await gate.deleteMessage(message.messageId, message.popReceipt);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const echo = async (request: HttpRequest) => ({
  jsonBody: { method: request.method, id: request.params.id ?? null, q: request.query.get("q") },
});

app.http("open", { methods: ["GET"], authLevel: "anonymous", route: "open/{id?}", handler: echo });
app.http("keyed", { methods: ["GET", "POST"], authLevel: "function", route: "keyed", handler: echo });
app.http("admin-only", { methods: ["GET"], authLevel: "admin", route: "admin-only", handler: echo });

/** Puts the JSON array it is posted on fixture-log through its output binding, then answers 202. */
app.http("enqueue", {
  methods: ["POST"],
  authLevel: "anonymous",
  route: "enqueue",
  extraOutputs: [logOutput],
  handler: async (request: HttpRequest, context: InvocationContext) => {
    context.extraOutputs.set(logOutput, await request.json());
    return { status: 202 };
  },
});

/**
 * Records each delivery with its trigger metadata; `{ "failUntil": n }` throws on deliveries up to n, `"always"`
 * on every one; `{ "hold": true }` waits for a release.
 */
app.storageQueue("worker", {
  queueName: "fixture-in",
  connection: "AzureWebJobsStorage",
  handler: async (message: unknown, context: InvocationContext) => {
    const meta = context.triggerMetadata ?? {};
    const body = message as { failUntil?: number | "always"; hold?: boolean };
    await record({ event: "delivery", message, dequeueCount: meta.dequeueCount, id: meta.id, meta: Object.keys(meta) });
    if (body.hold) {
      await released();
      await record({ event: "done", message });
    }
    const count = Number(meta.dequeueCount);
    if (body.failUntil === "always" || (typeof body.failUntil === "number" && count <= body.failUntil)) {
      throw new Error(`failing delivery ${count} on purpose`);
    }
  },
});

/** Records its start, waits for a release, records its end: overlapping runs would show two starts in a row. */
app.timer("tick", {
  schedule: "%TICK_SCHEDULE%",
  handler: async (timer) => {
    await record({ event: "start", isPastDue: timer.isPastDue });
    await released();
    await record({ event: "end" });
  },
});
