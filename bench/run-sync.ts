import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** One run of the real command, measured from the outside. */
export interface SyncRun {
  status: number;
  /** From spawn to exit, node start-up included. */
  wallMs: number;
  /** Peak resident set size of the sync process, MB (null when it could not be measured). */
  peakRssMb: number | null;
  rssMethod: "time -v" | "VmHWM" | "none";
  stdoutTail: string;
  stderrTail: string;
}

const repoRoot = (): string => join(__dirname, "..", "..");
export const cliScript = (): string => join(repoRoot(), "bin", "mi-o365-usersync.js");
const TIME = "/usr/bin/time";

/** Environment for the command, built like `sim/sandbox/lab.ts`: no stray credentials or proxies from the shell. */
export function syncEnv(extra: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(O365_USERSYNC_|MI_|HTTPS?_PROXY$|https?_proxy$|NO_PROXY$|no_proxy$)/.test(key)) continue;
    merged[key] = value;
  }
  return { ...merged, ...extra };
}

/**
 * Runs `node bin/mi-o365-usersync.js <args>` as its own process. Peak RSS: under GNU `/usr/bin/time -v` when present
 * ("Maximum resident set size", the kernel's own high-water mark at exit: nothing can be missed by sampling);
 * otherwise `/proc/<pid>/status` VmHWM polled every 20 ms (the high-water mark too, so only the last 20 ms can be
 * missed).
 */
export function runSync(args: string[], env: Record<string, string>): Promise<SyncRun> {
  const useTime = existsSync(TIME);
  const command = useTime ? TIME : process.execPath;
  const argv = useTime ? ["-v", process.execPath, cliScript(), ...args] : [cliScript(), ...args];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let hwmKb = 0;
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout = (stdout + c).slice(-20_000);
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr = (stderr + c).slice(-20_000);
    });
    const poll = useTime
      ? undefined
      : setInterval(() => {
          try {
            const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
            if (match) hwmKb = Math.max(hwmKb, Number(match[1]));
          } catch {
            // exited between polls
          }
        }, 20);
    child.on("error", reject);
    child.on("close", (code) => {
      if (poll) clearInterval(poll);
      const wallMs = performance.now() - started;
      let peakRssMb: number | null = null;
      let rssMethod: SyncRun["rssMethod"] = "none";
      if (useTime) {
        const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
        if (match) {
          peakRssMb = Number(match[1]) / 1024;
          rssMethod = "time -v";
        }
        stderr = stderr.replace(/\n?\s*Command being timed:[\s\S]*$/, "");
      } else if (hwmKb > 0) {
        peakRssMb = hwmKb / 1024;
        rssMethod = "VmHWM";
      }
      resolve({
        status: code ?? 1,
        wallMs,
        peakRssMb,
        rssMethod,
        stdoutTail: stdout.slice(-4000),
        stderrTail: stderr.slice(-4000),
      });
    });
  });
}
