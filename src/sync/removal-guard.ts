import { type MaxRemovals, removalLimit } from "./max-removals.js";
import type { Plan } from "./plan-model.js";

/** The verdict of `--max-removals` on a plan. */
export interface RemovalVerdict {
  allowed: boolean;
  /** Removals plus disables the plan holds. */
  removals: number;
  /** The most allowed; undefined when the guard is lifted (`none`). */
  limit: number | undefined;
  /** Memberships the synced groups held before the run: the base of a percentage. */
  base: number;
}

/** Checks a plan against `--max-removals` (cli.md rule 9). A plan over the limit is refused whole. */
export function checkRemovals(plan: Plan, maxRemovals: MaxRemovals): RemovalVerdict {
  const limit = removalLimit(maxRemovals, plan.managedMemberships);
  return {
    allowed: limit === undefined || plan.removals <= limit,
    removals: plan.removals,
    limit,
    base: plan.managedMemberships,
  };
}
