import { spawn } from "node:child_process";
import { join } from "node:path";
import { type GraphSim, type GraphSimOptions, startGraphSim } from "../graph/index.js";
import { defaultSimApplication, type MiSim, type MiSimOptions, startMiSim } from "../mi/index.js";
import { ensureCertificate } from "../tls/ensure-certificate.js";

/** What one run of the real `mi-o365-usersync` command printed and returned. */
export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Both simulators, started in this process, plus a way to run the real command line against them as a separate
 * process (the way an admin runs it). Used by the sandbox and by the integration tests.
 */
export interface Lab {
  graph: GraphSim;
  mi: MiSim;
  /** Environment variables that point the command at the simulators (credentials included). */
  env: Record<string, string>;
  /** Runs `mi-o365-usersync <args>` with `env` (plus `extraEnv`, where undefined removes a variable). */
  runCli(args: string[], extraEnv?: Record<string, string | undefined>): Promise<CliRun>;
  close(): Promise<void>;
}

export interface LabOptions {
  graph?: GraphSimOptions;
  mi?: MiSimOptions;
}

const repoRoot = (): string => join(__dirname, "..", "..", "..");

/** The installed command's script (the package's `bin`). */
export const cliScript = (): string => join(repoRoot(), "bin", "mi-o365-usersync.js");

export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const certificate = await ensureCertificate();
  const graph = await startGraphSim(options.graph);
  const mi = await startMiSim(options.mi);
  const env = cliEnvironment({
    certPath: certificate.certPath,
    graph,
    mi: {
      url: mi.url,
      applicationId: options.mi?.applications?.[0]?.applicationId ?? defaultSimApplication.applicationId,
      applicationKey: options.mi?.applications?.[0]?.applicationKey ?? defaultSimApplication.applicationKey,
      adminUsername: options.mi?.adminUsername ?? "admin",
    },
  });
  return {
    graph,
    mi,
    env,
    runCli: (args, extraEnv = {}) => runCli(args, { ...env, ...extraEnv }),
    close: async () => {
      await Promise.all([graph.close(), mi.close()]);
    },
  };
}

/** Where the simulators are and how to sign in to them, wherever they run (in-process or their own process). */
export interface SimulatorEndpoints {
  certPath: string;
  graph: { url: string; tenantId: string; clientId: string; clientSecret: string };
  mi: { url: string; applicationId: string; applicationKey: string; adminUsername: string };
}

/** The environment variables that point the command (or the Functions app) at the simulators. */
export function cliEnvironment(sims: SimulatorEndpoints): Record<string, string> {
  return {
    NODE_EXTRA_CA_CERTS: sims.certPath,
    O365_USERSYNC_TENANT: sims.graph.tenantId,
    O365_USERSYNC_CLIENT_ID: sims.graph.clientId,
    O365_USERSYNC_CLIENT_SECRET: sims.graph.clientSecret,
    O365_USERSYNC_GRAPH_ENDPOINT: sims.graph.url,
    O365_USERSYNC_AUTHORITY_HOST: sims.graph.url,
    MI_URL: sims.mi.url,
    MI_APPLICATION_ID: sims.mi.applicationId,
    MI_APPLICATION_KEY: sims.mi.applicationKey,
    MI_API_USER: sims.mi.adminUsername,
  };
}

/** Spawns the command asynchronously: the simulators live in this process and must keep answering. */
export function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  const base: Record<string, string | undefined> = { ...process.env };
  // The command must see only what the lab gives it: no stray credentials or proxies from the calling shell.
  for (const key of Object.keys(base)) {
    if (/^(O365_USERSYNC_|MI_|HTTPS?_PROXY$|https?_proxy$|NO_PROXY$|no_proxy$)/.test(key)) delete base[key];
  }
  const merged: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...base, ...env })) if (value !== undefined) merged[key] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliScript(), ...args], { env: merged, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ status: code ?? 1, stdout, stderr }));
  });
}
