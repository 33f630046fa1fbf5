import { describeError, SyncError } from "../errors/sync-error.js";
import type { RunRecord } from "../state/sync-state-store.js";
import { reportRun } from "../telemetry/report-run.js";
import type { LiveDeps } from "./live-deps.js";
import { enqueueResync, maintainSubscriptions, renew } from "./maintain-subscriptions.js";
import { runRecordOf } from "./run-record.js";
import { syncChain, syncGroupChange } from "./sync-groups.js";
import { type SyncMessage, syncMessageSchema } from "./sync-message.js";
import { syncUserChanges } from "./sync-users.js";
import { DeferError } from "./with-lease.js";

/** A message no retry can process (malformed): it goes to the poison queue at once, with a run record. */
export class PoisonMessageError extends SyncError {
  override readonly name = "PoisonMessageError";
  constructor(message: string) {
    super("usage", "live.poison", message, { retryable: false });
  }
}

export interface ProcessedMessage {
  message: SyncMessage;
  /** The run record; undefined when the message was deferred because another instance held its scope. */
  run: RunRecord | undefined;
}

/**
 * How long a message waits when its scope is busy: short, since most rounds take well under a second, and a queue's
 * visibility delay counts in whole seconds.
 */
export const BUSY_RETRY_DELAY_MS = 1_000;

/**
 * The `sync-worker` use case for one queue message: validate it, run the step its kind names, and record a run.
 * Throws to ask for a retry (the queue redelivers after the visibility timeout; the host dead-letters after
 * `maxDequeueCount`); throws PoisonMessageError for a message that can never succeed. Processing the same message
 * twice, or two messages for one group, converges to the same MI state.
 */
export async function processSyncMessage(
  body: unknown,
  deps: LiveDeps,
  context: { trigger: string; dequeueCount: number; messageId: string },
): Promise<ProcessedMessage> {
  const parsed = syncMessageSchema.safeParse(typeof body === "string" ? safeJson(body) : body);
  const startedAt = deps.now();
  const base = {
    runId: deps.newId(),
    kind: "worker" as const,
    trigger: context.trigger,
    startedAt: startedAt.toISOString(),
  };
  if (!parsed.success) {
    const reason = `malformed queue message ${context.messageId}: ${parsed.error.issues.map((i) => i.message).join("; ")}`;
    await reportRun(deps, {
      ...base,
      finishedAt: deps.now().toISOString(),
      status: "poison",
      counts: {},
      errors: [reason],
    });
    throw new PoisonMessageError(reason);
  }
  const message = parsed.data;
  const detail: NonNullable<RunRecord["detail"]> = { message: message.kind, dequeueCount: context.dequeueCount };
  try {
    let run: RunRecord;
    if (message.kind === "group") {
      const outcome = await syncGroupChange(deps, message.groupId, {
        reason: message.reason,
        at: message.at,
        attempt: context.dequeueCount,
      });
      detail.reason = message.reason;
      detail.path = outcome.path;
      if (outcome.fullReason !== undefined) detail.fullReason = outcome.fullReason.slice(0, 200);
      detail.groups = outcome.groupIds.join(",");
      detail.deltaReset = outcome.reset;
      detail.latencyMs = deps.now().getTime() - Date.parse(message.at);
      run = runRecordOf({ ...base, finishedAt: deps.now().toISOString(), detail }, outcome.result);
    } else if (message.kind === "chain") {
      const outcome = await syncChain(deps, message.chainId);
      Object.assign(detail, { reason: message.reason, chain: message.chainId, path: outcome.path });
      detail.groups = `${outcome.groupIds.length} group(s)`;
      run = runRecordOf({ ...base, finishedAt: deps.now().toISOString(), detail }, outcome.result);
    } else if (message.kind === "users") {
      const outcome = await syncUserChanges(deps);
      Object.assign(detail, {
        changedUsers: outcome.changedUsers,
        enqueued: outcome.enqueued.length,
        deltaReset: outcome.reset,
      });
      run = { ...base, finishedAt: deps.now().toISOString(), status: "succeeded", counts: {}, errors: [], detail };
    } else {
      await processLifecycle(deps, message.subscriptionId, message.event);
      Object.assign(detail, { subscription: message.subscriptionId, event: message.event });
      run = {
        ...base,
        kind: "lifecycle",
        finishedAt: deps.now().toISOString(),
        status: "succeeded",
        counts: {},
        errors: [],
        detail,
      };
    }
    await reportRun(deps, run);
    return { message, run };
  } catch (error) {
    if (error instanceof DeferError) {
      // Another instance is syncing this scope (a long reconcile, a racing worker), or the chain's last round is too
      // recent: send the message again with a delay and finish this one, so waiting never counts towards the host's
      // dead-lettering after maxDequeueCount.
      const delayMs = error.delayMs ?? BUSY_RETRY_DELAY_MS;
      await deps.queue.send(message, { visibilityDelayMs: delayMs });
      deps.logger.info(`worker: ${error.message}; message deferred by ${delayMs} ms`);
      return { message, run: undefined };
    }
    const final = context.dequeueCount >= MAX_DEQUEUE_COUNT;
    await reportRun(deps, {
      ...base,
      finishedAt: deps.now().toISOString(),
      status: final ? "poison" : "failed",
      counts: {},
      errors: [describeError(error)],
      detail,
    });
    throw error;
  }
}

/** The Functions host's default `maxDequeueCount` (host.json sets it explicitly to the same value). */
export const MAX_DEQUEUE_COUNT = 5;

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Lifecycle events (contract §3.4): `reauthorizationRequired` renews the subscription, which also reauthorizes it;
 * `subscriptionRemoved` and `missed` (where Graph sends them) recreate it if needed and resync what it covers, since
 * notifications were lost. An unknown subscription is left to the subscriptions timer.
 */
async function processLifecycle(deps: LiveDeps, subscriptionId: string, event: string): Promise<void> {
  const record = await deps.state.getSubscription(subscriptionId);
  if (!record) {
    deps.logger.warn(`lifecycle: ${event} for unknown subscription ${subscriptionId}; ignored`);
    return;
  }
  const synced = (await deps.state.listDeltaChains("groups")).flatMap((c) => c.groupIds);
  if (event === "reauthorizationRequired") {
    if (await renew(deps, record)) return;
    // Graph no longer knows it: the next subscriptions run recreates it; resync what it covered meanwhile.
    await enqueueResync(deps, record, synced);
    return;
  }
  if (event === "subscriptionRemoved") {
    await deps.state.deleteSubscription(record.id);
    await maintainSubscriptions(deps, synced);
  }
  await enqueueResync(deps, record, synced);
}
