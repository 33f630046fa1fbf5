/**
 * MI's wire shapes and their normalisation into the engine's model (`src/sync/model.ts`), with zod at the edge:
 * string-or-number ids become strings, "Y"/"N" flags booleans, `type` a `MiUserType`. Nothing MI-shaped leaves
 * `src/mi/`. A body that does not fit throws `ServiceError("mi", "mi.bad_response")` naming the endpoint.
 *
 * Shapes: `/work/shared/contracts/metric-insights-api.md` §2 (list `{"<item>s": [...]}`, single `{"<item>": {...}}`).
 */
import { z } from "zod";
import { ServiceError } from "../errors/sync-error.js";
import type { MiGroup, MiMembership, MiUser, MiUserType } from "../sync/model.js";
import { decodeUserExtrasRead } from "./user-extras-wire.js";

/** Ids arrive as strings in the docs and as numbers from some v7 endpoints (contract §2.0): both become strings. */
const idSchema = z.union([z.string().min(1), z.number().int().nonnegative()]).transform((id) => String(id));

/** MI flags are "Y"/"N"; "yes"/"no", booleans and 1/0 are tolerated. */
const flagSchema = z.union([z.string(), z.boolean(), z.number()]).transform((value, ctx) => {
  const v = String(value).trim().toLowerCase();
  if (v === "y" || v === "yes" || v === "true" || v === "1") return true;
  if (v === "n" || v === "no" || v === "false" || v === "0") return false;
  ctx.addIssue({ code: "custom", message: `not a Y/N flag: ${JSON.stringify(value)}` });
  return z.NEVER;
});

const userTypeAliases: Record<string, MiUserType> = {
  regular: "regular",
  power: "power",
  "power user": "power",
  power_user: "power",
  administrator: "administrator",
  admin: "administrator",
};

const userTypeSchema = z.string().transform((value, ctx): MiUserType => {
  const type = userTypeAliases[value.trim().toLowerCase()];
  if (type !== undefined) return type;
  ctx.addIssue({ code: "custom", message: `unknown user type ${JSON.stringify(value)}` });
  return z.NEVER;
});

const optionalText = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((value) => (value === null || value === undefined ? "" : String(value)));

const userSchema = z.looseObject({
  id: idSchema,
  username: z.string().min(1),
  first_name: optionalText,
  last_name: optionalText,
  email: optionalText,
  type: userTypeSchema,
  enabled: flagSchema,
});

const groupSchema = z.looseObject({ id: idSchema, name: z.string() });

const membershipSchema = z.looseObject({ id: idSchema, user: idSchema, group: idSchema });

/** A created membership: MI's test reads only `id` (contract §2.3), so `user` and `group` may be absent. */
const createdMembershipSchema = z.looseObject({ id: idSchema, user: idSchema.optional(), group: idSchema.optional() });

const tokenSchema = z.looseObject({ token: z.string().min(1), expires: z.string().optional() });

function fail(endpoint: string, error: z.ZodError): never {
  const first = error.issues[0];
  const where = first && first.path.length > 0 ? ` at ${first.path.join(".")}` : "";
  throw new ServiceError(
    "mi",
    "mi.bad_response",
    `${endpoint}: MI answered a body this client does not understand (${first?.message ?? "invalid"}${where}); ` +
      "check that --mi-url points at a Metric Insights server",
    undefined,
  );
}

function parse<S extends z.ZodType>(schema: S, body: unknown, endpoint: string): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success) fail(endpoint, result.error);
  return result.data;
}

function toUser(raw: z.output<typeof userSchema>): MiUser {
  const user: MiUser = {
    id: raw.id,
    username: raw.username,
    firstName: raw.first_name,
    lastName: raw.last_name,
    email: raw.email,
    type: raw.type,
    enabled: raw.enabled,
  };
  const extras = decodeUserExtrasRead(raw);
  if (extras !== undefined) user.extras = extras;
  return user;
}

/** `GET /api/user`: `{"users": [...]}`. */
export function parseUserList(body: unknown, endpoint: string): MiUser[] {
  return parse(z.object({ users: z.array(userSchema) }), body, endpoint).users.map(toUser);
}

/**
 * A user lookup (`GET /api/user?username=` / `?email=`), whose wrapper is unverified (contract §4 Q2): accepts
 * `{"users": [...]}`, `{"user": {...}}`, `{"user": null}` and `[]` (nothing found).
 */
export function parseUserLookup(body: unknown, endpoint: string): MiUser[] {
  const schema = z.union([
    z.object({ users: z.array(userSchema) }).transform((b) => b.users),
    z.object({ user: userSchema }).transform((b) => [b.user]),
    z.object({ user: z.null() }).transform(() => []),
    z.array(z.never()).transform(() => []),
  ]);
  return parse(schema, body, endpoint).map(toUser);
}

/** `POST /api/user` and `GET /api/user/id/<id>`: `{"user": {...}}`. */
export function parseUserObject(body: unknown, endpoint: string): MiUser {
  return toUser(parse(z.object({ user: userSchema }), body, endpoint).user);
}

/** `GET /api/user_group`: `{"user_groups": [...]}`. */
export function parseGroupList(body: unknown, endpoint: string): MiGroup[] {
  return parse(z.object({ user_groups: z.array(groupSchema) }), body, endpoint).user_groups.map((g) => ({
    id: g.id,
    name: g.name,
  }));
}

/** `POST /api/user_group`: `{"user_group": {...}}`. */
export function parseGroupObject(body: unknown, endpoint: string): MiGroup {
  const group = parse(z.object({ user_group: groupSchema }), body, endpoint).user_group;
  return { id: group.id, name: group.name };
}

/** `GET /api/user_group_member?…`: `{"user_group_members": [{id, user, group}]}`. */
export function parseMembershipList(body: unknown, endpoint: string): MiMembership[] {
  return parse(z.object({ user_group_members: z.array(membershipSchema) }), body, endpoint).user_group_members.map(
    (row) => ({ id: row.id, userId: row.user, groupId: row.group }),
  );
}

/** `POST /api/user_group_member`: `{"user_group_member": {id, ...}}`; absent ids are taken from the request. */
export function parseCreatedMembership(
  body: unknown,
  endpoint: string,
  requested: { userId: string; groupId: string },
): MiMembership {
  const row = parse(z.object({ user_group_member: createdMembershipSchema }), body, endpoint).user_group_member;
  return { id: row.id, userId: row.user ?? requested.userId, groupId: row.group ?? requested.groupId };
}

/** `POST`/`GET /api/get_token`: `{token, expires}`. `expires` has no timezone and is deliberately not returned. */
export function parseToken(body: unknown, endpoint: string): string {
  return parse(tokenSchema, body, endpoint).token;
}

/** True for a `get_token` answer that carries a token (a `GET` without valid auth answers `[]`). */
export function hasToken(body: unknown): boolean {
  return tokenSchema.safeParse(body).success;
}

/**
 * MI's human text from an error body (`{"message": ...}` or `{"status":"ERROR","message": ...}`), if any. Not
 * shortened here: shortening before secrets are redacted could leave part of a secret (`mi-errors.ts` does both).
 */
export function miErrorMessage(body: unknown): string | undefined {
  if (typeof body === "string") {
    const text = body.trim();
    // An HTML page (a proxy's or web server's error page) says nothing useful to an admin.
    return text === "" || text.startsWith("<") ? undefined : text;
  }
  if (typeof body === "object" && body !== null && "message" in body) {
    const message = (body as { message: unknown }).message;
    if (typeof message === "string") return message;
  }
  return undefined;
}
