import { metrics } from "@opentelemetry/api";
import type { RunRecord } from "../state/sync-state-store.js";

const METER = "mi-o365-usersync";

/**
 * Custom metrics of the live path, through the OpenTelemetry API: no-ops until a meter provider is registered (in
 * Azure, `useAzureMonitor` sends them to Application Insights as customMetrics, so an alert can fire when sync falls
 * behind). The meter is looked up on each call because the provider may be registered after this module loads.
 *
 * - `mi_sync.notification_to_apply_ms` (histogram): from the moment the webhook accepted a change notification to
 *   the moment its worker finished applying it to MI.
 * - `mi_sync.operations` (counter): MI writes by kind (`groupsCreated`, `membershipsAdded`...) and run kind.
 * - `mi_sync.runs` (counter): runs by kind and status.
 */
export function recordRunMetrics(run: RunRecord): void {
  const meter = metrics.getMeter(METER);
  meter.createCounter("mi_sync.runs", { description: "Sync runs by kind and status" }).add(1, {
    kind: run.kind,
    status: run.status,
  });
  const operations = meter.createCounter("mi_sync.operations", { description: "MI writes by kind" });
  for (const [name, value] of Object.entries(run.counts)) {
    if (name !== "failed" && name !== "warnings" && value > 0)
      operations.add(value, { kind: run.kind, operation: name });
  }
  const latency = run.detail?.latencyMs;
  if (run.kind === "worker" && run.detail?.reason === "notification" && typeof latency === "number") {
    meter
      .createHistogram("mi_sync.notification_to_apply_ms", {
        description: "From the webhook accepting a change notification to its change applied in MI",
        unit: "ms",
      })
      .record(latency, { status: run.status });
  }
}
