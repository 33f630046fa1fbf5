import type { AuditLog } from "../audit/audit-log.js";
import type { LiveSettings } from "../config/app-settings.js";
import type { RunConfig } from "../config/resolve-run-config.js";
import type { EntraChangeFeed } from "../entra/entra-change-feed.js";
import type { EntraSubscriptions } from "../entra/entra-subscriptions.js";
import type { Logger } from "../logging/logger.js";
import type { SyncQueue } from "../state/sync-queue.js";
import type { SyncStateStore } from "../state/sync-state-store.js";
import type { AuditContext, AuditTrail } from "../sync/audit-trail.js";
import type { EntraDirectory } from "../sync/ports/entra-directory.js";
import type { MiDirectory } from "../sync/ports/mi-directory.js";

/** Everything the live path's use cases need; the Functions runtime and the sandbox build it. */
export interface LiveDeps {
  /** The sync as configured in app settings (always `apply`; `SYNC_DRY_RUN` turns writes into plans). */
  config: RunConfig;
  settings: LiveSettings;
  entra: EntraDirectory & EntraChangeFeed & EntraSubscriptions;
  mi: MiDirectory;
  state: SyncStateStore;
  queue: SyncQueue;
  logger: Logger;
  now: () => Date;
  /** Waits `ms` (the timer reconcile waiting for a busy worker); the same clock as `now` in tests. */
  sleep: (ms: number) => Promise<void>;
  /** This instance's lease-owner id. */
  owner: string;
  /** A fresh id (run ids). */
  newId: () => string;
  /** A fresh clientState secret (≤128 characters). */
  newSecret: () => string;
  /** The audit trail (`<prefix>Audit`): every applied plan is recorded there, under `run`. */
  audit?: AuditTrail & AuditLog;
  /** The run this invocation records as (set by the entry point that started it); without it nothing is recorded. */
  run?: AuditContext;
}
