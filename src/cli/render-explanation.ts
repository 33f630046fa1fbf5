import type { AuditEntry } from "../audit/audit-entry.js";
import type { Explanation } from "../explain/explanation.js";

/**
 * The human form of an explanation, for stdout: its summary sentences, then (for a user) one line per MI group with
 * both sides and the plan's word, then the last audit entries. Plain text; state is written out, never coloured.
 */
export function renderExplanation(explanation: Explanation): string {
  const lines = [`explain ${explanation.query}`, ...explanation.summary.map((s) => `  ${s}`)];
  if (explanation.kind === "user" && explanation.groups.length > 0) {
    lines.push("Groups:");
    const width = Math.max(...explanation.groups.map((g) => g.group.length));
    for (const g of explanation.groups) {
      lines.push(
        `  ${g.group.padEnd(width)}  Entra: ${g.inEntra.padEnd(19)}  MI: ${g.inMi ? "member " : "no     "}  ${g.verdict}`,
      );
    }
  }
  if (explanation.warnings.length > 0) {
    lines.push("Warnings:");
    for (const w of explanation.warnings) lines.push(`  - ${w}`);
  }
  if (explanation.audit !== null || explanation.auditNote) {
    lines.push("Last audit entries:");
    if (explanation.audit === null || explanation.audit.length === 0) {
      lines.push(`  ${explanation.auditNote ?? "none"}`);
    } else {
      for (const entry of explanation.audit) lines.push(`  ${auditLine(entry)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** One audit entry on one line: when, how, what, why. */
export function auditLine(entry: AuditEntry): string {
  const when = `${entry.at.replace("T", " ").slice(0, 19)} UTC`;
  const error = entry.error ? `: ${entry.error}` : "";
  return `${when}  ${entry.path.padEnd(12)}  [${entry.status}] ${entry.description} (${entry.reason})${error}  run ${entry.runId}`;
}
