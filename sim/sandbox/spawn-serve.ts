import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { cliScript } from "./lab.js";

/** `mi-o365-usersync serve` running as its own process, as an admin runs it. */
export interface ServeProcess {
  /** Resolves with the base URL once `serve` prints its `ready:` line; rejects if it exits first. */
  ready: Promise<string>;
  pid: number;
  /** Every stdout line so far (start-up lines). */
  stdout: string[];
  /** Every stderr line so far (logs). */
  stderr: string[];
  /** Resolves with the exit status once the process has ended (a signal counts as 128 + its number). */
  exited: Promise<number>;
  /** Resolves once a stderr line matches. */
  logged(pattern: RegExp): Promise<string>;
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then the exit status. */
  stop(): Promise<number>;
}

export interface SpawnServeOptions {
  /** serve's flags (`--port 0` unless given). */
  args?: string[];
  /** The environment: app settings and keys (FUNCTIONS_DEFAULT_KEY, FUNCTIONS_MASTER_KEY). */
  env: Record<string, string | undefined>;
  cwd?: string;
}

const SIGNALS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Starts `serve` as a child process (await `ready` for its URL). The caller stops it (`stop`, `kill`). */
export function spawnServe(options: SpawnServeOptions): ServeProcess {
  const args = options.args ?? [];
  const child: ChildProcess = spawn(
    process.execPath,
    [cliScript(), "serve", ...(args.includes("--port") ? [] : ["--port", "0"]), ...args],
    { env: definedOnly(options.env), cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] },
  );
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => stdout.push(line));
  createInterface({ input: child.stderr! }).on("line", (line) => {
    stderr.push(line);
    for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  });
  const exited = new Promise<number>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? 128 + (signal ? (SIGNALS[signal] ?? 0) : 0))),
  );
  const ready = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const ready = /^ready: (http:\/\/\S+)/.exec(line);
      if (ready?.[1]) resolve(ready[1]);
    });
    void exited.then((status) => reject(new Error(`serve exited ${status}: ${stderr.join("\n")}`)));
  });
  ready.catch(() => undefined);
  return {
    ready,
    pid: child.pid ?? -1,
    stdout,
    stderr,
    exited,
    logged: (pattern) => {
      const seen = stderr.find((line) => pattern.test(line));
      return seen !== undefined ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ pattern, resolve }));
    },
    kill: (signal) => {
      child.kill(signal);
    },
    stop: () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
