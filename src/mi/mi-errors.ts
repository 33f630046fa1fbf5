/**
 * The one place that reads MI's failures: `classifyMiFailure` turns an axios error into a failure code (matching MI's
 * text only where MI says it only in text: the MySQL deadlock and the missing user-management switch), and
 * `toMiError` turns a final failure into the product's typed errors with a message for the MI admin. Messages name
 * the object and the next step and never hold the application key, a token or a password: they are built from MI's
 * short message, our own words, and ids, and every known secret is redacted again as a last guard.
 */
import axios from "axios";
import type { IAxiosRetryConfigExtended } from "axios-retry";
import { AuthError, ServiceError, type SyncError } from "../errors/sync-error.js";
import { miErrorMessage } from "./mi-wire.js";

/** What went wrong with one MI request, decided once. */
export type MiFailureCode =
  /** 412 "Session expired" (or an expired/invalid token): fetch a new token and retry once. */
  | "mi.session_expired"
  /** 401 without MI's user-management text: no or bad credentials. */
  | "mi.unauthorized"
  /** 401 "External Application has no User Management Access". */
  | "mi.no_user_management"
  /** 403 "User has no permission to …": the token's user is not an administrator. */
  | "mi.not_admin"
  /** MySQL "Deadlock found when trying to get lock" relayed by MI, whatever the status: retry. */
  | "mi.deadlock"
  /** 429: retry, honouring `Retry-After`. */
  | "mi.throttled"
  /** 5xx: retry. */
  | "mi.server_error"
  | "mi.not_found"
  /** Any other 4xx: MI refused the request; retrying will not help. */
  | "mi.rejected"
  /** No HTTP answer: refused connection, DNS failure, reset. */
  | "mi.network"
  | "mi.timeout"
  | "mi.aborted";

export interface MiFailure {
  code: MiFailureCode;
  status: number | undefined;
  /** MI's own message, when it sent one. */
  miMessage: string | undefined;
  /** For network failures: the system error code (`ECONNREFUSED`, `ENOTFOUND`...). */
  systemCode: string | undefined;
  /** The `Retry-After` header as sent, if any. */
  retryAfter: string | undefined;
  /** How many retries the HTTP layer made before giving up. */
  retries: number;
}

const deadlockText = "deadlock found when trying to get lock";
const noUserManagementText = "no user management access";

/** Reads an axios (or other) error once. */
export function classifyMiFailure(error: unknown): MiFailure {
  const failure: MiFailure = {
    code: "mi.network",
    status: undefined,
    miMessage: undefined,
    systemCode: undefined,
    retryAfter: undefined,
    retries: 0,
  };
  if (!axios.isAxiosError(error)) return failure;
  const retryState = (error.config as { "axios-retry"?: IAxiosRetryConfigExtended } | undefined)?.["axios-retry"];
  failure.retries = retryState?.retryCount ?? 0;
  const response = error.response;
  if (response === undefined) {
    if (error.code === "ERR_CANCELED") failure.code = "mi.aborted";
    else if (error.code === "ETIMEDOUT" || error.code === "ECONNABORTED") failure.code = "mi.timeout";
    failure.systemCode = systemCodeOf(error.cause) ?? error.code;
    return failure;
  }
  const status = response.status;
  const message = miErrorMessage(response.data);
  const lowered = message?.toLowerCase() ?? "";
  const retryAfter = response.headers?.["retry-after"];
  failure.status = status;
  failure.miMessage = message;
  failure.retryAfter = typeof retryAfter === "string" ? retryAfter : undefined;
  if (lowered.includes(deadlockText)) failure.code = "mi.deadlock";
  else if (status === 412) failure.code = "mi.session_expired";
  else if (status === 401)
    failure.code = lowered.includes(noUserManagementText) ? "mi.no_user_management" : "mi.unauthorized";
  else if (status === 403) failure.code = "mi.not_admin";
  else if (status === 404) failure.code = "mi.not_found";
  else if (status === 429) failure.code = "mi.throttled";
  else if (status >= 500) failure.code = "mi.server_error";
  else failure.code = "mi.rejected";
  return failure;
}

function systemCodeOf(cause: unknown): string | undefined {
  if (typeof cause !== "object" || cause === null) return undefined;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === "string") return code;
  return systemCodeOf((cause as { cause?: unknown }).cause);
}

/** Failures the HTTP layer retries (with backoff): throttling, 5xx, MI's deadlock, and no answer at all. */
export function isTransientMiFailure(failure: MiFailure): boolean {
  return (
    failure.code === "mi.throttled" ||
    failure.code === "mi.server_error" ||
    failure.code === "mi.deadlock" ||
    failure.code === "mi.network" ||
    failure.code === "mi.timeout"
  );
}

