import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { type MiTarget, miTarget } from "../bounds.js";
import { type BenchResult, currentCommit, type Figure } from "../report.js";
import type { SimProcess } from "../sims/launch.js";
import { type BenchTenant, countMemberships } from "../tenant/generate-tenant.js";

export interface BenchConfig {
  size: BenchTenant["size"];
  seed: number;
  graphLatencyMs: number;
  miLatencyMs: number;
  miConcurrencyCap: number;
  ruQuotaPer10s: number;
  /** Whose heap settings the sync runs with: an instance size of infra/node-heap.json (what the app ships), or V8's. */
  heap: HeapChoice;
}

/** Whose heap settings the sync runs with: an instance size of infra/node-heap.json, or `default` (V8's own). */
export type HeapChoice = "512" | "2048" | "4096" | "default";

/** The Node arguments the app ships for `heap` (infra/node-heap.json), or none for V8's defaults. */
export function heapArguments(heap: HeapChoice): string | undefined {
  if (heap === "default") return undefined;
  const settings = JSON.parse(
    readFileSync(join(__dirname, "..", "..", "..", "infra", "node-heap.json"), "utf8"),
  ) as Record<string, string>;
  const args = settings[heap];
  if (args === undefined) throw new Error(`infra/node-heap.json has no setting for ${heap} MB`);
  return args;
}

/** What the scenarios share: the simulators (separate processes), the bench's copy of the tenant, MI's state. */
export interface BenchContext {
  config: BenchConfig;
  graph: SimProcess;
  mi: SimProcess;
  /** The bench's own copy of the tenant (same size + seed as the Graph child's), kept in step with every change. */
  tenant: BenchTenant;
  /** Environment for the CLI, as `sim/sandbox/lab.ts` builds it. */
  env: Record<string, string>;
  /** What MI holds after the last successful sync (undefined before the first). */
  synced?: MiTarget;
  /** Users created in MI so far. */
  created: Set<number>;
  log(line: string): void;
}

export interface GraphCounters {
  total: number;
  batchedRequests: number;
  resourceUnits: number;
  byRoute: Record<string, number>;
  throttledResponses: number;
  peakResourceUnitsPer10s: number;
}

export interface MiCounters {
  reads: number;
  writes: number;
  tokenRequests: number;
  byRoute: Record<string, number>;
  unavailable503: number;
  /** Membership writes that changed MI (POST answered 201, DELETE answered 200). */
  membershipChanges: number;
  /** Membership writes MI answered "already a member" (400) or "already gone" (404). */
  membershipNoOps: number;
}

export async function resetCounters(ctx: BenchContext): Promise<void> {
  await Promise.all([ctx.graph.post("/reset"), ctx.mi.post("/reset")]);
}

export async function readCounters(ctx: BenchContext): Promise<{ graph: GraphCounters; mi: MiCounters }> {
  const [graph, mi] = await Promise.all([
    ctx.graph.get<GraphCounters>("/requests"),
    ctx.mi.get<MiCounters>("/requests"),
  ]);
  return { graph, mi };
}

/** Marks MI as holding the tenant's current target (after a sync that exited 0). */
export function markSynced(ctx: BenchContext): void {
  ctx.synced = miTarget(ctx.tenant);
  for (const u of ctx.synced.users) ctx.created.add(u);
}

export function baseResult(ctx: BenchContext, scenario: string, figures: Figure[]): BenchResult {
  const m = countMemberships(ctx.tenant);
  return {
    size: ctx.config.size,
    scenario,
    seed: ctx.config.seed,
    date: new Date().toISOString(),
    commit: currentCommit(),
    config: {
      graphLatencyMs: ctx.config.graphLatencyMs,
      miLatencyMs: ctx.config.miLatencyMs,
      miConcurrencyCap: ctx.config.miConcurrencyCap,
      ruQuotaPer10s: ctx.config.ruQuotaPer10s,
      heap: ctx.config.heap,
      cores: cpus().length,
      node: process.version,
    },
    tenant: {
      users: ctx.tenant.users.length,
      groups: ctx.tenant.groups.length,
      userMemberships: m.users,
      nestedGroupMemberships: m.groups,
    },
    figures,
    detail: {},
    notes: [],
  };
}
