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

const userFields = {
  id: idSchema,
  username: z.string().min(1),
  first_name: optionalText,
  last_name: optionalText,
  email: optionalText,
  type: userTypeSchema,
  enabled: flagSchema,
};
const userSchema = z.looseObject(userFields);
/** One user of a listing: only the fields `MiUser` takes are copied (the extras are read off the item itself). */
const listedUserSchema = z.object(userFields);

const groupSchema = z.looseObject({ id: idSchema, name: z.string() });

/** A listed row: validated into a copy of its three fields only (a large group lists tens of thousands). */
const membershipSchema = z.object({ id: idSchema, user: idSchema, group: idSchema });

/** A created membership: MI's test reads only `id` (contract §2.3), so `user` and `group` may be absent. */
const createdMembershipSchema = z.looseObject({ id: idSchema, user: idSchema.optional(), group: idSchema.optional() });

const tokenSchema = z.looseObject({ token: z.string().min(1), expires: z.string().optional() });

function fail(endpoint: string, error: z.ZodError, prefix: PropertyKey[] = []): never {
  const first = error.issues[0];
  const path = [...prefix, ...(first?.path ?? [])];
  const where = path.length > 0 ? ` at ${path.map(String).join(".")}` : "";
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

function toUser(raw: z.output<typeof listedUserSchema>, withExtras = true, item: unknown = raw): MiUser {
  const user: MiUser = {
    id: raw.id,
    username: raw.username,
    firstName: raw.first_name,
    lastName: raw.last_name,
    // Usually the username spelled again: one string for both (MI lists every user at once).
    email: raw.email === raw.username ? raw.username : raw.email,
    type: raw.type,
    enabled: raw.enabled,
  };
  if (!withExtras) return user;
  const extras = decodeUserExtrasRead(item);
  if (extras !== undefined) user.extras = extras;
  return user;
}

// Envelopes are built once: a zod schema compiles its parser on first use, so one built per call costs a compile per
// request (hundreds of thousands in a large sync).
const userListSchema = z.object({ users: z.array(z.unknown()) });
const userLookupSchema = z.union([
  z.object({ users: z.array(userSchema) }).transform((b) => b.users),
  z.object({ user: userSchema }).transform((b) => [b.user]),
  z.object({ user: z.null() }).transform(() => []),
  z.array(z.never()).transform(() => []),
]);
const userObjectSchema = z.object({ user: userSchema });
const groupListSchema = z.object({ user_groups: z.array(groupSchema) });
const groupObjectSchema = z.object({ user_group: groupSchema });
const membershipListSchema = z.object({ user_group_members: z.array(z.unknown()) });
const createdMembershipObjectSchema = z.object({ user_group_member: createdMembershipSchema });

/**
 * `GET /api/user`: `{"users": [...]}`, every MI user at once (MI has no paging). Each user is checked and converted
 * on its own, so the whole list exists once as read and once as `MiUser`s, not also as a validated copy.
 * `extras: false` leaves the extras out (a run that manages none never reads them).
 */
export function parseUserList(body: unknown, endpoint: string, read: { extras: boolean } = { extras: true }): MiUser[] {
  const users = parse(userListSchema, body, endpoint).users;
  return users.map((item, index) => {
    const user = listedUserSchema.safeParse(item);
    if (!user.success) fail(endpoint, user.error, ["users", index]);
    return toUser(user.data, read.extras, item);
  });
}

/**
 * A user lookup (`GET /api/user?username=` / `?email=`), whose wrapper is unverified (contract §4 Q2): accepts
 * `{"users": [...]}`, `{"user": {...}}`, `{"user": null}` and `[]` (nothing found).
 */
export function parseUserLookup(body: unknown, endpoint: string): MiUser[] {
  return parse(userLookupSchema, body, endpoint).map((user) => toUser(user));
}

/** `POST /api/user` and `GET /api/user/id/<id>`: `{"user": {...}}`. */
export function parseUserObject(body: unknown, endpoint: string): MiUser {
  return toUser(parse(userObjectSchema, body, endpoint).user);
}

/** `GET /api/user_group`: `{"user_groups": [...]}`. */
export function parseGroupList(body: unknown, endpoint: string): MiGroup[] {
  return parse(groupListSchema, body, endpoint).user_groups.map((g) => ({
    id: g.id,
    name: g.name,
  }));
}

/** `POST /api/user_group`: `{"user_group": {...}}`. */
export function parseGroupObject(body: unknown, endpoint: string): MiGroup {
  const group = parse(groupObjectSchema, body, endpoint).user_group;
  return { id: group.id, name: group.name };
}

/**
 * `GET /api/user_group_member?…`: `{"user_group_members": [{id, user, group}]}`. Rows are checked one by one (no
 * validated copy of the list). `only` keeps the rows of that group (or user) alone, sharing its id string.
 */
export function parseMembershipList(
  body: unknown,
  endpoint: string,
  only?: { groupId: string } | { userId: string },
): MiMembership[] {
  const rows: MiMembership[] = [];
  for (const [index, item] of parse(membershipListSchema, body, endpoint).user_group_members.entries()) {
    const row = membershipSchema.safeParse(item);
    if (!row.success) fail(endpoint, row.error, ["user_group_members", index]);
    const { id, user, group } = row.data;
    if (only === undefined) rows.push({ id, userId: user, groupId: group });
    else if ("groupId" in only && group === only.groupId) rows.push({ id, userId: user, groupId: only.groupId });
    else if ("userId" in only && user === only.userId) rows.push({ id, userId: only.userId, groupId: group });
  }
  return rows;
}

/** `POST /api/user_group_member`: `{"user_group_member": {id, ...}}`; absent ids are taken from the request. */
export function parseCreatedMembership(
  body: unknown,
  endpoint: string,
  requested: { userId: string; groupId: string },
): MiMembership {
  const row = parse(createdMembershipObjectSchema, body, endpoint).user_group_member;
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
