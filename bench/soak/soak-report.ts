import type { TenantSize } from "../tenant/generate-tenant.js";

/** What one soak run measured. */
export interface SoakFigures {
  options: { changes: number; minutes: number; size: TenantSize; seed: number; faultRate: number };
  instances: number;
  changes: { total: number; memberships: number; profiles: number; seconds: number };
  /** Injected faults, by kind (the simulators' and the front door's own counts). */
  faults: Record<string, number>;
  kills: { SIGKILL: number; SIGTERM: number };
  /** The timeline of outages and stops, seconds from the first change. */
  events: string[];
  front: { received: number; forwarded: number; unavailable: number; noAnswer: number; failed: number };
  messages: { deferred: number; failedDeliveries: number; movedToPoison: number; queued: number; poison: number };
  /** Requests the instances (and the soak's own reads) made to storage, by method and path. */
  storageRequests: Record<string, number>;
  /** From the last change until `provision --dry-run` planned nothing; null when it never did within the limit. */
  convergedAfterMs: number | null;
  remainingOperations: number | null;
  duplicateUsernames: string[];
}

/** The soak's figures as markdown: printed, and written to docs/soak.md. */
export function renderSoakReport(f: SoakFigures): string {
  const verdict = (ok: boolean): string => (ok ? "yes" : "**no**");
  const converged = f.convergedAfterMs !== null;
  const lines = [
    "# Soak: the live path scaled out, under faults",
    "",
    "`npm run soak` (not part of `npm test`; bench/soak/main.ts). " +
      `${f.instances} \`mi-o365-usersync serve\` processes share one storage account (Azurite: tables in one process, queues in another); the Graph and MI simulators run as their ` +
      "own processes; Graph's notifications reach the instances through a front door that drops, duplicates and " +
      "reorders some of them. Every figure below is from one run on this machine (2 cores, Node " +
      `${process.versions.node}), tenant ${f.options.size}, seed ${f.options.seed}.`,
    "",
    "## Result",
    "",
    "| check | result |",
    "| --- | --- |",
    `| MI equals what \`provision\` produces (its dry run plans nothing) | ${verdict(converged)}${converged ? "" : ` (${f.remainingOperations ?? "?"} operation(s) still planned)`} |`,
    `| time to converge after the last change | ${converged ? `${(f.convergedAfterMs! / 1000).toFixed(0)} s` : "did not converge within the limit"} |`,
    `| no MI user created twice | ${verdict(f.duplicateUsernames.length === 0)}${f.duplicateUsernames.length ? ` (${f.duplicateUsernames.length}: ${f.duplicateUsernames.slice(0, 5).join(", ")})` : ""} |`,
    `| nothing left in the poison queue | ${verdict(f.messages.poison === 0)} (${f.messages.poison}) |`,
    `| work queue at the end (hidden messages included) | ${f.messages.queued} |`,
    "",
    "## What was done to it",
    "",
    "| what | count |",
    "| --- | --- |",
    `| changes in Entra (membership + profile) | ${f.changes.total} (${f.changes.memberships} + ${f.changes.profiles}) over ${f.changes.seconds.toFixed(0)} s |`,
    ...Object.entries(f.faults)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, count]) => `| ${kind} | ${count} |`),
    `| instances killed with SIGKILL (and restarted) | ${f.kills.SIGKILL} |`,
    `| instances stopped with SIGTERM (and restarted) | ${f.kills.SIGTERM} |`,
    `| notification POSTs received by the front door / forwarded / answered 503 (all instances down) | ${f.front.received} / ${f.front.forwarded} / ${f.front.unavailable} |`,
    `| forwarded POSTs an instance answered 5xx / did not answer (504: too slow, or killed meanwhile) | ${f.front.failed} / ${f.front.noAnswer} |`,
    "",
    "## What the queue trigger did",
    "",
    "| what | count |",
    "| --- | --- |",
    `| failed deliveries (each retried after host.json's visibilityTimeout, or dead-lettered) | ${f.messages.failedDeliveries} |`,
    `| messages moved to mi-sync-poison | ${f.messages.movedToPoison} |`,
    `| messages the worker deferred (its scope busy: sent again with a delay, then completed) | ${f.messages.deferred} |`,
    "",
    "## Storage requests, by kind",
    "",
    "| request | count |",
    "| --- | --- |",
    ...Object.entries(f.storageRequests)
      .sort(([, a], [, b]) => b - a)
      .slice(0, 12)
      .map(([kind, count]) => `| \`${kind}\` | ${count} |`),
    "",
    "## Timeline",
    "",
    ...f.events.map((e) => `- ${e}`),
    "",
    `Random faults: ${Math.round(f.options.faultRate * 100)}% of Graph requests (429 with Retry-After, 503) and of ` +
      "MI requests (503 with Retry-After; MySQL's deadlock on user creation), every MI session expired every 30 s " +
      "(412), from the first change to the last; notifications: 3% dropped, 5% duplicated, 10% held back up to 2 s.",
  ];
  return lines.join("\n");
}
