import assert from "node:assert/strict";
import { type RunningAzurite, startAzurite } from "../../../sim/azurite/start-azurite.js";
import { runSeed } from "./run-history.js";

/** Seeds per test file; CI's second pass (Node 22) runs fewer through DIFFERENTIAL_SEEDS. */
export const SEEDS_PER_FILE = Number(process.env.DIFFERENTIAL_SEEDS ?? 150);

let azurite: Promise<RunningAzurite> | undefined;

/** Runs seeds `first`.. and fails naming every seed whose MI is not what provision leaves, with why. */
export async function assertSeedsConverge(first: number, count: number): Promise<void> {
  azurite ??= startAzurite();
  const storage = await azurite;
  const failures: string[] = [];
  try {
    for (let seed = first; seed < first + count; seed++) {
      const trace = process.env.DIFFERENTIAL_TRACE === String(seed) ? (line: string) => console.log(line) : undefined;
      const report = await runSeed(seed, storage, trace);
      if (report.problems.length > 0) failures.push(`seed ${seed}: ${report.problems.slice(0, 5).join("; ")}`);
    }
  } finally {
    azurite = undefined;
    await storage.close();
  }
  // DIFFERENTIAL_TRACE=<seed> prints a seed's history: every change, delivery, fault and run.
  assert.deepEqual(failures, [], "seeds that did not converge (DIFFERENTIAL_TRACE=<seed> prints one's history)");
}
