import type { SyncPorts } from "../sync/run-sync.js";
import type { LiveDeps } from "./live-deps.js";

/** The audit port of a sync run by this invocation: its trail, as its run; none when either is missing. */
export function auditPort(deps: Pick<LiveDeps, "audit" | "run">): Pick<SyncPorts, "audit"> {
  return deps.audit && deps.run ? { audit: { trail: deps.audit, context: deps.run } } : {};
}
