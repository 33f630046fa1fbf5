/**
 * The benchmark: `npm run bench [-- --size S|M|L|XL --scenario NAME ...]`.
 *
 *   --size S|M|L|XL               tenant size (default S); several with commas: --size S,M
 *   --scenario initial|steady|churn|single-change|burst|all   (default all: every scenario for S and M; the CLI
 *                                 ones only for L and XL, whose live scenarios need a reconcile first that takes long)
 *   --graph-latency-ms N          injected per-request latency of the Graph simulator (default 40)
 *   --mi-latency-ms N             injected per-request latency of the MI simulator (default 30)
 *   --mi-concurrency-cap N        MI answers 503 beyond N requests in flight (default 8; 0 = no cap)
 *   --ru-quota N                  Graph resource units per 10 s before 429 (default 8000; 0 = no throttling)
 *   --seed N                      tenant seed (default 1)
 *   --serve-instances N           the live scenarios run N `serve` processes behind a front door (default 1; the
 *                                 burst is then reported as burst-xN)
 *   --heap 512|2048|4096|default  the sync's heap settings: those the app ships for that instance size
 *                                 (infra/node-heap.json; default 512, the smallest) or V8's own (default)
 *   --no-chart                    do not regenerate bench/results/chart.svg
 *
 * The simulators run as separate processes (bench/sims/sim-child.ts), the sync as the real command in another one;
 * results go to bench/results/<size>-<scenario>-<date>.json and a table to stdout.
 */
import { relaunchWithCertificate } from "../sim/tls/relaunch-with-certificate.js";
import { writeChart } from "./chart.js";
import { type BenchResult, formatTable, writeResult } from "./report.js";
import { type CliScenario, runCliScenario } from "./scenarios/cli-scenarios.js";
import { type BenchConfig, type BenchContext, type HeapChoice, heapArguments } from "./scenarios/context.js";
import type { LiveScenario } from "./scenarios/live-scenarios.js";
import { childCliEnvironment, launchSim, setSimLatency } from "./sims/launch.js";
import { generateTenant, TENANT_SIZES, type TenantSize } from "./tenant/generate-tenant.js";

const SCENARIOS = ["initial", "steady", "churn", "single-change", "burst"] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Options {
  sizes: TenantSize[];
  scenarios: Scenario[] | "all";
  graphLatencyMs: number;
  miLatencyMs: number;
  miConcurrencyCap: number;
  ruQuotaPer10s: number;
  seed: number;
  heap: HeapChoice;
  serveInstances: number;
  chart: boolean;
}

