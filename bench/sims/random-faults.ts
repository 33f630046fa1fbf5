import type { GraphSim } from "../../sim/graph/index.js";
import { type MiSim, mysqlDeadlockMessage } from "../../sim/mi/index.js";
import { Prng } from "../tenant/prng.js";

/** Faults injected at random into one simulator, with what was injected, by kind. */
export interface RandomFaults {
  /** Share of requests (0..1) answered with a fault instead. */
  rate: number;
  /** Every request fails (503) until this time (ms since the epoch). */
  outageUntil: number;
  readonly injected: Record<string, number>;
}

/**
 * The soak's chaos for the Graph simulator: a `rate` share of Graph API requests answer 429 (with Retry-After) or
 * 503, and during an outage every one answers 503. Rides on the simulator's own fault queue (a fault for exactly
 * that request, injected as it arrives), so the responses are the simulator's throttling envelopes.
 */
export function addRandomGraphFaults(sim: GraphSim, seed: number): RandomFaults {
  const rng = new Prng(seed);
  const state: RandomFaults = { rate: 0, outageUntil: 0, injected: {} };
  const take = sim.faults.take.bind(sim.faults);
  sim.faults.take = (target, isGraphRequest, ids) => {
    const queued = take(target, isGraphRequest, ids);
    if (queued || !isGraphRequest) return queued;
    const outage = Date.now() < state.outageUntil;
    if (!outage && rng.next() >= state.rate) return undefined;
    const status = outage ? 503 : rng.next() < 0.5 ? 429 : 503;
    const kind = outage ? "graph outage 503" : `graph ${status}`;
    state.injected[kind] = (state.injected[kind] ?? 0) + 1;
    sim.faults.inject({ status, match: target, retryAfter: status === 429 ? "0.5" : "1", times: 1 });
    return take(target, isGraphRequest, ids);
  };
  return state;
}

/**
 * The soak's chaos for the MI simulator: a `rate` share of requests answer 503 (Retry-After), or for user creations
 * MySQL's deadlock (500, as MI relays it); during an outage every request answers 503. Expired sessions (412) come
 * from `expireTokens`, called on a timer by the child.
 */
export function addRandomMiFaults(sim: MiSim, seed: number): RandomFaults {
  const rng = new Prng(seed);
  const state: RandomFaults = { rate: 0, outageUntil: 0, injected: {} };
  const take = sim.faults.take.bind(sim.faults);
  sim.faults.take = (request) => {
    const queued = take(request);
    if (queued) return queued;
    const outage = Date.now() < state.outageUntil;
    if (!outage && rng.next() >= state.rate) return undefined;
    const createsUser = request.method === "POST" && /^\/api\/user\/?(\?.*)?$/.test(request.path);
    const deadlock = !outage && createsUser && rng.next() < 0.5;
    const kind = outage ? "mi outage 503" : deadlock ? "mi deadlock" : "mi 503";
    state.injected[kind] = (state.injected[kind] ?? 0) + 1;
    return deadlock
      ? { status: 500, body: { status: "ERROR", message: mysqlDeadlockMessage }, headers: {} }
      : { status: 503, body: { status: "ERROR", message: "Service Unavailable" }, headers: { "Retry-After": "1" } };
  };
  return state;
}
