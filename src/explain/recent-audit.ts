import type { AuditEntry } from "../audit/audit-entry.js";
import { describeError } from "../errors/sync-error.js";
import type { ExplainDeps } from "./explanation.js";

/** Audit entries an explanation shows. */
export const AUDIT_SHOWN = 20;

/**
 * The newest audit entries of a user (under any of its names: an MI username that changed, the mapped one) or of a
 * group. A trail that is missing or unreadable is said, not thrown: the rest of the explanation stands.
 */
export async function recentAudit(
  deps: Pick<ExplainDeps, "audit">,
  view: "user" | "group",
  names: readonly (string | undefined)[],
): Promise<{ audit: AuditEntry[] | null; auditNote?: string }> {
  if (!deps.audit) {
    return { audit: null, auditNote: "no audit trail here (the CLI reads the app's with --audit-storage)" };
  }
  const audit = deps.audit;
  const wanted = [...new Set(names.filter((n): n is string => Boolean(n)).map((n) => n.toLowerCase()))];
  try {
    const pages = await Promise.all(
      wanted.map((name) =>
        view === "user"
          ? audit.listByUser(name, { limit: AUDIT_SHOWN })
          : audit.listByGroup(name, { limit: AUDIT_SHOWN }),
      ),
    );
    const seen = new Set<string>();
    const entries = pages
      .flatMap((p) => p.entries)
      .filter((e) => {
        const key = `${e.runId}|${e.op}|${e.description}|${e.status}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      })
      .sort((a, b) => b.at.localeCompare(a.at));
    return { audit: entries.slice(0, AUDIT_SHOWN) };
  } catch (error) {
    return { audit: null, auditNote: `the audit trail could not be read: ${describeError(error)}` };
  }
}