function usage(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

export function parseArgs(argv: string[]): Options {
  const options: Options = {
    sizes: ["S"],
    scenarios: "all",
    graphLatencyMs: 40,
    miLatencyMs: 30,
    miConcurrencyCap: 8,
    ruQuotaPer10s: 8000,
    seed: 1,
    heap: "512",
    serveInstances: 1,
    chart: true,
  };
  const number = (name: string, raw: string | undefined): number => {
    const value = Number(raw);
    if (raw === undefined || !Number.isInteger(value) || value < 0) usage(`${name} needs a whole number ≥ 0`);
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (name) {
      case "--size": {
        const sizes = (value() ?? "").toUpperCase().split(",");
        for (const s of sizes) if (!TENANT_SIZES.includes(s as TenantSize)) usage(`unknown size ${s}`);
        options.sizes = sizes as TenantSize[];
        break;
      }
      case "--scenario": {
        const names = (value() ?? "").split(",");
        if (names.includes("all")) options.scenarios = "all";
        else {
          for (const n of names) if (!SCENARIOS.includes(n as Scenario)) usage(`unknown scenario ${n}`);
          options.scenarios = names as Scenario[];
        }
        break;
      }
      case "--graph-latency-ms":
        options.graphLatencyMs = number(name, value());
        break;
      case "--mi-latency-ms":
        options.miLatencyMs = number(name, value());
        break;
      case "--mi-concurrency-cap":
        options.miConcurrencyCap = number(name, value());
        break;
      case "--ru-quota":
        options.ruQuotaPer10s = number(name, value());
        break;
      case "--seed":
        options.seed = number(name, value());
        break;
      case "--serve-instances":
        options.serveInstances = Math.max(1, number(name, value()));
        break;
      case "--heap": {
        const heap = value() ?? "";
        if (!["512", "2048", "4096", "default"].includes(heap)) usage(`--heap takes 512, 2048, 4096 or default`);
        options.heap = heap as HeapChoice;
        break;
      }
      case "--no-chart":
        options.chart = false;
        break;
      default:
        usage(`unknown argument ${arg}`);
    }
  }
  return options;
}

/** Scenarios "all" means for a size: everything for S and M; L and XL run the CLI scenarios only. */
function scenariosFor(size: TenantSize, chosen: Options["scenarios"]): Scenario[] {
  if (chosen !== "all") return chosen;
  return size === "S" || size === "M" ? [...SCENARIOS] : ["initial", "steady", "churn"];
}

/** A scenario that failed: the bench goes on with the others, prints what it measured, then exits 1. */
const failures: string[] = [];

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

async function runSize(size: TenantSize, options: Options, log: (line: string) => void): Promise<BenchResult[]> {
  const config: BenchConfig = {
    size,
    seed: options.seed,
    graphLatencyMs: options.graphLatencyMs,
    miLatencyMs: options.miLatencyMs,
    miConcurrencyCap: options.miConcurrencyCap,
    ruQuotaPer10s: options.ruQuotaPer10s,
    heap: options.heap,
  };
  const heapArgs = heapArguments(options.heap);
  const scenarios = scenariosFor(size, options.scenarios);
  const results: BenchResult[] = [];
  const cli = scenarios.filter((s): s is CliScenario => s === "initial" || s === "steady" || s === "churn");
  const live = scenarios.filter((s): s is LiveScenario => s === "single-change" || s === "burst");

  if (cli.length > 0) {
    const t0 = performance.now();
    const [graph, mi] = await Promise.all([
      launchSim("graph", [
        "--size",
        size,
        "--seed",
        String(options.seed),
        "--latency-ms",
        String(options.graphLatencyMs),
        "--ru-quota",
        String(options.ruQuotaPer10s),
      ]),
      launchSim("mi", [
        "--latency-ms",
        String(options.miLatencyMs),
        "--mi-concurrency-cap",
        String(options.miConcurrencyCap),
      ]),
    ]);
    const tenant = generateTenant(size, options.seed);
    log(
      `${size}: simulators up in ${(performance.now() - t0).toFixed(0)} ms (Graph pid ${graph.pid}, MI pid ${mi.pid})`,
    );
    const ctx: BenchContext = {
      config,
      graph,
      mi,
      tenant,
      env: {
        ...childCliEnvironment(graph, mi),
        // Use as much of MI as the benchmark's MI allows, as an admin who knows their instance would (no cap: the
        // CLI's default).
        ...(options.miConcurrencyCap > 0 ? { MI_CONCURRENCY: String(Math.min(32, options.miConcurrencyCap)) } : {}),
        // The audit trail's cost: with SYNC_AUDIT_STORAGE set, the CLI records every run there (issue 13).
        ...(process.env.SYNC_AUDIT_STORAGE ? { SYNC_AUDIT_STORAGE: process.env.SYNC_AUDIT_STORAGE } : {}),
        // The heap the app ships (languageWorkers__node__arguments in main.bicep), not whatever this shell set.
        NODE_OPTIONS: heapArgs ?? "",
      },
      created: new Set(),
      log,
    };
    try {
      const order: CliScenario[] = ["initial", "steady", "churn"];
      for (const scenario of order) {
        const wanted = cli.includes(scenario);
        const needed = wanted || (scenario === "initial" && cli.some((s) => s !== "initial"));
        if (!needed) continue;
        // A set-up nobody measures runs without the injected latencies: at L and XL that is minutes, not an hour.
        const setup = !wanted;
        if (setup) await setSimLatency(graph, mi, 0, 0);
        const result = await runCliScenario(ctx, scenario).catch((error: unknown) => {
          failures.push(`${size} ${scenario}: ${describe(error)}`);
          return undefined;
        });
        if (setup) await setSimLatency(graph, mi, options.graphLatencyMs, options.miLatencyMs);
        if (result === undefined) {
          if (scenario === "initial") break; // the others start from its state
          continue;
        }
        if (wanted) {
          results.push(result);
          log(`  -> ${writeResult(result)}`);
        } else log(`  (initial sync as setup, not reported: exit ${String(result.detail.exitStatus)})`);
      }
    } finally {
      await Promise.all([graph.close(), mi.close()]);
    }
  }
  if (live.length > 0) {
    // Loaded only when needed: it pulls in @azure/functions (and its test-mode warnings).
    const { runLiveScenarios } = await import("./scenarios/live-scenarios.js");
    // Each result is written as it is measured, so a crash part-way keeps the ones before it.
    await runLiveScenarios(
      config,
      live,
      log,
      (result) => {
        results.push(result);
        log(`  -> ${writeResult(result)}`);
      },
      options.serveInstances,
    ).catch((error: unknown) => failures.push(`${size} ${live.join("+")}: ${describe(error)}`));
  }
  return results;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const results: BenchResult[] = [];
  for (const size of options.sizes) {
    results.push(
      ...(await runSize(size, options, log).catch((error: unknown) => {
        failures.push(`${size}: ${describe(error)}`);
        return [];
      })),
    );
  }
  process.stdout.write(`${formatTable(results)}\n`);
  for (const r of results)
    for (const note of r.notes) process.stdout.write(`  note ${r.size} ${r.scenario}: ${note}\n`);
  if (options.chart) log(`chart: ${writeChart()}`);
  for (const failure of failures) log(`bench: FAILED ${failure}`);
  if (failures.length > 0) process.exitCode = 1;
}

if (require.main === module) {
  relaunchWithCertificate()
    .then((relaunched) => (relaunched ? undefined : main()))
    .catch((error: unknown) => {
      process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    });
}
