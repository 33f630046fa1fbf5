/**
 * Azurite's Table and Queue services, in-process: `serve`'s embedded storage (on disk, in its data dir) and the
 * tests', sandbox's and benchmarks' (in memory). No child process, no telemetry (only Azurite's CLI entry initialises
 * it), loopback only. Azurite is a development dependency: load this module lazily, where its absence can be told.
 *
 * `skipApiVersionCheck` is on because `@azure/storage-queue@12.30.0` sends `x-ms-version: 2026-04-06`, newer than
 * anything Azurite 3.35.0 accepts (see /work/shared/notes/toolchain.md §2). The servers are Azurite internals, so the
 * positional constructor arguments below are tied to the exact Azurite version in package.json.
 */
import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import QueueConfiguration from "azurite/dist/src/queue/QueueConfiguration";
import QueueServer from "azurite/dist/src/queue/QueueServer";
import TableConfiguration from "azurite/dist/src/table/TableConfiguration";
import TableServer from "azurite/dist/src/table/TableServer";

/** Azurite's well-known development account; public, documented by Microsoft, valid only against Azurite. */
const DEV_ACCOUNT = "devstoreaccount1";
const DEV_ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const HOST = "127.0.0.1";
const KEEP_ALIVE_SECONDS = 5;

/** The members of Azurite's `ServerBase` that this module calls. */
interface AzuriteServer {
  start(): Promise<void>;
  close(): Promise<void>;
  readonly httpServer: { address(): AddressInfo | string | null };
}

export interface StartAzuriteOptions {
  /** 0 (the default) picks a free port. */
  tablePort?: number;
  /** 0 (the default) picks a free port. */
  queuePort?: number;
  /** A folder to keep the data in across restarts; in memory when absent. */
  location?: string;
}

export interface RunningAzurite {
  /** A full connection string (account, key and both endpoints over http), for `TableClient` and `QueueClient`. */
  connectionString: string;
  /** Stops both servers; the process can then exit by itself. */
  close(): Promise<void>;
}

export async function startAzurite(options: StartAzuriteOptions = {}): Promise<RunningAzurite> {
  const skipApiVersionCheck = true;
  const location = options.location;
  const inMemory = location === undefined;
  if (location !== undefined) mkdirSync(join(location, "queues"), { recursive: true });
  const at = (file: string): string => (location === undefined ? file : join(location, file));
  // TableConfiguration(host, port, keepAliveTimeout, metadataDBPath, enableDebugLog, enableAccessLog,
  //   accessLogWriteStream, debugLogFilePath, loose, skipApiVersionCheck, cert, key, pwd, oauth,
  //   disableProductStyleUrl, isMemoryPersistence)
  const table = new TableServer(
    new TableConfiguration(
      HOST,
      options.tablePort ?? 0,
      KEEP_ALIVE_SECONDS,
      at("__azurite_table__.json"),
      false,
      false,
      undefined,
      undefined,
      false,
      skipApiVersionCheck,
      "",
      "",
      "",
      undefined,
      false,
      inMemory,
    ),
  ) as AzuriteServer;
  // QueueConfiguration(host, port, keepAliveTimeout, metadataDBPath, extentDBPath, persistencePathArray,
  //   enableAccessLog, accessLogWriteStream, enableDebugLog, debugLogFilePath, loose, skipApiVersionCheck, cert, key,
  //   pwd, oauth, disableProductStyleUrl, isMemoryPersistence)
  const queue = new QueueServer(
    new QueueConfiguration(
      HOST,
      options.queuePort ?? 0,
      KEEP_ALIVE_SECONDS,
      at("__azurite_queue__.json"),
      at("__azurite_queue_extent__.json"),
      location === undefined ? undefined : [{ locationId: "Default", locationPath: at("queues"), maxConcurrency: 1 }],
      false,
      undefined,
      false,
      undefined,
      false,
      skipApiVersionCheck,
      "",
      "",
      "",
      undefined,
      false,
      inMemory,
    ),
  ) as AzuriteServer;

  const started: AzuriteServer[] = [];
  try {
    for (const server of [table, queue]) {
      await server.start();
      started.push(server);
    }
  } catch (error) {
    await Promise.allSettled(started.map((server) => server.close()));
    throw error;
  }

  const tablePort = portOf(table);
  const queuePort = portOf(queue);
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_ACCOUNT_KEY};` +
    `TableEndpoint=http://${HOST}:${tablePort}/${DEV_ACCOUNT};QueueEndpoint=http://${HOST}:${queuePort}/${DEV_ACCOUNT};`;

  let closing: Promise<void> | undefined;
  return {
    connectionString,
    close() {
      closing ??= Promise.all([table.close(), queue.close()]).then(() => undefined);
      return closing;
    },
  };
}

function portOf(server: AzuriteServer): number {
  const address = server.httpServer.address();
  if (address === null || typeof address === "string") throw new Error("azurite: server is not listening on TCP");
  return address.port;
}
