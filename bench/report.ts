import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** One figure: what was measured, its lower bound, and measured / bound (null when the bound is 0 or unknown). */
export interface Figure {
  name: string;
  unit: string;
  measured: number | null;
  bound: number | null;
  ratio: number | null;
  /** The target for this figure, as text, when there is one. */
  target?: string;
}

export interface BenchResult {
  size: string;
  scenario: string;
  seed: number;
  date: string;
  commit: string | null;
  config: {
    graphLatencyMs: number;
    miLatencyMs: number;
    miConcurrencyCap: number;
    ruQuotaPer10s: number;
    /** The sync's heap settings: an instance size of infra/node-heap.json, or `default` (absent in older results). */
    heap?: string;
    cores: number;
    node: string;
  };
  tenant: Record<string, number>;
  figures: Figure[];
  /** Raw counters: requests by endpoint on both sides, bound parts, exit status... */
  detail: Record<string, unknown>;
  notes: string[];
}

export const resultsDir = (): string => join(__dirname, "..", "..", "bench", "results");

export function figure(
  name: string,
  unit: string,
  measured: number | null,
  bound: number | null,
  target?: string,
): Figure {
  const ratio = measured !== null && bound !== null && bound > 0 ? measured / bound : null;
  return { name, unit, measured, bound, ratio, ...(target ? { target } : {}) };
}

export function currentCommit(): string | null {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return null;
  }
}

/** Writes `bench/results/<size>-<scenario>-<date>.json` and returns its path. */
export function writeResult(result: BenchResult): string {
  mkdirSync(resultsDir(), { recursive: true });
  const stamp = result.date.replace(/[:.]/g, "-");
  const path = join(resultsDir(), `${result.size}-${result.scenario}-${stamp}.json`);
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  return path;
}

const fmt = (value: number | null, digits = 0): string =>
  value === null
    ? "-"
    : value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** `512 MB`: the heap settings the app ships for a 512 MB instance (infra/node-heap.json); `V8`: Node's defaults. */
export function heapLabel(config: BenchResult["config"]): string {
  const heap = heapOf(config);
  return heap === "default" ? "V8" : `${heap} MB`;
}

/** The heap a result ran with; results from before `--heap` ran with V8's own (`default`). */
export function heapOf(config: BenchResult["config"]): string {
  return config.heap ?? "default";
}

/** The stdout table: one block per result, one line per figure. */
export function formatTable(results: BenchResult[]): string {
  const header = ["size", "scenario", "heap", "figure", "measured", "bound", "ratio", "target"];
  const rows: string[][] = [];
  for (const r of results) {
    for (const f of r.figures) {
      const digits =
        f.unit === "MB" || (f.measured !== null && f.measured < 10 && !Number.isInteger(f.measured)) ? 1 : 0;
      rows.push([
        r.size,
        r.scenario,
        heapLabel(r.config),
        `${f.name} (${f.unit})`,
        fmt(f.measured, digits),
        fmt(f.bound, digits),
        f.ratio === null ? "-" : f.ratio.toFixed(2),
        f.target ?? "",
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i >= 4 && i <= 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
