/**
 * UNVERIFIED GUESS, isolated here on purpose. No public MI document names a REST field for custom attribute values or
 * for a "trusted-server username" (contract `metric-insights-api.md` §2.5, §2.6, §4 Q1 and Q6). Every assumption
 * about those fields lives in this one module, which both the REST client (`MiRestDirectory.setUserExtras`, user
 * listings) and the MI simulator (`sim/mi`) import. When a real MI instance says otherwise, correct this file only.
 *
 * The guess:
 * - write: `PUT /api/user/id/<id>` with a JSON body
 *   `{"custom_attributes": {"<External ID>": "value" | null, ...}, "trusted_server_username": "name" | null}`;
 *   only the keys given are written, `null` clears a value, an absent `trusted_server_username` is left as it is;
 * - read: the same two fields on each user object of `GET /api/user` (`custom_attributes` an object keyed by External
 *   ID, `trusted_server_username` a string or null). A listing without either field means "MI does not expose them".
 */
import { z } from "zod";
import type { MiUserExtras } from "../sync/model.js";

/** The guessed wire names, in one place. */
export const userExtrasFieldNames = {
  customAttributes: "custom_attributes",
  trustedServerUsername: "trusted_server_username",
} as const;

/** The HTTP method of the guessed write. */
export const userExtrasWriteMethod = "PUT";

/** The path of the guessed write for one user. */
export function userExtrasWritePath(userId: string): string {
  return `/api/user/id/${encodeURIComponent(userId)}`;
}

/** Builds the guessed write body from the engine's extras. */
export function encodeUserExtrasWrite(extras: MiUserExtras): Record<string, unknown> {
  const body: Record<string, unknown> = {
    [userExtrasFieldNames.customAttributes]: { ...extras.customAttributes },
  };
  if (extras.trustedServerUsername !== undefined) {
    body[userExtrasFieldNames.trustedServerUsername] = extras.trustedServerUsername;
  }
  return body;
}

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform((value) => String(value));

const extrasOnWireSchema = z.object({
  [userExtrasFieldNames.customAttributes]: z
    .union([z.record(z.string(), scalar.nullable()), z.array(z.never()).transform(() => ({}))])
    .nullish(),
  [userExtrasFieldNames.trustedServerUsername]: scalar.nullish(),
});

/** What a write body asks to change; absent parts are left as they are. */
export interface UserExtrasChange {
  customAttributes?: Record<string, string | null>;
  trustedServerUsername?: string | null;
}

/**
 * Reads the guessed extras fields out of a write body (the simulator's side). Returns undefined when the body carries
 * neither field, and `{ error }` when a field has the wrong shape.
 */
export function decodeUserExtrasWrite(body: Record<string, unknown>): UserExtrasChange | { error: string } | undefined {
  const hasCustom = userExtrasFieldNames.customAttributes in body;
  const hasTrusted = userExtrasFieldNames.trustedServerUsername in body;
  if (!hasCustom && !hasTrusted) return undefined;
  const parsed = extrasOnWireSchema.safeParse(body);
  if (!parsed.success) return { error: "Invalid custom attribute values" };
  const change: UserExtrasChange = {};
  const custom = parsed.data[userExtrasFieldNames.customAttributes];
  if (hasCustom) change.customAttributes = custom ?? {};
  if (hasTrusted) change.trustedServerUsername = parsed.data[userExtrasFieldNames.trustedServerUsername] ?? null;
  return change;
}

/**
 * Reads the guessed extras fields off one user object of a listing (the client's side). Undefined when the object
 * has neither field, or when they do not have the guessed shape (a wrong guess must not break the user listing).
 */
export function decodeUserExtrasRead(rawUser: unknown): MiUserExtras | undefined {
  if (typeof rawUser !== "object" || rawUser === null) return undefined;
  const record = rawUser as Record<string, unknown>;
  const change = decodeUserExtrasWrite(record);
  if (change === undefined || "error" in change) return undefined;
  const extras: MiUserExtras = { customAttributes: change.customAttributes ?? {} };
  if (userExtrasFieldNames.trustedServerUsername in record) {
    extras.trustedServerUsername = change.trustedServerUsername ?? null;
  }
  return extras;
}

/** Renders stored extras onto a user object of a listing (the simulator's side). */
export function encodeUserExtrasRead(extras: {
  customAttributes: Record<string, string>;
  trustedServerUsername: string | null;
}): Record<string, unknown> {
  return {
    [userExtrasFieldNames.customAttributes]: { ...extras.customAttributes },
    [userExtrasFieldNames.trustedServerUsername]: extras.trustedServerUsername,
  };
}
