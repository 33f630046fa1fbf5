import type { InvocationContext, Timer } from "@azure/functions";
import type { LiveDeps } from "../live/live-deps.js";
import { runRecordOf } from "../live/run-record.js";
import type { RunRecord } from "../state/sync-state-store.js";
import type { AuditPath } from "../sync/audit-trail.js";
import { reportRun } from "../telemetry/report-run.js";
import { withContextLogger } from "./runtime.js";

/** What a timer's step reports: its run record without the fields every run shares. */
export type TimerReport = Pick<RunRecord, "status" | "counts" | "errors"> & { detail?: RunRecord["detail"] };

/**
 * A timer function around one live use case, with its run record: `work` returns what to record (undefined: nothing
 * happened worth a record), and a failure is recorded, then thrown for the host to log. The plans a reconcile applies
 * are recorded in the audit trail as this run (path `reconcile`); the other timers apply none.
 */
export function timerHandler(
  getDeps: () => Promise<LiveDeps>,
  kind: RunRecord["kind"],
  trigger: string,
  work: (deps: LiveDeps) => Promise<TimerReport | undefined>,
): (timer: Timer, context: InvocationContext) => Promise<void> {
  return async (_timer, context) => {
    const logged = withContextLogger(await getDeps(), context);
    const base = { runId: logged.newId(), kind, trigger, startedAt: logged.now().toISOString() };
    const path: AuditPath | undefined = kind === "reconcile" ? "reconcile" : undefined;
    const deps = path === undefined ? logged : { ...logged, run: { runId: base.runId, path } };
    try {
      const report = await work(deps);
      if (report) await reportRun(deps, { ...base, finishedAt: deps.now().toISOString(), ...report });
    } catch (error) {
      await reportRun(deps, runRecordOf({ ...base, finishedAt: deps.now().toISOString() }, undefined, error));
      throw error;
    }
  };
}
