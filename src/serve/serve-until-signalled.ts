import { runHost } from "./run-host.js";
import { ServeError } from "./serve-error.js";
import { resolveServeOptions, type ServeFlags } from "./serve-options.js";

export interface ServeProcess {
  env: Record<string, string | undefined>;
  stdout(line: string): void;
  stderr(line: string): void;
  /** Subscribes to SIGTERM and SIGINT. */
  onSignal(listener: (signal: NodeJS.Signals) => void): void;
  /** Ends the process at once (a second signal). */
  exitNow(status: number): never;
}

/**
 * `mi-o365-usersync serve`: runs the host until SIGTERM or SIGINT, then drains (contracts/serve.md "Lifecycle") and
 * resolves 0. A second signal ends the process at once. Start-up failures resolve their exit status (2 usage or
 * configuration, 5 storage unreachable) after one line on stderr naming the setting.
 */
export async function serveUntilSignalled(flags: ServeFlags, io: ServeProcess): Promise<number> {
  let signalled: (signal: NodeJS.Signals) => void = () => {};
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    signalled = resolve;
  });
  let signals = 0;
  io.onSignal((name) => {
    signals++;
    if (signals > 1) {
      io.stderr(`mi-o365-usersync serve: ${name} again, exiting now; unfinished messages will reappear`);
      io.exitNow(1);
    }
    signalled(name);
  });
  let host: Awaited<ReturnType<typeof runHost>>;
  try {
    const starting = runHost(resolveServeOptions(flags, io.env), io);
    host = await Promise.race([starting, signal.then(() => starting)]);
  } catch (error) {
    io.stderr(`mi-o365-usersync serve: ${error instanceof Error ? error.message : String(error)}`);
    return error instanceof ServeError ? error.exitStatus : 1;
  }
  const name = await signal;
  io.stderr(`mi-o365-usersync serve: ${name}: draining`);
  await host.stop();
  return 0;
}
