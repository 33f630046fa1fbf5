import { describeError } from "../errors/sync-error.js";
import type { RunRecord } from "../state/sync-state-store.js";
import type { SyncResult } from "../sync/sync-result.js";
import { reportRun } from "../telemetry/report-run.js";
import type { LiveDeps } from "./live-deps.js";
import { enqueueResync, maintainSubscriptions, renew } from "./maintain-subscriptions.js";
import { runRecordOf } from "./run-record.js";
import { type GroupSyncTrigger, retryAsChainWake, syncChain, syncGroupChange } from "./sync-groups.js";
import { type SyncMessage, syncMessageSchema } from "./sync-message.js";
import { syncUserChanges } from "./sync-users.js";
import { DeferError, deferDelayMs } from "./with-lease.js";

export interface ProcessedMessage {
  /** Undefined for a malformed message. */
  message: SyncMessage | undefined;
  /** The run record; undefined when the message was deferred (a busy scope, a recent round, a recheck). */
  run: RunRecord | undefined;
  /** What became of the message: done, sent again later (deferred or retried), or poisoned. */
  disposition: "done" | "deferred" | "retried" | "poisoned";
}

/**
 * Failed attempts before a message goes to the poison queue. With `retryDelayMs` they span about 15 minutes, longer
 * than an MI or Graph outage of 5 minutes, so an outage delays changes but poisons none.
 */
export const MAX_FAILURES = 8;

/** The wait after failed attempt `n` (1-based): `baseMs` (5 s by default) doubling, at most 5 minutes. */
export function retryDelayMs(failures: number, baseMs = 5_000): number {
  return Math.min(300_000, baseMs * 2 ** Math.max(0, failures - 1));
}

