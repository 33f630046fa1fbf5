import type { AuditEntry, AuditRunSummary } from "./audit-entry.js";

export interface ListEntriesOptions {
  /** At most this many entries, newest first (default 50). */
  limit?: number;
}

/** Entries and whether more exist beyond the limit. */
export interface EntryPage {
  entries: AuditEntry[];
  truncated: boolean;
}

/**
 * What the status page and `explain` read of the audit trail. One production implementation: `TableAuditTrail`.
 * Every read is of one partition (by user, by group, by run) or a range of the runs index; names compare
 * case-insensitively.
 */
export interface AuditLog {
  /** A user's entries (by MI username), newest run first. */
  listByUser(name: string, options?: ListEntriesOptions): Promise<EntryPage>;
  /** An MI group's entries (by name), newest run first. */
  listByGroup(name: string, options?: ListEntriesOptions): Promise<EntryPage>;
  /** One run's entries, in plan order. */
  listByRun(runId: string, options?: ListEntriesOptions): Promise<EntryPage>;
  /** The runs recorded at or after `since`, oldest first. */
  listRunsSince(since: Date): Promise<AuditRunSummary[]>;
  /** Deletes everything recorded before `before`; idempotent. */
  prune(before: Date): Promise<{ runs: number; rows: number }>;
}
