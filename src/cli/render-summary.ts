import type { SyncCounts, SyncResult } from "../sync/sync-result.js";

const LABELS: [keyof SyncCounts, string][] = [
  ["groupsCreated", "groups created"],
  ["usersCreated", "users created"],
  ["usersUpdated", "users updated"],
  ["usersEnabled", "users enabled"],
  ["usersDisabled", "users disabled"],
  ["membershipsAdded", "memberships added"],
  ["membershipsRemoved", "memberships removed"],
  ["failed", "failed"],
  ["warnings", "warnings"],
];

/**
 * The human summary, for stdout. `full` lists every operation; a dry run always lists the plan, since showing it is
 * the point of a dry run. Plain text: state is written out, never carried by colour.
 */
export function renderSummary(result: SyncResult, detail: "counts" | "full"): string {
  const lines: string[] = [];
  const verb = result.dryRun ? "dry run: planned" : result.outcome === "refused" ? "refused" : "done";
  lines.push(`mi-o365-usersync ${result.plan.command}: ${verb}`);
  lines.push(
    `  ${result.plan.groups.length} MI group(s) synced, ${result.plan.usersConsidered} user(s) considered, ` +
      `${result.plan.removals} removal(s)/disable(s) of ${result.verdict.limit ?? "unlimited"} allowed`,
  );
  const width = Math.max(...LABELS.map(([, label]) => label.length));
  for (const [key, label] of LABELS) lines.push(`  ${label.padEnd(width)}  ${result.counts[key]}`);

  if (detail === "full" || result.dryRun) {
    let shown = 0;
    for (const o of result.reportedOperations()) {
      if (!result.dryRun && o.status === "skipped" && !o.error) continue;
      if (shown++ === 0) lines.push(result.dryRun ? "Plan:" : "Operations:");
      lines.push(`  [${o.status}] ${o.description} (${o.reason})${o.error ? `: ${o.error}` : ""}`);
    }
    if (shown === 0) lines.push("Nothing to change.");
  }
  if (detail === "full" && result.plan.groups.length > 0) {
    lines.push("Groups:");
    for (const g of result.plan.groups) {
      lines.push(
        `  ${g.name}${g.miGroupId ? ` (MI id ${g.miGroupId})` : " (new)"}${g.complete ? "" : " [read incomplete]"}`,
      );
    }
  }
  if (result.warnings.length > 0) {
    lines.push("Warnings:");
    for (const w of result.warnings) lines.push(`  - ${w}`);
  }
  if (result.errors.length > 0) {
    lines.push("Errors:");
    for (const e of result.errors) lines.push(`  - ${e}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The `--json` document (cli.md rule 15): one object, stable keys, no colour. */
export function renderJson(result: SyncResult): string {
  const document = {
    dryRun: result.dryRun,
    command: result.plan.command,
    outcome: result.outcome,
    counts: result.counts,
    operations: Array.from(result.reportedOperations(), (o) => ({
      ...o.detail,
      op: o.op,
      status: o.status,
      reason: o.reason,
      description: o.description,
      ...(o.error ? { error: o.error } : {}),
    })),
    errors: result.errors,
    warnings: result.warnings,
    removalGuard: result.verdict,
    groups: result.plan.groups,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