/** What the mapper needs to write a useful, secret-free message. */
export interface MiErrorContext {
  baseUrl: string;
  /** The MI user the token acts as, when known. */
  username: string | undefined;
  applicationId: string | undefined;
  /** Values that must never appear in a message (application key, tokens, passwords). */
  secrets: () => readonly string[];
}

function quoted(failure: MiFailure): string {
  const status = failure.status === undefined ? "" : `${failure.status}`;
  return failure.miMessage === undefined ? `MI answered ${status}` : `MI answered ${status} '${failure.miMessage}'`;
}

function attempts(failure: MiFailure): string {
  return failure.retries > 0 ? ` after ${failure.retries + 1} attempts` : "";
}

/**
 * The typed error for a final failure of `operation` (a phrase naming the object: "creating MI user jdoe").
 * Auth failures → `AuthError`; everything else → `ServiceError` with the code the CLI and summary read.
 */
export function toMiError(operation: string, reported: MiFailure, context: MiErrorContext): SyncError {
  const failure = shownFailure(reported, context);
  const who = context.username === undefined ? "The API token's user" : `MI user '${context.username}'`;
  const make = (): SyncError => {
    switch (failure.code) {
      case "mi.no_user_management":
        return new AuthError(
          "mi",
          "mi.no_user_management",
          `${operation}: ${quoted(failure)}. Enable "Application Can Manage Users" on External Application ` +
            `'${context.applicationId ?? "?"}' (Admin > System > External Applications) and run again.`,
        );
      case "mi.not_admin":
        return new AuthError(
          "mi",
          "mi.not_admin",
          `${operation}: ${quoted(failure)}. ${who} is not an enabled MI administrator; set --mi-user (MI_API_USER) ` +
            "to an administrator, or use a personal token of one.",
        );
      case "mi.unauthorized":
      case "mi.session_expired":
        return new AuthError(
          "mi",
          "mi.auth_refused",
          `${operation}: ${quoted(failure)} even with a fresh token. Check the MI credentials ` +
            "(--mi-application-id/--mi-application-key and --mi-user, or --mi-token).",
        );
      case "mi.network":
        return new ServiceError(
          "mi",
          "mi.unreachable",
          `${operation}: MI at ${context.baseUrl} could not be reached (${failure.systemCode ?? "no answer"})` +
            `${attempts(failure)}. Check --mi-url, DNS, firewall and --proxy.`,
          undefined,
          { retryable: true },
        );
      case "mi.timeout":
        return new ServiceError(
          "mi",
          "mi.unavailable",
          `${operation}: MI at ${context.baseUrl} did not answer in time${attempts(failure)}. Try again later.`,
          undefined,
          { retryable: true },
        );
      case "mi.throttled":
      case "mi.server_error":
      case "mi.deadlock":
        return new ServiceError(
          "mi",
          "mi.unavailable",
          `${operation}: ${quoted(failure)}${attempts(failure)}. MI is failing or overloaded; try again later.`,
          failure.status,
          { retryable: true },
        );
      case "mi.aborted":
        return new ServiceError("mi", "mi.aborted", `${operation}: cancelled`, undefined);
      case "mi.not_found":
        return new ServiceError("mi", "mi.not_found", `${operation}: ${quoted(failure)} (not found)`, failure.status);
      case "mi.rejected":
        return new ServiceError("mi", "mi.rejected", `${operation}: ${quoted(failure)}`, failure.status);
    }
  };
  return redact(make(), context.secrets());
}

/** An `AuthError` for `get_token` refusing the credentials (any 4xx there). */
export function tokenRefusedError(reported: MiFailure, context: MiErrorContext): SyncError {
  const failure = shownFailure(reported, context);
  const message =
    `getting an MI API token for ${context.username === undefined ? "the configured user" : `'${context.username}'`}: ` +
    `${quoted(failure)}. Check --mi-application-id and --mi-application-key (MI_APPLICATION_ID, MI_APPLICATION_KEY) ` +
    "and that --mi-user (MI_API_USER) names an existing, enabled MI user.";
  return redact(new AuthError("mi", "mi.auth_refused", message), context.secrets());
}

/** MI's message as shown: secrets redacted first, then shortened to 300 characters. */
function shownFailure(failure: MiFailure, context: MiErrorContext): MiFailure {
  if (failure.miMessage === undefined) return failure;
  const redacted = redactText(failure.miMessage, context.secrets());
  const short = redacted.length > 300 ? `${redacted.slice(0, 300)}…` : redacted;
  return { ...failure, miMessage: short };
}

function redactText(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 4) result = result.split(secret).join("[redacted]");
  }
  return result;
}

/** Replaces any secret in an error's message (a last guard: messages are built without secrets). */
export function redact<E extends Error>(error: E, secrets: readonly string[]): E {
  const message = redactText(error.message, secrets);
  if (message !== error.message) error.message = message;
  return error;
}
