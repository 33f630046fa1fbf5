import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { cliEnvironment } from "../../sim/sandbox/lab.js";
import type { SimChildInfo } from "./sim-child.js";

/** A simulator running in its own process, with its control API. */
export interface SimProcess {
  info: SimChildInfo;
  pid: number;
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

const childScript = (): string => join(__dirname, "sim-child.js");
/** Tries of a control call that got no answer. */
const CONTROL_ATTEMPTS = 4;

/** `fetch failed` says nothing: its cause (ECONNRESET, ECONNREFUSED, ...) does. */
function causeOf(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  const base = error instanceof Error ? error.message : String(error);
  return cause ? `${base}: ${cause.code ?? cause.message ?? String(cause)}` : base;
}

/** Starts `sim-child.js <role> <args>` and waits for its JSON line (the Graph child loads the tenant first). */
export async function launchSim(role: "graph" | "mi", args: string[], timeoutMs = 600_000): Promise<SimProcess> {
  const child: ChildProcess = spawn(process.execPath, [childScript(), role, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const info = await new Promise<SimChildInfo>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${role} simulator did not start within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as SimChildInfo);
      } catch (error) {
        reject(error);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${role} simulator exited with ${code}: ${stderr}`));
    });
  });
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(`${info.control}${path}`, {
          method,
          ...(body === undefined
            ? {}
            : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
        });
      } catch (error) {
        // No answer at all (a reused keep-alive socket the simulator had just closed, a busy machine): the control
        // calls are idempotent (a change applied twice is the same change), so try again, then say why it failed.
        if (attempt < CONTROL_ATTEMPTS && child.exitCode === null) {
          await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
          continue;
        }
        const exited =
          child.exitCode === null ? "" : `; the simulator exited with ${child.exitCode}: ${stderr.slice(-500)}`;
        throw new Error(
          `${role} control ${method} ${path}: no answer after ${attempt} attempt(s) (${causeOf(error)})${exited}`,
        );
      }
      const json = (await response.json()) as T & { error?: string };
      if (!response.ok) throw new Error(`${role} control ${method} ${path}: ${json.error ?? response.status}`);
      return json;
    }
  };
  return {
    info,
    pid: child.pid ?? -1,
    get: (path) => call("GET", path),
    post: (path, body) => call("POST", path, body ?? {}),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** Sets both simulators' injected latency (a set-up the bench does not measure runs with none). */
export async function setSimLatency(graph: SimProcess, mi: SimProcess, graphMs: number, miMs: number): Promise<void> {
  await Promise.all([graph.post("/latency", { ms: graphMs }), mi.post("/latency", { ms: miMs })]);
}

/** The CLI's environment for simulators running as child processes. */
export function childCliEnvironment(graph: SimProcess, mi: SimProcess): Record<string, string> {
  const g = graph.info;
  return cliEnvironment({
    certPath: g.certPath ?? "",
    graph: { url: g.url, tenantId: g.tenantId ?? "", clientId: g.clientId ?? "", clientSecret: g.clientSecret ?? "" },
    mi: {
      url: mi.info.url,
      applicationId: mi.info.applicationId ?? "",
      applicationKey: mi.info.applicationKey ?? "",
      adminUsername: mi.info.adminUsername ?? "admin",
    },
  });
}
