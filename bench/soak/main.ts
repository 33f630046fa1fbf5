// `npm run soak`: the live path under fire, scaled out. Three `mi-o365-usersync serve` processes share one storage
// account (Azurite: its tables in one process, its queues in another); the Graph and MI simulators run as their own
// processes with random 429/503s, MI deadlocks and expired sessions (412), a Graph outage and a longer MI outage;
// membership and profile changes stream in while Graph's notifications are dropped, duplicated and reordered on their
// way in, one instance is SIGKILLed and restarted every minute and one is stopped with SIGTERM. Then: does MI converge to what `provision` produces, with no user created twice and
// nothing in the poison queue? Prints the figures and writes them to docs/soak.md.
//
//   npm run soak [-- --changes 10000 --minutes 10 --size S --seed 1 --fault-rate 0.15 --out docs/soak.md --logs DIR]

import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../sim/sandbox/free-port.js";
import { runCli } from "../../sim/sandbox/lab.js";
import { runTimerFunction } from "../../sim/sandbox/run-timer-function.js";
import { startStorageFaultProxy } from "../../sim/sandbox/storage-fault-proxy.js";
import { waitUntil } from "../../sim/sandbox/wait-until.js";
import { relaunchWithCertificate } from "../../sim/tls/relaunch-with-certificate.js";
import { buildLiveDeps } from "../../src/functions/runtime.js";
import { runSync, syncEnv } from "../run-sync.js";
import { SYNC_ARGS } from "../scenarios/cli-scenarios.js";
import { drawChange, topLevelGroups } from "../scenarios/live-scenarios.js";
import { childCliEnvironment, launchSim } from "../sims/launch.js";
import { launchStorageAccount } from "../sims/launch-storage.js";
import { startNotificationFront } from "../sims/notification-front.js";
import { startServeFleet } from "../sims/serve-fleet.js";
import { GROUP_PREFIX, generateTenant, type TenantSize } from "../tenant/generate-tenant.js";
import { Prng } from "../tenant/prng.js";
import { renderSoakReport, type SoakFigures } from "./soak-report.js";

interface SoakOptions {
  changes: number;
  minutes: number;
  size: TenantSize;
  seed: number;
  faultRate: number;
  convergeMinutes: number;
  out: string;
  /** A directory for each serve process's log (stderr), written at the end; none by default. */
  logs: string | undefined;
}

function parseArgs(argv: string[]): SoakOptions {
  const value = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
  };
  return {
    changes: Number(value("changes", "10000")),
    minutes: Number(value("minutes", "10")),
    size: value("size", "S") as TenantSize,
    seed: Number(value("seed", "1")),
    faultRate: Number(value("fault-rate", "0.15")),
    convergeMinutes: Number(value("converge-minutes", "20")),
    out: value("out", join(__dirname, "..", "..", "..", "docs", "soak.md")),
    logs: argv.includes("--logs") ? value("logs", "") || undefined : undefined,
  };
}

