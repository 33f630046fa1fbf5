import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QueueClient } from "@azure/storage-queue";
import { startAzurite } from "../../sim/azurite/start-azurite.js";
import { type RunningServe, startServe } from "../../src/serve/start-serve.js";

/** host.json of the fixture app: quick retries, three deliveries before the poison queue. */
export const FIXTURE_HOST_JSON = {
  version: "2.0",
  functionTimeout: "00:05:00",
  extensions: {
    queues: { maxDequeueCount: 3, visibilityTimeout: "00:00:00", maxPollingInterval: "00:00:00.100", batchSize: 4 },
  },
};

/**
 * A folder holding the fixture app as the Functions host would find it: package.json (whose `main` names the entry
 * point) and host.json. The entry point re-exports the compiled fixture, so that `@azure/functions` resolves from
 * this repository.
 */
export function fixtureAppRoot(hostJson: unknown = FIXTURE_HOST_JSON): string {
  const root = mkdtempSync(join(tmpdir(), "serve-fixture-"));
  mkdirSync(join(root, "dist"));
  writeFileSync(
    join(root, "package.json"),
    JSON.stringify({ name: "serve-fixture", version: "1.2.3", main: "dist/*.js" }),
  );
  writeFileSync(join(root, "host.json"), JSON.stringify(hostJson));
  writeFileSync(
    join(root, "dist", "functions.js"),
    `module.exports = require(${JSON.stringify(join(__dirname, "fixture-app", "functions.js"))});\n`,
  );
  return root;
}

/** The settings the fixture reads: its timer's schedule (Jan 1st only: runs come from the admin API). */
export const FIXTURE_SETTINGS = { TICK_SCHEDULE: "0 0 0 1 1 *" };

/** Every message on fixture-log so far, oldest first, decoded (peeked: nothing is taken off the queue). */
export async function fixtureEvents(connectionString: string): Promise<Record<string, unknown>[]> {
  const log = new QueueClient(connectionString, "fixture-log");
  if (!(await log.exists())) return [];
  // Peek shows at most 32; the tests stay below that.
  return (await log.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((item) => {
    const text = Buffer.from(item.messageText, "base64").toString("utf8");
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      return { text };
    }
  });
}

/** Sends a message as the queue output binding would: base64 of the UTF-8 JSON. */
export async function sendFixtureMessage(connectionString: string, queueName: string, body: unknown): Promise<void> {
  const queue = new QueueClient(connectionString, queueName);
  await queue.createIfNotExists();
  await queue.sendMessage(Buffer.from(typeof body === "string" ? body : JSON.stringify(body)).toString("base64"));
}

/** The fixture app served in this process (its own thread) on a fresh in-memory Azurite. */
export interface FixtureServe {
  serve: RunningServe;
  connectionString: string;
  close(): Promise<void>;
}

export async function startFixtureServe(keys: { functionKey: string; masterKey: string }): Promise<FixtureServe> {
  const azurite = await startAzurite();
  const serve = await startServe({
    appRoot: fixtureAppRoot(),
    storage: azurite.connectionString,
    ...keys,
    settings: FIXTURE_SETTINGS,
  });
  return {
    serve,
    connectionString: azurite.connectionString,
    close: async () => {
      await serve.close();
      await azurite.close();
    },
  };
}
