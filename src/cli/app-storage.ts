import type { AuditLog } from "../audit/audit-log.js";
import type * as AuditTrailModule from "../audit/table-audit-trail.js";
import type { TableAuditTrail } from "../audit/table-audit-trail.js";
import type * as StateStoreModule from "../state/table-sync-state-store.js";
import type { TableSyncStateStore } from "../state/table-sync-state-store.js";
import type { Environment } from "./program.js";

/** The Functions app's tables, reached from the command line through `--audit-storage`. */
export interface AppStorage {
  audit: TableAuditTrail & AuditLog;
  state: TableSyncStateStore;
}

/**
 * Opens the app's audit trail and state tables in the storage account `connectionString`, with the app's table
 * prefix (SYNC_TABLE_PREFIX). Loaded only when asked for: most runs need neither the storage SDK nor these modules.
 */
export function openAppStorage(connectionString: string, env: Environment): AppStorage {
  const { TableAuditTrail } = require("../audit/table-audit-trail.js") as typeof AuditTrailModule;
  const { TableSyncStateStore } = require("../state/table-sync-state-store.js") as typeof StateStoreModule;
  const storage = { kind: "connectionString" as const, connectionString };
  const tablePrefix = env.SYNC_TABLE_PREFIX || "misync";
  return {
    audit: new TableAuditTrail({ storage, tablePrefix }),
    state: new TableSyncStateStore({ storage, tablePrefix }),
  };
}

/** The parts of a connection string that are secret, for the redactor: the whole, its key and its signature. */
export function connectionSecrets(connectionString: string | undefined): string[] {
  if (!connectionString) return [];
  const parts = [...connectionString.matchAll(/(?:AccountKey|SharedAccessSignature)=([^;]+)/gi)].map((m) => m[1] ?? "");
  return [connectionString, ...parts];
}
