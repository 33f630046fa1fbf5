import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { parseTimeSpanMs, TIME_SPAN } from "./parse-time-span.js";
import { ServeError } from "./serve-error.js";

/** host.json as `serve` obeys it, durations in ms. */
export interface HostConfig {
  /** `functionTimeout`; Infinity for "-1". */
  functionTimeoutMs: number;
  /** `extensions.http.routePrefix`, without slashes ("" serves functions at the root). */
  routePrefix: string;
  queues: {
    batchSize: number;
    newBatchThreshold: number;
    maxPollingIntervalMs: number;
    /** How long a message whose function failed stays invisible before its next delivery. */
    visibilityTimeoutMs: number;
    maxDequeueCount: number;
    messageEncoding: "base64" | "none";
  };
}

const timeSpan = z.string().regex(TIME_SPAN, "must be a TimeSpan such as 00:00:05");

const hostJsonSchema = z.looseObject({
  version: z.literal("2.0", { error: 'must be "2.0"' }),
  functionTimeout: z.union([timeSpan, z.literal("-1")]).optional(),
  extensions: z
    .looseObject({
      http: z.looseObject({ routePrefix: z.string().optional() }).optional(),
      queues: z
        .strictObject({
          batchSize: z.number().int().min(1).max(32).optional(),
          newBatchThreshold: z.number().int().min(0).optional(),
          maxPollingInterval: timeSpan.optional(),
          visibilityTimeout: timeSpan.optional(),
          maxDequeueCount: z.number().int().min(1).optional(),
          messageEncoding: z.enum(["base64", "none"]).optional(),
        })
        .optional(),
    })
    .optional(),
});

/** A partial host.json deep-merged over the file's content (in-process callers, e.g. shorter retries in tests). */
export type HostJsonPatch = Record<string, unknown>;

/**
 * Reads and validates `<root>/host.json`. Defaults are the Functions host's for a one-CPU instance: batchSize 16,
 * newBatchThreshold batchSize/2, maxPollingInterval 1 minute, visibilityTimeout 0, maxDequeueCount 5, base64
 * messages, routePrefix "api", functionTimeout 30 minutes (the dedicated plan's default).
 */
export function readHostConfig(root: string, patch: HostJsonPatch = {}): HostConfig {
  const path = join(root, "host.json");
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ServeError(2, `host.json: cannot read ${path}: ${error instanceof Error ? error.message : error}`);
  }
  const parsed = hostJsonSchema.safeParse(Object.keys(patch).length > 0 ? deepMerge(raw, patch) : raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ServeError(2, `host.json: ${issue?.path.join(".") || "(root)"} ${issue?.message ?? "is invalid"}`);
  }
  const json = parsed.data;
  const queues = json.extensions?.queues ?? {};
  const batchSize = queues.batchSize ?? 16;
  const ms = (value: string | undefined, fallback: number): number =>
    value === undefined ? fallback : (parseTimeSpanMs(value) ?? fallback);
  return {
    functionTimeoutMs: json.functionTimeout === "-1" ? Number.POSITIVE_INFINITY : ms(json.functionTimeout, 30 * 60_000),
    routePrefix: (json.extensions?.http?.routePrefix ?? "api").replace(/^\/+|\/+$/g, ""),
    queues: {
      batchSize,
      newBatchThreshold: queues.newBatchThreshold ?? Math.floor(batchSize / 2),
      maxPollingIntervalMs: ms(queues.maxPollingInterval, 60_000),
      visibilityTimeoutMs: ms(queues.visibilityTimeout, 0),
      maxDequeueCount: queues.maxDequeueCount ?? 5,
      messageEncoding: queues.messageEncoding ?? "base64",
    },
  };
}

function deepMerge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return base;
  if (!isRecord(base) || !isRecord(patch)) return patch;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) merged[key] = deepMerge(base[key], value);
  return merged;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
