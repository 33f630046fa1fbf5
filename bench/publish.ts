/**
 * `npm run bench:publish`: copies the newest result of each size × scenario from bench/results/ (kept out of git)
 * into docs/benchmarks/, which is committed and which the README shows:
 *
 * - `chart.svg`: wall time, HTTP requests and peak RSS against tenant size (bench/chart.ts);
 * - `results.md`: every figure with its bound, ratio and target, and the run's conditions;
 * - `results.json`: the same results without their bulky detail (latency lists, per-change counters).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadLatest, renderChart } from "./chart.js";
import { type BenchResult, formatTable, heapLabel, heapOf } from "./report.js";

const ORDER = ["S", "M", "L", "XL"];
const SCENARIOS = ["initial", "steady", "churn", "single-change", "burst", "burst-x3"];

export const publishedDir = (): string => join(__dirname, "..", "..", "docs", "benchmarks");

function sorted(results: BenchResult[]): BenchResult[] {
  const rank = (r: BenchResult): number =>
    (ORDER.indexOf(r.size) * 10 + SCENARIOS.indexOf(r.scenario)) * 2 + (heapOf(r.config) === "default" ? 1 : 0);
  return [...results].sort((a, b) => rank(a) - rank(b));
}

function conditions(results: BenchResult[]): string[] {
  const lines = new Set<string>();
  for (const r of results) {
    const c = r.config;
    lines.add(
      `${r.size} ${r.scenario}: ${r.date.slice(0, 16).replace("T", " ")} UTC, commit ${r.commit ?? "?"}, Node ${c.node}, ` +
        `${c.cores} cores, heap ${heapLabel(c)}, Graph ${c.graphLatencyMs} ms, MI ${c.miLatencyMs} ms per request, MI cap ${c.miConcurrencyCap} ` +
        `in flight, Graph ${c.ruQuotaPer10s} RU per 10 s; tenant ${Object.entries(r.tenant)
          .map(([k, v]) => `${v.toLocaleString("en-US")} ${k}`)
          .join(", ")}`,
    );
  }
  return [...lines];
}

export function publish(): string {
  const results = sorted(loadLatest());
  if (results.length === 0) throw new Error("no results in bench/results/: run `npm run bench` first");
  const dir = publishedDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "chart.svg"), renderChart(results));
  const notes = results.flatMap((r) => r.notes.map((n) => `- ${r.size} ${r.scenario}: ${n}`));
  writeFileSync(
    join(dir, "results.md"),
    [
      "# Benchmark results",
      "",
      "Written by `npm run bench:publish` from the newest run of each size, scenario and heap; reproduce with",
      "`npm run bench -- --size S,M,L,XL --scenario all` and, for the `V8` rows, `--size L,XL --scenario steady,churn",
      "--heap default` (see bench/README.md). Bounds and ratios are explained there; `heap` says whose heap settings",
      "the sync ran with: `512 MB` those the template ships for that instance size, `V8` Node's own.",
      "",
      "![wall time, requests and memory against tenant size](chart.svg)",
      "",
      "```text",
      formatTable(results),
      "```",
      "",
      "## Conditions",
      "",
      ...conditions(results).map((line) => `- ${line}`),
      ...(notes.length > 0 ? ["", "## Notes", "", ...notes] : []),
      "",
    ].join("\n"),
  );
  const slim = results.map(({ detail: _detail, ...rest }) => rest);
  writeFileSync(join(dir, "results.json"), `${JSON.stringify(slim, null, 2)}\n`);
  return dir;
}

if (require.main === module) {
  process.stdout.write(`published to ${publish()}\n`);
}