const FUNCTION_KEY = "soak-function-key";
const MASTER_KEY = "soak-master-key-not-a-secret";
const INSTANCES = 3;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function soak(options: SoakOptions): Promise<void> {
  const log = (line: string): void => {
    process.stderr.write(`${new Date().toISOString()} soak: ${line}\n`);
  };
  const durationMs = options.minutes * 60_000;
  const tenant = generateTenant(options.size, options.seed);
  log(`tenant ${options.size} (seed ${options.seed}): ${tenant.users.length} users, ${tenant.groups.length} groups`);
  const [graph, mi] = await Promise.all([
    launchSim("graph", ["--size", options.size, "--seed", String(options.seed), "--ru-quota", "0"]),
    launchSim("mi", ["--seed", String(options.seed)]),
  ]);
  const env = childCliEnvironment(graph, mi);
  const storage = await launchStorageAccount();
  // Every storage request passes a counting proxy: the figures say what the instances asked of storage.
  const proxies = await Promise.all(
    ["TableEndpoint", "QueueEndpoint"].map((name) =>
      startStorageFaultProxy(new RegExp(`${name}=(http://[^/;]+)`).exec(storage.connectionString)![1]!),
    ),
  );
  const azurite = {
    connectionString: ["TableEndpoint", "QueueEndpoint"].reduce(
      (text, name, i) => text.replace(new RegExp(`${name}=http://[^/;]+`), `${name}=${proxies[i]!.origin}`),
      storage.connectionString,
    ),
    close: async () => {
      await Promise.all(proxies.map((p) => p.close()));
      await storage.close();
    },
  };
  const storageRequests = (): Record<string, number> => Object.assign({}, ...proxies.map((p) => p.seen));
  const ports = await Promise.all(Array.from({ length: INSTANCES }, () => freePort()));
  let fleetUp: () => string[] = () => [];
  const front = await startNotificationFront(() => fleetUp(), options.seed + 7);
  const appSettings: Record<string, string> = {
    ...env,
    AzureWebJobsStorage: azurite.connectionString,
    NOTIFICATION_URL: `${front.origin}/api/graph/notifications?code=${FUNCTION_KEY}`,
    LIFECYCLE_NOTIFICATION_URL: `${front.origin}/api/graph/lifecycle?code=${FUNCTION_KEY}`,
    SYNC_FILTER: GROUP_PREFIX,
    SYNC_AUTO_CREATE: "all",
    SYNC_PROCESS_CHILD_GROUPS: "true",
    // The full reconcile every two minutes heals what dropped notifications hid.
    RECONCILE_SCHEDULE: "0 */2 * * * *",
  };
  const fleet = await startServeFleet(ports, {
    ...syncEnv(appSettings),
    FUNCTIONS_DEFAULT_KEY: FUNCTION_KEY,
    FUNCTIONS_MASTER_KEY: MASTER_KEY,
  });
  fleetUp = () => fleet.up();
  const deps = await buildLiveDeps(appSettings);
  const cleanup = async (): Promise<void> => {
    await fleet.stop();
    await front.close();
    await azurite.close();
    await Promise.all([graph.close(), mi.close()]);
  };
  try {
    log(`set-up: provision, then the timer reconcile through ${fleet.up()[0]}`);
    const cli = await runSync(SYNC_ARGS, syncEnv(env));
    if (cli.status !== 0) throw new Error(`set-up provision exited ${cli.status}: ${cli.stderrTail}`);
    await runTimerFunction({ url: fleet.up()[0]!, masterKey: MASTER_KEY }, "reconcile", "reconcile", deps.state);
    await waitUntil(async () => (await deps.queue.depth()).queued === 0, "the set-up's messages");

    log(`chaos on: ${options.changes} changes over ${options.minutes} min`);
    await graph.post("/chaos", { rate: options.faultRate });
    await mi.post("/chaos", { rate: options.faultRate, expireTokensEverySeconds: 30 });
    Object.assign(front.chaos, { drop: 0.03, duplicate: 0.05, delay: 0.1 });
    const events: string[] = [];
    const at = (ms: number, what: string, action: () => Promise<unknown>): NodeJS.Timeout =>
      setTimeout(() => {
        events.push(`${(ms / 1000).toFixed(0)} s: ${what}`);
        log(what);
        void action().catch((error: unknown) => log(`${what} failed: ${String(error)}`));
      }, ms);
    const graphOutageS = Math.min(60, durationMs / 10_000);
    const miOutageS = Math.min(300, durationMs / 2_000);
    const timers = [
      at(durationMs * 0.25, `Graph outage for ${graphOutageS} s`, () =>
        graph.post("/chaos", { outageSeconds: graphOutageS }),
      ),
      at(durationMs * 0.35, `MI outage for ${miOutageS} s`, () => mi.post("/chaos", { outageSeconds: miOutageS })),
      at(durationMs * 0.5, "instance 2 stopped with SIGTERM (back after 15 s)", () =>
        fleet.restart(1, "SIGTERM", 15_000),
      ),
    ];
    const killer = setInterval(
      () => {
        events.push(`${((Date.now() - started) / 1000).toFixed(0)} s: instance 1 SIGKILLed and restarted`);
        void fleet.restart(0, "SIGKILL").catch((error: unknown) => log(`restart failed: ${String(error)}`));
      },
      Math.min(60_000, durationMs / 4),
    );

    const traffic = setInterval(() => {
      const top = Object.entries(storageRequests())
        .sort(([, a], [, b]) => b - a)
        .slice(0, 6)
        .map(([k, n]) => `${k} ${n}`);
      log(`storage requests so far: ${top.join("; ")}`);
    }, 10_000);
    let beat = Date.now();
    const heartbeat = setInterval(() => {
      const lag = Date.now() - beat - 1_000;
      if (lag > 2_000) log(`event loop was blocked ${lag} ms`);
      beat = Date.now();
    }, 1_000);
    const rng = new Prng(options.seed + 3);
    const candidates = topLevelGroups(tenant);
    const started = Date.now();
    let made = 0;
    let memberships = 0;
    let profiles = 0;
    while (made < options.changes) {
      const due = Math.min(options.changes, Math.floor(((Date.now() - started) / durationMs) * options.changes) + 1);
      const membershipBatch = [];
      const profileBatch = [];
      for (; made < due; made++) {
        if (rng.next() < 0.8) {
          membershipBatch.push(drawChange(tenant, rng, candidates, rng.next() < 0.5));
        } else {
          const user = tenant.users[rng.int(tenant.users.length)]!;
          user.givenName = `${user.givenName.split("~")[0]}~${made}`;
          profileBatch.push({ userId: user.id, givenName: user.givenName, surname: user.surname });
        }
      }
      memberships += membershipBatch.length;
      profiles += profileBatch.length;
      if (membershipBatch.length > 0) await graph.post("/members", { changes: membershipBatch });
      if (profileBatch.length > 0) await graph.post("/profiles", { changes: profileBatch });
      if (made % 1000 < membershipBatch.length + profileBatch.length) log(`${made}/${options.changes} changes made`);
      await sleep(50);
    }
    const lastChangeAt = Date.now();
    clearInterval(killer);
    clearInterval(heartbeat);
    clearInterval(traffic);
    for (const timer of timers) clearTimeout(timer);
    await graph.post("/chaos", { rate: 0, outageSeconds: 0 });
    await mi.post("/chaos", { rate: 0, outageSeconds: 0, expireTokensEverySeconds: 0 });
    Object.assign(front.chaos, { drop: 0, duplicate: 0, delay: 0 });
    log(`last change made; chaos off; waiting for MI to match what provision would make`);

    let convergedAfterMs: number | null = null;
    let remaining: number | null = null;
    const limit = lastChangeAt + options.convergeMinutes * 60_000;
    while (Date.now() < limit) {
      const plan = await runCli([...SYNC_ARGS, "--dry-run", "--json", "--max-removals", "none"], env).catch(
        (error: unknown) => ({ status: -1, stdout: "", stderr: String(error) }),
      );
      remaining = plan.status === 0 ? planSize(plan.stdout) : null;
      log(`provision --dry-run: ${remaining ?? "failed"} operation(s) left`);
      if (remaining === 0) {
        convergedAfterMs = Date.now() - lastChangeAt;
        break;
      }
      await sleep(15_000);
    }
    const logs = fleet.processes.flatMap((p) => p.stderr);
    const figures: SoakFigures = {
      options,
      instances: INSTANCES,
      changes: { total: made, memberships, profiles, seconds: (lastChangeAt - started) / 1000 },
      faults: {
        ...(await graph.get<{ injected: Record<string, number> }>("/chaos")).injected,
        ...(await mi.get<{ injected: Record<string, number> }>("/chaos")).injected,
        "notifications dropped": front.counts.dropped,
        "notifications duplicated": front.counts.duplicated,
        "notifications held back (reordered)": front.counts.delayed,
      },
      kills: fleet.kills,
      events,
      front: front.counts,
      storageRequests: storageRequests(),
      messages: {
        deferred: logs.filter((l) => /message deferred by/.test(l)).length,
        failedDeliveries: logs.filter((l) => /failed \(delivery \d+ of/.test(l)).length,
        movedToPoison: logs.filter((l) => /moved to mi-sync-poison/.test(l)).length,
        ...(await deps.queue.depth()),
      },
      convergedAfterMs,
      remainingOperations: remaining,
      duplicateUsernames: (await mi.get<{ duplicateUsernames: string[] }>("/duplicates")).duplicateUsernames,
    };
    const report = renderSoakReport(figures);
    process.stdout.write(`${report}\n`);
    writeFileSync(options.out, `${report}\n`);
    // Aligned as the repository's formatter wants its markdown tables (docs/ is linted).
    spawnSync(
      process.execPath,
      [
        join(__dirname, "..", "..", "..", "node_modules", "@biomejs", "biome", "bin", "biome"),
        "format",
        "--write",
        options.out,
      ],
      { stdio: "ignore" },
    );
    log(`written to ${options.out}`);
    if (options.logs !== undefined) {
      mkdirSync(options.logs, { recursive: true });
      for (const [i, p] of fleet.processes.entries()) {
        writeFileSync(join(options.logs, `serve-${i + 1}.log`), `${p.stderr.join("\n")}\n`);
      }
      log(`serve logs written to ${options.logs}`);
    }
  } finally {
    await cleanup();
  }
}

/** Operations in a `provision --dry-run --json` document (the plan); null when it cannot be read. */
function planSize(stdout: string): number | null {
  try {
    return (JSON.parse(stdout) as { operations: unknown[] }).operations.length;
  } catch {
    return null;
  }
}

if (require.main === module) {
  relaunchWithCertificate()
    .then((relaunched) => (relaunched ? undefined : soak(parseArgs(process.argv.slice(2)))))
    .then(() => process.exit(process.exitCode ?? 0))
    .catch((error: unknown) => {
      process.stderr.write(`soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    });
}
