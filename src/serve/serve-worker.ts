// The thread `startServe` runs a host in: runs it with the options it was given and reports back; stops on request.
import { parentPort, workerData } from "node:worker_threads";
import { runHost } from "./run-host.js";
import { ServeError } from "./serve-error.js";
import type { ServeOptions } from "./serve-options.js";
import type { ServeWorkerMessage } from "./start-serve.js";

const post = (message: ServeWorkerMessage): void => parentPort?.postMessage(message);

runHost(workerData as ServeOptions, {
  env: process.env,
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
}).then(
  (host) => {
    post({ type: "ready", url: host.url, ...host.keys, connectionString: host.connectionString });
    parentPort?.on("message", (message: { type?: string }) => {
      if (message.type === "stop") void host.stop().then(() => post({ type: "stopped" }));
    });
  },
  (error: unknown) => {
    const exitStatus = error instanceof ServeError ? error.exitStatus : 1;
    post({ type: "failed", exitStatus, message: error instanceof Error ? error.message : String(error) });
  },
);
