import assert from "node:assert/strict";
import { test } from "node:test";
import { metrics } from "@opentelemetry/api";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import type { RunRecord } from "../../src/state/sync-state-store.js";
import { reportRun } from "../../src/telemetry/report-run.js";

test("reportRun: records the run, logs one structured line, and emits the latency and operation metrics", async () => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  const recorded: RunRecord[] = [];
  const lines: string[] = [];
  const run: RunRecord = {
    runId: "run-1",
    kind: "worker",
    trigger: "queue",
    startedAt: "2026-11-28T00:00:00.000Z",
    finishedAt: "2026-11-28T00:00:00.150Z",
    status: "succeeded",
    counts: { membershipsAdded: 1, failed: 0 },
    errors: [],
    detail: { reason: "notification", latencyMs: 142, groups: "g1" },
  };
  const logger = { debug() {}, info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) };
  await reportRun({ state: { recordRun: async (r) => void recorded.push(r) }, logger }, run);

  assert.deepEqual(recorded, [run]);
  const line = JSON.parse(lines[0] ?? "{}") as Record<string, unknown>;
  assert.equal(line.event, "mi-sync.run");
  assert.equal(line.runId, "run-1");
  assert.equal(line.durationMs, 150);
  assert.deepEqual(line.counts, { membershipsAdded: 1, failed: 0 });

  const { resourceMetrics } = await reader.collect();
  const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
  const latency = all.find((m) => m.descriptor.name === "mi_sync.notification_to_apply_ms");
  assert.ok(latency, `metrics: ${all.map((m) => m.descriptor.name).join(", ")}`);
  const point = latency.dataPoints[0]?.value as { sum?: number; count?: number };
  assert.equal(point.count, 1);
  assert.equal(point.sum, 142);
  const ops = all.find((m) => m.descriptor.name === "mi_sync.operations");
  assert.equal(ops?.dataPoints[0]?.value, 1);
  metrics.disable();
});