/**
 * The `sync-worker` use case for one queue message: validate it, run the step its kind names, and record a run.
 *
 * Nothing a message meets makes the host retry it (the host's retries are for a process that died mid-run):
 * - a busy scope or a round too recent defers it (sent again later, backing off; never counts as a failure);
 * - a failure another attempt may cure (a write that failed, Graph or MI unavailable) sends it again after
 *   `retryDelayMs`, up to MAX_FAILURES attempts, then to the poison queue (`<queue>-poison`), whose timer re-drives it;
 *   a group notification is sent again as its chain's wake, or is done when the booked wake carries it;
 * - a plan problem only Entra can change (a user without a username, a name clash) is recorded once, not retried;
 * - a malformed message goes to the poison queue at once.
 * Processing the same message twice, or two messages for one scope, converges to the same MI state.
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
    const run: RunRecord = {
      ...base,
      finishedAt: deps.now().toISOString(),
      status: "poison",
      counts: {},
      errors: [reason],
    };
    await deps.queue.poison(body, reason);
    await reportRun(deps, run);
    return { message: undefined, run, disposition: "poisoned" };
  }
  const message = parsed.data;
  // Every plan this message applies is recorded in the audit trail as this run, on the path its reason names.
  deps = {
    ...deps,
    run: {
      runId: base.runId,
      path: message.kind === "lifecycle" ? "resync" : message.reason,
      ...(message.kind !== "lifecycle" && message.reason === "notification" ? { triggeredAt: message.at } : {}),
    },
  };
  const detail: NonNullable<RunRecord["detail"]> = { message: message.kind, dequeueCount: context.dequeueCount };
  if (message.failures) detail.failures = message.failures;
  if (message.redriven) detail.redriven = message.redriven;
  const finish = (result: SyncResult | undefined, kind: RunRecord["kind"] = "worker"): RunRecord =>
    runRecordOf({ ...base, kind, finishedAt: deps.now().toISOString(), detail }, result);
  try {
    let run: RunRecord;
    if (message.kind === "group") {
      const outcome = await syncGroupChange(deps, message.groupId, triggerOf(message));
      if (outcome.path === "waiting") return { message, run: undefined, disposition: "deferred" };
      Object.assign(detail, {
        reason: message.reason,
        path: outcome.path,
        groups: outcome.groupIds.join(",").slice(0, 1_000),
        users: outcome.users.length,
        deltaReset: outcome.reset,
        latencyMs: deps.now().getTime() - Date.parse(message.at),
      });
      if (outcome.widenedBecause) detail.widenedBecause = outcome.widenedBecause.slice(0, 200);
      if (outcome.rechecked) detail.rechecked = outcome.rechecked;
      if (message.recheck) detail.recheck = message.recheck;
      run = finish(outcome.result);
      if (outcome.recheckInMs !== undefined) {
        // Graph's delta may not show the change yet: the same notification again, once it surely does.
        await deps.queue.send(
          { ...message, recheck: (message.recheck ?? 0) + 1 },
          { visibilityDelayMs: outcome.recheckInMs },
        );
      }
    } else if (message.kind === "chain") {
      const outcome = await syncChain(deps, message.chainId);
      Object.assign(detail, { reason: message.reason, chain: message.chainId, path: outcome.path });
      detail.groups = `${outcome.groupIds.length} group(s)`;
      run = finish(outcome.result);
    } else if (message.kind === "users") {
      const outcome = await syncUserChanges(deps, message);
      Object.assign(detail, {
        reason: message.reason,
        path: outcome.path,
        users: outcome.users.length,
        deltaReset: outcome.reset,
        latencyMs: deps.now().getTime() - Date.parse(message.at),
      });
      if (outcome.widenedBecause) detail.widenedBecause = outcome.widenedBecause.slice(0, 200);
      run = finish(outcome.result);
    } else {
      await processLifecycle(deps, message.subscriptionId, message.event);
      Object.assign(detail, { subscription: message.subscriptionId, event: message.event });
      run = finish(undefined, "lifecycle");
    }
    await reportRun(deps, run);
    return { message, run, disposition: "done" };
  } catch (error) {
    if (error instanceof DeferError) {
      // Another instance holds this scope (a long reconcile, a racing worker), or the chain's last round is too
      // recent: the message comes back later, and waiting never counts towards the poison queue.
      const deferrals = (message.deferrals ?? 0) + 1;
      const delayMs = error.delayMs ?? deferDelayMs(deferrals);
      await deps.queue.send({ ...message, deferrals }, { visibilityDelayMs: delayMs });
      deps.logger.info(`worker: ${error.message}; message deferred by ${delayMs} ms`);
      return { message, run: undefined, disposition: "deferred" };
    }
    const failures = (message.failures ?? 0) + 1;
    const reason = describeError(error);
    if (failures >= MAX_FAILURES) {
      const run: RunRecord = {
        ...base,
        finishedAt: deps.now().toISOString(),
        status: "poison",
        counts: {},
        errors: [`${reason} (attempt ${failures} of ${MAX_FAILURES}; moved to the poison queue)`],
        detail,
      };
      await deps.queue.poison({ ...message, failures }, reason);
      await reportRun(deps, run);
      return { message, run, disposition: "poisoned" };
    }
    const delayMs = retryDelayMs(failures, deps.settings.SYNC_RETRY_BASE_SECONDS * 1_000);
    const retry = `retried in ${Math.round(delayMs / 1000)} s`;
    // A notification's failed round: its chain's wake carries it, so that an outage costs a message per chain, not
    // one per notification coming back again and again.
    const wake =
      message.kind === "group"
        ? await retryAsChainWake(deps, message.groupId, triggerOf(message), delayMs, reason)
        : undefined;
    if (wake === undefined) await deps.queue.send({ ...message, failures }, { visibilityDelayMs: delayMs });
    const how =
      wake === undefined
        ? retry
        : wake === "coalesced"
          ? "carried by its chain's wake"
          : `${retry} as its chain's wake`;
    const run: RunRecord = {
      ...base,
      finishedAt: deps.now().toISOString(),
      status: "failed",
      counts: {},
      errors: [`${reason} (attempt ${failures} of ${MAX_FAILURES}; ${how})`],
      detail,
    };
    await reportRun(deps, run);
    return { message, run, disposition: "retried" };
  }
}

/** What started a group message's round, as `syncGroupChange` takes it. */
function triggerOf(message: Extract<SyncMessage, { kind: "group" }>): GroupSyncTrigger {
  return {
    reason: message.reason,
    at: message.at,
    ...(message.recheck === undefined ? {} : { recheck: message.recheck }),
    ...(message.wake === undefined ? {} : { wake: message.wake }),
    ...(message.deferrals === undefined ? {} : { deferrals: message.deferrals }),
    ...(message.failures === undefined ? {} : { failures: message.failures }),
  };
}

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
