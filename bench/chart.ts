/**
 * `bench/results/chart.svg`: wall time, HTTP requests (Graph + MI) and peak RSS of the sync process against tenant
 * size, one line per CLI scenario, from the newest result of each size × scenario in bench/results/. Hand-written
 * SVG; y axes are logarithmic when the values span more than a factor of 20. Also runnable alone:
 * `node dist/bench/chart.js`.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type BenchResult, heapLabel, heapOf, resultsDir } from "./report.js";

const SIZES = ["S", "M", "L", "XL"];
const SCENARIOS = ["initial", "steady", "churn"];
const COLORS: Record<string, string> = { initial: "#1f77b4", steady: "#2ca02c", churn: "#d62728" };

interface Panel {
  title: string;
  unit: string;
  value: (r: BenchResult) => number | null;
}

const measured = (r: BenchResult, name: string): number | null =>
  r.figures.find((f) => f.name === name)?.measured ?? null;

const PANELS: Panel[] = [
  { title: "Wall time", unit: "s", value: (r) => (measured(r, "wall time") ?? Number.NaN) / 1000 },
  {
    title: "HTTP requests (Graph + MI)",
    unit: "requests",
    value: (r) =>
      (measured(r, "Graph requests") ?? 0) +
      (measured(r, "MI reads") ?? 0) +
      (measured(r, "MI writes") ?? 0) +
      (measured(r, "MI token requests") ?? 0),
  },
  { title: "Peak RSS of the sync process", unit: "MB", value: (r) => measured(r, "peak RSS (sync process)") },
];

export function loadLatest(dir = resultsDir()): BenchResult[] {
  const latest = new Map<string, BenchResult>();
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".json"));
  } catch {
    return [];
  }
  for (const file of files) {
    try {
      const r = JSON.parse(readFileSync(join(dir, file), "utf8")) as BenchResult;
      const key = `${r.size}/${r.scenario}/${heapOf(r.config)}`;
      const prev = latest.get(key);
      if (!prev || prev.date < r.date) latest.set(key, r);
    } catch {
      // not a result file
    }
  }
  return [...latest.values()];
}

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function niceLabel(v: number): string {
  if (v >= 1_000_000) return `${+(v / 1_000_000).toPrecision(3)}M`;
  if (v >= 1_000) return `${+(v / 1_000).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

export function renderChart(all: BenchResult[]): string {
  // One point per size and scenario: with the heap settings the app ships when there is such a run, V8's otherwise.
  const shipped = (r: BenchResult): boolean => heapOf(r.config) !== "default";
  const results = all.filter(
    (r) => shipped(r) || !all.some((o) => shipped(o) && o.size === r.size && o.scenario === r.scenario),
  );
  const sizes = SIZES.filter((s) => results.some((r) => r.size === s));
  const W = 360;
  const H = 260;
  const pad = { left: 60, right: 16, top: 40, bottom: 40 };
  const parts: string[] = [];
  const width = W * PANELS.length;
  const height = H + 50;
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11" role="img">`,
    "<title>Wall time, HTTP requests (Graph + MI) and peak RSS of the sync against tenant size, per CLI scenario</title>",
    `<rect width="100%" height="100%" fill="white"/>`,
  );
  const config = results[0]?.config;
  const subtitle = config
    ? `Graph ${config.graphLatencyMs} ms, MI ${config.miLatencyMs} ms per request, MI cap ${config.miConcurrencyCap}, ${config.cores} cores, heap ${heapLabel(config)}`
    : "no results";
  parts.push(`<text x="${width / 2}" y="${height - 8}" text-anchor="middle" fill="#555">${esc(subtitle)}</text>`);
  for (const [p, panel] of PANELS.entries()) {
    const x0 = p * W;
    const plotW = W - pad.left - pad.right;
    const plotH = H - pad.top - pad.bottom;
    const points = results
      .filter((r) => SCENARIOS.includes(r.scenario) && sizes.includes(r.size))
      .map((r) => ({ r, v: panel.value(r) }))
      .filter((e): e is { r: BenchResult; v: number } => e.v !== null && Number.isFinite(e.v) && e.v > 0);
    const values = points.map((e) => e.v);
    const lo = values.length ? Math.min(...values) : 1;
    const hi = values.length ? Math.max(...values) : 10;
    const log = hi / lo > 20;
    const yMin = log ? 10 ** Math.floor(Math.log10(lo)) : 0;
    const yMax = log ? 10 ** Math.ceil(Math.log10(hi)) : hi * 1.1;
    const y = (v: number): number =>
      pad.top +
      plotH -
      (log ? (Math.log10(v) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin)) : (v - yMin) / (yMax - yMin)) *
        plotH;
    const x = (size: string): number =>
      x0 + pad.left + (sizes.length <= 1 ? plotW / 2 : (sizes.indexOf(size) / (sizes.length - 1)) * plotW);
    parts.push(
      `<text x="${x0 + W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${esc(panel.title)}</text>`,
      `<text x="${x0 + 12}" y="${pad.top + plotH / 2}" transform="rotate(-90 ${x0 + 12} ${pad.top + plotH / 2})" text-anchor="middle" fill="#555">${esc(panel.unit)}${log ? " (log)" : ""}</text>`,
      `<rect x="${x0 + pad.left}" y="${pad.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
    );
    const ticks = log
      ? Array.from({ length: Math.round(Math.log10(yMax / yMin)) + 1 }, (_, i) => yMin * 10 ** i)
      : Array.from({ length: 5 }, (_, i) => yMin + ((yMax - yMin) * i) / 4);
    for (const t of ticks) {
      parts.push(
        `<line x1="${x0 + pad.left}" x2="${x0 + pad.left + plotW}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#eee"/>`,
        `<text x="${x0 + pad.left - 4}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" fill="#555">${niceLabel(t)}</text>`,
      );
    }
    for (const s of sizes) {
      parts.push(`<text x="${x(s).toFixed(1)}" y="${pad.top + plotH + 16}" text-anchor="middle">${s}</text>`);
    }
    for (const [i, scenario] of SCENARIOS.entries()) {
      const series = sizes
        .map((s) => points.find((e) => e.r.size === s && e.r.scenario === scenario))
        .filter((e) => e !== undefined);
      if (series.length === 0) continue;
      const color = COLORS[scenario] ?? "#000";
      if (series.length > 1) {
        const d = series
          .map((e, k) => `${k === 0 ? "M" : "L"}${x(e.r.size).toFixed(1)},${y(e.v).toFixed(1)}`)
          .join(" ");
        parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
      }
      for (const e of series) {
        parts.push(
          `<circle cx="${x(e.r.size).toFixed(1)}" cy="${y(e.v).toFixed(1)}" r="3.5" fill="${color}"><title>${esc(`${e.r.size} ${scenario}: ${niceLabel(e.v)} ${panel.unit}`)}</title></circle>`,
        );
      }
      const lx = x0 + pad.left + 8 + i * 80;
      parts.push(
        `<rect x="${lx}" y="${H - 8}" width="10" height="10" fill="${color}"/>`,
        `<text x="${lx + 14}" y="${H + 1}">${scenario}</text>`,
      );
    }
  }
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

/** Renders the chart from the newest results and writes `bench/results/chart.svg`; returns its path. */
export function writeChart(): string {
  const path = join(resultsDir(), "chart.svg");
  writeFileSync(path, renderChart(loadLatest()));
  return path;
}

if (require.main === module) process.stdout.write(`${writeChart()}\n`);
