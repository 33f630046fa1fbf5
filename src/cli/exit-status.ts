import { SyncError } from "../errors/sync-error.js";
import type { SyncResult } from "../sync/sync-result.js";

/** The exit statuses of cli.md, by name. */
export const ExitStatus = {
  done: 0,
  someFailed: 1,
  usage: 2,
  refused: 3,
  authRefused: 4,
  unavailable: 5,
} as const;

/** The exit status of a run that produced a result. */
export function exitStatusForResult(result: SyncResult): number {
  if (result.outcome === "refused") return ExitStatus.refused;
  if (result.abortedBy && !result.wroteAnything) return exitStatusForError(result.abortedBy);
  if (result.counts.failed > 0 || result.abortedBy) return ExitStatus.someFailed;
  return ExitStatus.done;
}

/** The exit status of an error thrown before anything was written. */
export function exitStatusForError(error: unknown): number {
  if (!(error instanceof SyncError)) return ExitStatus.someFailed;
  switch (error.kind) {
    case "usage":
      return ExitStatus.usage;
    case "guard":
      return ExitStatus.refused;
    case "auth":
      return ExitStatus.authRefused;
    case "unavailable":
    case "protocol":
      return ExitStatus.unavailable;
    case "operation":
      return ExitStatus.someFailed;
  }
}
