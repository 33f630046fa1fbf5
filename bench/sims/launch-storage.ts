import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** A storage account for `serve` instances: its connection string, and how to stop it. */
export interface LaunchedStorage {
  connectionString: string;
  close(): Promise<void>;
}

/** Azurite in its own process (sim/azurite/main.js). */
async function launchAzurite(): Promise<LaunchedStorage> {
  const child = spawn(
    process.execPath,
    [join(__dirname, "..", "..", "sim", "azurite", "main.js"), "--table-port", "0", "--queue-port", "0"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`azurite exited ${code}`)));
  });
  const { connectionString } = JSON.parse(line) as { connectionString: string };
  return {
    connectionString,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/**
 * The storage account the app's instances share, as separate processes: Azure's table and queue services are
 * separate services, and one Azurite process serving both (or Azurite inside the measuring process) is a bottleneck
 * Azure does not have (the soak found one thread at 95% CPU). Tables come from one process, queues from another.
 */
export async function launchStorageAccount(): Promise<LaunchedStorage> {
  const [tables, queues] = await Promise.all([launchAzurite(), launchAzurite()]);
  const queueEndpoint = /QueueEndpoint=(http:\/\/[^/;]+)/.exec(queues.connectionString)![1]!;
  return {
    connectionString: tables.connectionString.replace(
      /QueueEndpoint=http:\/\/[^/;]+/,
      `QueueEndpoint=${queueEndpoint}`,
    ),
    close: async () => {
      await Promise.all([tables.close(), queues.close()]);
    },
  };
}
