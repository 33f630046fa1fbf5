import { type ServeProcess, spawnServe } from "../../sim/sandbox/spawn-serve.js";

/** Three (or more) `serve` processes on one storage account, each on its own port, restartable in place. */
export interface ServeFleet {
  /** Base URLs of the instances that are up. */
  up(): string[];
  /** Every process started so far (restarts included), for their logs. */
  readonly processes: ServeProcess[];
  kills: { SIGKILL: number; SIGTERM: number };
  /** Stops instance `index` with `signal` and starts it again on the same port (after `downMs`). */
  restart(index: number, signal: "SIGKILL" | "SIGTERM", downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startServeFleet(ports: number[], env: Record<string, string | undefined>): Promise<ServeFleet> {
  const processes: ServeProcess[] = [];
  const current: (ServeProcess | undefined)[] = [];
  const urls: (string | undefined)[] = [];
  const start = async (index: number): Promise<void> => {
    const serve = spawnServe({ args: ["--port", String(ports[index])], env });
    processes.push(serve);
    current[index] = serve;
    urls[index] = await serve.ready;
  };
  await Promise.all(ports.map((_, i) => start(i)));
  const kills = { SIGKILL: 0, SIGTERM: 0 };
  return {
    up: () => urls.filter((u): u is string => u !== undefined),
    processes,
    kills,
    restart: async (index, signal, downMs = 0) => {
      const serve = current[index];
      urls[index] = undefined;
      if (serve) {
        serve.kill(signal);
        kills[signal]++;
        await serve.exited;
      }
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await start(index);
    },
    stop: async () => {
      urls.length = 0;
      // SIGTERM drains (up to functionTimeout); a run stuck that long is not worth waiting for at the end of a soak.
      await Promise.all(
        current.map(async (serve) => {
          if (!serve) return;
          const timer = setTimeout(() => serve.kill("SIGKILL"), 30_000);
          await serve.stop();
          clearTimeout(timer);
        }),
      );
    },
  };
}
