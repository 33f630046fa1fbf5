/**
 * The row layout of every state table, and the zod schemas that check each row read back. Table properties are
 * scalars, so arrays and objects are stored as JSON strings; every property written is a string.
 *
 * | table           | PartitionKey              | RowKey                           | properties |
 * |-----------------|---------------------------|----------------------------------|------------|
 * | `<p>DeltaChains`  | `chains`                | chainId                          | chainId, kind, groupIds (JSON), deltaLink?, updatedAt, readFrom?, wakeId?, wakeFor? |
 * | `<p>Subscriptions`| `subscriptions`         | subscription id                  | id, resource, kind, groupId?, clientState, previousClientState?, expirationDateTime, notificationUrl, lifecycleNotificationUrl?, createdAt |
 * | `<p>Leases`       | `leases`                | scope                            | scope, owner, expiresAt |
 * | `<p>IdMap`        | see `user-ledger-entities.ts` (the user ledger)             |            |
 * | `<p>Runs`         | see `run-keys.ts`       | see `run-keys.ts`                | runId, kind, trigger, startedAt, finishedAt, status, counts (JSON), errors (JSON), detail? (JSON) |
 *
 * Keys go through `toTableKey` (ids with `/ \ # ?` are encoded); the natural id is always a property too, and is
 * what a reader uses. Chains, subscriptions and leases are few (tens), so one partition each keeps listing a single
 * query.
 */
import { z } from "zod";
import { fitRunErrors } from "./fit-run-errors.js";
import { runPartitionKey, runRowKey } from "./run-keys.js";
import { StateCorruptError, StateRejectedError } from "./state-errors.js";
import type { DeltaChain, Lease, RunRecord, SubscriptionRecord } from "./sync-state-store.js";
import { toTableKey } from "./to-table-key.js";

export const CHAINS_PARTITION = "chains";
export const SUBSCRIPTIONS_PARTITION = "subscriptions";
export const LEASES_PARTITION = "leases";

/** One string property holds at most 64 KiB of UTF-16. */
const MAX_PROPERTY_CHARS = 32_767;

/** An entity as written: keys plus string properties. */
export type EncodedEntity = { partitionKey: string; rowKey: string } & Record<string, string>;

