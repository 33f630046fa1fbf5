import type { RunRecord, SyncStateStore } from "../../src/state/sync-state-store.js";
import { waitUntil } from "./wait-until.js";

/**
 * Runs a timer function of a running `serve` once through the admin API (`POST /admin/functions/<name>`, 202 at
 * once), then waits for the run record of `kind` it writes when done; throws when that run failed.
 */
export async function runTimerFunction(
  serve: { url: string; masterKey: string },
  name: string,
  kind: RunRecord["kind"],
  state: Pick<SyncStateStore, "listRuns">,
): Promise<RunRecord> {
  const before = new Set((await state.listRuns({ limit: 200 })).map((r) => r.runId));
  const response = await fetch(`${serve.url}/admin/functions/${name}`, {
    method: "POST",
    headers: { "x-functions-key": serve.masterKey, "content-type": "application/json" },
    body: JSON.stringify({ input: "" }),
  });
  if (response.status !== 202) throw new Error(`POST /admin/functions/${name} answered ${response.status}`);
  let run: RunRecord | undefined;
  await waitUntil(async () => {
    run = (await state.listRuns({ limit: 200 })).find((r) => r.kind === kind && !before.has(r.runId));
    return run !== undefined;
  }, `the ${name} run record`);
  if (run!.status === "failed") throw new Error(`${name} failed: ${run!.errors.join("; ")}`);
  return run!;
}
