import { type MaxRemovals, removalLimit } from "./max-removals.js";
import type { Plan } from "./plan/plan-model.js";

/** The verdict of `--max-removals` on a plan. */
export interface RemovalVerdict {
  allowed: boolean;
  /** Removals plus disables the plan holds. */
  removals: number;
  /** The most allowed; undefined when the guard is lifted (`none`). */
  limit: number | undefined;
  /** Memberships the synced groups held before the run: the base of a percentage; undefined when unknown. */
  base: number | undefined;
  /**
   * True when the plan's base is unknown (scope `users`) and only a base could allow its removals: the caller plans
   * a wider scope, which knows the base, instead of refusing.
   */
  needsBase: boolean;
}

/**
 * Checks a plan against `--max-removals` (cli.md rule 9). A plan over the limit is refused whole. Without a base, the
 * limit a base of 0 gives is used, which is the least any base gives (the limit never shrinks as the base grows).
 */
export function checkRemovals(plan: Plan, maxRemovals: MaxRemovals): RemovalVerdict {
  const base = plan.managedMemberships;
  const limit = removalLimit(maxRemovals, base ?? 0);
  const allowed = limit === undefined || plan.removals <= limit;
  return { allowed, removals: plan.removals, limit, base, needsBase: !allowed && base === undefined };
}