/** A string holding JSON that must match `schema`. */
function json<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((text, context): unknown => {
      try {
        return JSON.parse(text);
      } catch {
        context.addIssue({ code: "custom", message: "is not valid JSON" });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

const etag = z.string().min(1);

const DeltaChainRow = z.object({
  chainId: z.string().min(1),
  kind: z.enum(["groups", "users"]),
  groupIds: json(z.array(z.string())),
  groupNames: json(z.array(z.string())).optional(),
  deltaLink: z.string().optional(),
  updatedAt: z.string(),
  readFrom: z.string().optional(),
  wakeId: z.string().optional(),
  wakeFor: z.string().optional(),
  etag,
});

const SubscriptionRow = z.object({
  id: z.string().min(1),
  resource: z.string(),
  kind: z.enum(["group", "groups", "users"]),
  groupId: z.string().optional(),
  clientState: z.string(),
  previousClientState: z.string().optional(),
  expirationDateTime: z.string(),
  notificationUrl: z.string(),
  lifecycleNotificationUrl: z.string().optional(),
  createdAt: z.string(),
  etag,
});

const LeaseRow = z.object({
  scope: z.string().min(1),
  owner: z.string().min(1),
  expiresAt: z.string().refine((value) => !Number.isNaN(Date.parse(value)), "is not a date"),
  etag,
});

const RunRow = z.object({
  runId: z.string().min(1),
  kind: z.enum(["reconcile", "worker", "subscriptions", "lifecycle"]),
  trigger: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  status: z.enum(["succeeded", "partial", "failed", "refused", "poison"]),
  counts: json(z.record(z.string(), z.number())),
  errors: json(z.array(z.string())),
  detail: json(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))).optional(),
});

/**
 * Checks a row read back from `table` against `schema`; a mismatch is a `StateCorruptError` naming the table, both
 * keys and the failing properties (never their values: a subscription row holds secrets).
 */
function decodeRow<T>(schema: z.ZodType<T>, table: string, what: string, row: Record<string, unknown>): T {
  const parsed = schema.safeParse(row);
  if (parsed.success) return parsed.data;
  const partitionKey = typeof row.partitionKey === "string" ? row.partitionKey : "?";
  const rowKey = typeof row.rowKey === "string" ? row.rowKey : "?";
  const problems = parsed.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join(".") || "(row)"} ${issue.message}`)
    .join("; ");
  throw new StateCorruptError(
    table,
    partitionKey,
    rowKey,
    `Table "${table}" row (PartitionKey "${partitionKey}", RowKey "${rowKey}") is not a valid ${what}: ${problems}. ` +
      "Delete or repair that row; the sync recreates what it needs.",
  );
}

/** Drops undefined properties and refuses any over the 64 KiB property limit, naming it (not its value). */
function entity(
  table: string,
  keys: { partitionKey: string; rowKey: string },
  properties: Record<string, string | undefined>,
): EncodedEntity {
  const result: EncodedEntity = { ...keys };
  for (const [name, value] of Object.entries(properties)) {
    if (value === undefined) continue;
    if (value.length > MAX_PROPERTY_CHARS) {
      throw new StateRejectedError(
        "state.too_large",
        `Table "${table}" row (PartitionKey "${keys.partitionKey}", RowKey "${keys.rowKey}"): property "${name}" has ${value.length} characters, over the ${MAX_PROPERTY_CHARS} a Table property holds.`,
      );
    }
    result[name] = value;
  }
  return result;
}

export function encodeDeltaChain(table: string, chain: DeltaChain): EncodedEntity {
  return entity(
    table,
    { partitionKey: CHAINS_PARTITION, rowKey: toTableKey(chain.chainId) },
    {
      chainId: chain.chainId,
      kind: chain.kind,
      groupIds: JSON.stringify(chain.groupIds),
      groupNames: chain.groupNames === undefined ? undefined : JSON.stringify(chain.groupNames),
      deltaLink: chain.deltaLink,
      updatedAt: chain.updatedAt,
      readFrom: chain.readFrom,
      wakeId: chain.wake?.id,
      wakeFor: chain.wake?.for,
    },
  );
}

export function decodeDeltaChain(table: string, row: Record<string, unknown>): DeltaChain {
  const { readFrom, groupNames, wakeId, wakeFor, ...data } = decodeRow(DeltaChainRow, table, "delta chain", row);
  return {
    ...data,
    deltaLink: data.deltaLink,
    ...(groupNames === undefined ? {} : { groupNames }),
    ...(readFrom === undefined ? {} : { readFrom }),
    ...(wakeId === undefined || wakeFor === undefined ? {} : { wake: { id: wakeId, for: wakeFor } }),
  };
}

export function encodeSubscription(table: string, record: SubscriptionRecord): EncodedEntity {
  return entity(
    table,
    { partitionKey: SUBSCRIPTIONS_PARTITION, rowKey: toTableKey(record.id) },
    {
      id: record.id,
      resource: record.resource,
      kind: record.kind,
      groupId: record.groupId,
      clientState: record.clientState,
      previousClientState: record.previousClientState,
      expirationDateTime: record.expirationDateTime,
      notificationUrl: record.notificationUrl,
      lifecycleNotificationUrl: record.lifecycleNotificationUrl,
      createdAt: record.createdAt,
    },
  );
}

export function decodeSubscription(table: string, row: Record<string, unknown>): SubscriptionRecord {
  const data = decodeRow(SubscriptionRow, table, "subscription", row);
  const record: SubscriptionRecord = {
    id: data.id,
    resource: data.resource,
    kind: data.kind,
    clientState: data.clientState,
    expirationDateTime: data.expirationDateTime,
    notificationUrl: data.notificationUrl,
    createdAt: data.createdAt,
    etag: data.etag,
  };
  if (data.groupId !== undefined) record.groupId = data.groupId;
  if (data.previousClientState !== undefined) record.previousClientState = data.previousClientState;
  if (data.lifecycleNotificationUrl !== undefined) record.lifecycleNotificationUrl = data.lifecycleNotificationUrl;
  return record;
}

export function leaseRowKey(scope: string): string {
  return toTableKey(scope);
}

export function encodeLease(table: string, lease: Omit<Lease, "etag">): EncodedEntity {
  return entity(
    table,
    { partitionKey: LEASES_PARTITION, rowKey: leaseRowKey(lease.scope) },
    { scope: lease.scope, owner: lease.owner, expiresAt: lease.expiresAt },
  );
}

export function decodeLease(table: string, row: Record<string, unknown>): Lease {
  return decodeRow(LeaseRow, table, "lease", row);
}

/** The run's `errors` are cut to fit (see `fitRunErrors`); `startedAt` must be a date, as it orders the table. */
export function encodeRun(table: string, run: RunRecord): EncodedEntity {
  const startedAt = new Date(run.startedAt);
  if (Number.isNaN(startedAt.getTime())) {
    throw new StateRejectedError("state.rejected", `Run "${run.runId}" has startedAt "${run.startedAt}", not a date.`);
  }
  return entity(
    table,
    { partitionKey: runPartitionKey(startedAt), rowKey: runRowKey(startedAt, toTableKey(run.runId)) },
    {
      runId: run.runId,
      kind: run.kind,
      trigger: run.trigger,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      status: run.status,
      counts: JSON.stringify(run.counts),
      errors: JSON.stringify(fitRunErrors(run.errors)),
      detail: run.detail === undefined ? undefined : JSON.stringify(run.detail),
    },
  );
}

export function decodeRun(table: string, row: Record<string, unknown>): RunRecord {
  const data = decodeRow(RunRow, table, "run record", row);
  const run: RunRecord = {
    runId: data.runId,
    kind: data.kind,
    trigger: data.trigger,
    startedAt: data.startedAt,
    finishedAt: data.finishedAt,
    status: data.status,
    counts: data.counts,
    errors: data.errors,
  };
  if (data.detail !== undefined) run.detail = data.detail;
  return run;
}
