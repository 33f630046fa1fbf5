/**
 * The simulator's `user`, `user_group` and `user_group_member` items, after authentication and permission checks
 * (`mi-sim-server.ts`). Shapes follow `/work/shared/contracts/metric-insights-api.md` §2: list `{"<item>s": [...]}`,
 * single `{"<item>": {...}}`, ids as strings, flags "Y"/"N", create 201, update/delete 200, unknown id 404,
 * application errors 400 `{"status":"ERROR","message":...}`, a known item with a wrong verb/URL combination 405 JSON
 * without `Allow`.
 *
 * Choices where the contract is silent (all marked [INFERRED] there):
 * - `GET /api/user?username=` / `?email=` filter case-insensitively and answer the list wrapper `{"users": [...]}`.
 * - `POST /api/user` without `default_group_ind` puts the user in the Default Group (the UI's default is "yes");
 *   a non-empty `in_group_id` puts the user in that group instead.
 * - `DELETE /api/user_group_member?group=` (semantics unknown, §4 Q11) answers 405.
 * - Custom attribute values and the trusted-server username are read and written through the guessed fields of
 *   `src/mi/user-extras-wire.ts` (the one place those guesses live), on `PUT /api/user/id/<id>` and `POST /api/user`.
 */

import { decodeUserExtrasWrite, encodeUserExtrasRead } from "../../src/mi/user-extras-wire.js";
import type { MiUserType } from "../../src/sync/model.js";
import type { MiSimState, SimGroup, SimMembership, SimUser } from "./mi-sim-state.js";

export interface SimRequest {
  method: string;
  item: "user" | "user_group" | "user_group_member";
  /** The `<id>` of `/api/<item>/id/<id>`, if present. */
  id: string | undefined;
  query: URLSearchParams;
  body: Record<string, unknown>;
}

export interface SimResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** MI's limit on first and last names (contract §2.1, U-NEWUSER), in code points. */
const maxNameLength = 100;
const userTypes: readonly MiUserType[] = ["regular", "power", "administrator"];

function error(status: number, message: string): SimResponse {
  return { status, body: { status: "ERROR", message } };
}

/** 405 JSON without an `Allow` header: MI's application-level "wrong URL/verb combination". */
export function methodNotAllowed(): SimResponse {
  return error(405, "Method Not Allowed");
}

function yn(value: boolean): "Y" | "N" {
  return value ? "Y" : "N";
}

/** A string-or-number field as a string; undefined when absent; `{ bad }` for another type. */
function text(body: Record<string, unknown>, key: string): string | undefined | { bad: string } {
  const value = body[key];
  if (value === undefined) return undefined;
  if (value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return { bad: key };
}

/** MI flags: "Y"/"N", also "yes"/"no" (MI's own tests send `all_access_group: "no"`), any case. */
function flag(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (v === "y" || v === "yes" || v === "1" || v === "true") return true;
  if (v === "n" || v === "no" || v === "0" || v === "false" || v === "") return false;
  return undefined;
}

function codePoints(value: string): number {
  return [...value].length;
}

function serialiseUser(user: SimUser): Record<string, unknown> {
  return {
    id: user.id,
    username: user.username,
    first_name: user.firstName,
    last_name: user.lastName,
    type: user.type,
    email: user.email,
    enabled: yn(user.enabled),
    ldap: yn(user.ldap),
    ...encodeUserExtrasRead({
      customAttributes: user.customAttributes,
      trustedServerUsername: user.trustedServerUsername,
    }),
  };
}

function serialiseGroup(group: SimGroup): Record<string, unknown> {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    all_access_group: yn(group.allAccess),
    ldap_organizational_unit: group.ldapOrganizationalUnit,
    external_group_id: group.externalGroupId,
  };
}

function serialiseMembership(row: SimMembership): Record<string, unknown> {
  return { id: row.id, user: row.userId, group: row.groupId };
}

export function handleItem(state: MiSimState, request: SimRequest): SimResponse {
  switch (request.item) {
    case "user":
      return handleUser(state, request);
    case "user_group":
      return handleGroup(state, request);
    case "user_group_member":
      return handleMember(state, request);
  }
}

type Fields = Record<string, string | undefined>;

/** Reads the given fields as text, or answers 400 naming a field of the wrong type. */
function readFields(body: Record<string, unknown>, keys: string[]): Fields | SimResponse {
  const fields: Fields = {};
  for (const key of keys) {
    const value = text(body, key);
    if (typeof value === "object") return error(400, `Invalid value for ${key}`);
    fields[key] = value;
  }
  return fields;
}

function isResponse(value: Fields | SimResponse): value is SimResponse {
  return typeof (value as SimResponse).status === "number" && "body" in value;
}

const userFields = ["username", "first_name", "last_name", "email", "password", "type", "enabled"];

/** Validates user fields present in a create or update; undefined when they are fine. */
function checkUserFields(state: MiSimState, fields: Fields, selfId: string | undefined): SimResponse | undefined {
  const { username, first_name: firstName, last_name: lastName, email, type, enabled } = fields;
  if (username !== undefined) {
    if (username.trim() === "") return error(400, "Username is required");
    const other = state.userByUsername(username);
    if (other && other.id !== selfId) return error(400, "Username already exists");
  }
  if (email !== undefined) {
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) return error(400, "Invalid email address");
    const other = state.userByEmail(email);
    if (other && other.id !== selfId) return error(400, "Email already exists");
  }
  if (firstName !== undefined && codePoints(firstName) > maxNameLength) {
    return error(400, `First name cannot be longer than ${maxNameLength} characters`);
  }
  if (lastName !== undefined && codePoints(lastName) > maxNameLength) {
    return error(400, `Last name cannot be longer than ${maxNameLength} characters`);
  }
  if (type !== undefined && !userTypes.includes(type as MiUserType)) return error(400, "Invalid user type");
  if (enabled !== undefined && flag(enabled) === undefined) return error(400, "Invalid value for enabled");
  return undefined;
}

function handleUser(state: MiSimState, request: SimRequest): SimResponse {
  const { method, id, query, body } = request;
  if (method === "GET" && id === undefined) {
    const username = query.get("username");
    const email = query.get("email");
    const users = state
      .users()
      .filter((u) => username === null || u.username.toLowerCase() === username.toLowerCase())
      .filter((u) => email === null || u.email.toLowerCase() === email.toLowerCase());
    return { status: 200, body: { users: users.map(serialiseUser) } };
  }
  if (method === "GET" && id !== undefined) {
    const user = state.userById(id);
    return user ? { status: 200, body: { user: serialiseUser(user) } } : error(404, "User not found");
  }
  if (method === "POST" && id === undefined) return createUser(state, body);
  if (method === "PUT" && id !== undefined) return updateUser(state, id, body);
  if (method === "DELETE" && id !== undefined) {
    return state.removeUser(id) ? { status: 200, body: { status: "OK" } } : error(404, "User not found");
  }
  return methodNotAllowed();
}

function createUser(state: MiSimState, body: Record<string, unknown>): SimResponse {
  const fields = readFields(body, [...userFields, "default_group_ind", "in_group_id", "copy_from_user_id"]);
  if (isResponse(fields)) return fields;
  for (const required of ["username", "first_name", "last_name", "email", "password", "type"]) {
    if (fields[required] === undefined) return error(400, `Field ${required} is required`);
  }
  if (fields.password === "") return error(400, "Password is required");
  const invalid = checkUserFields(state, fields, undefined);
  if (invalid) return invalid;
  const extras = decodeUserExtrasWrite(body);
  if (extras !== undefined && "error" in extras) return error(400, extras.error);
  const defaultGroupInd = flag(fields.default_group_ind ?? "Y");
  if (defaultGroupInd === undefined) return error(400, "Invalid value for default_group_ind");
  const inGroupId = fields.in_group_id ?? "";
  if (inGroupId !== "" && !state.groupById(inGroupId)) return error(400, "User Group not found");
  const copyFrom = fields.copy_from_user_id ?? "";
  if (copyFrom !== "" && !state.userById(copyFrom)) return error(400, "User to copy from not found");

  const user = state.addUser({
    username: fields.username!,
    email: fields.email!,
    firstName: fields.first_name!,
    lastName: fields.last_name!,
    type: fields.type as MiUserType,
    enabled: flag(fields.enabled ?? "Y")!,
  });
  if (extras !== undefined) state.setUserExtras(user.id, extras);
  const groupId = inGroupId !== "" ? inGroupId : defaultGroupInd ? state.defaultGroup()?.id : undefined;
  if (groupId !== undefined) state.addMembership(user.id, groupId);
  return { status: 201, body: { user: serialiseUser(state.userById(user.id)!) } };
}

function updateUser(state: MiSimState, id: string, body: Record<string, unknown>): SimResponse {
  if (!state.userById(id)) return error(404, "User not found");
  const fields = readFields(body, userFields);
  if (isResponse(fields)) return fields;
  const invalid = checkUserFields(state, fields, id);
  if (invalid) return invalid;
  const extras = decodeUserExtrasWrite(body);
  if (extras !== undefined && "error" in extras) return error(400, extras.error);
  const patch: Partial<SimUser> = {};
  if (fields.username !== undefined) patch.username = fields.username;
  if (fields.first_name !== undefined) patch.firstName = fields.first_name;
  if (fields.last_name !== undefined) patch.lastName = fields.last_name;
  if (fields.email !== undefined) patch.email = fields.email;
  if (fields.type !== undefined) patch.type = fields.type as MiUserType;
  if (fields.enabled !== undefined) patch.enabled = flag(fields.enabled)!;
  state.updateUser(id, patch);
  if (extras !== undefined) state.setUserExtras(id, extras);
  return { status: 200, body: { user: serialiseUser(state.userById(id)!) } };
}

const groupFields = ["name", "description", "all_access_group", "ldap_organizational_unit", "external_group_id"];

function groupPatch(state: MiSimState, fields: Fields, selfId: string | undefined): Partial<SimGroup> | SimResponse {
  const patch: Partial<SimGroup> = {};
  if (fields.name !== undefined) {
    if (fields.name.trim() === "") return error(400, "Name is required");
    const other = state.groupByName(fields.name);
    if (other && other.id !== selfId) return error(400, "User Group with this name already exists");
    patch.name = fields.name;
  }
  if (fields.description !== undefined) patch.description = fields.description;
  if (fields.all_access_group !== undefined) {
    const allAccess = flag(fields.all_access_group);
    if (allAccess === undefined) return error(400, "Invalid value for all_access_group");
    patch.allAccess = allAccess;
  }
  if (fields.ldap_organizational_unit !== undefined) patch.ldapOrganizationalUnit = fields.ldap_organizational_unit;
  if (fields.external_group_id !== undefined) patch.externalGroupId = fields.external_group_id;
  return patch;
}

function handleGroup(state: MiSimState, request: SimRequest): SimResponse {
  const { method, id, body } = request;
  if (method === "GET" && id === undefined) {
    return { status: 200, body: { user_groups: state.groups().map(serialiseGroup) } };
  }
  if (method === "GET" && id !== undefined) {
    const group = state.groupById(id);
    return group ? { status: 200, body: { user_group: serialiseGroup(group) } } : error(404, "User Group not found");
  }
  if ((method === "POST" && id === undefined) || (method === "PUT" && id !== undefined)) {
    if (id !== undefined && !state.groupById(id)) return error(404, "User Group not found");
    const fields = readFields(body, groupFields);
    if (isResponse(fields)) return fields;
    if (id === undefined && fields.name === undefined) return error(400, "Name is required");
    const patch = groupPatch(state, fields, id);
    if ("status" in patch && "body" in patch) return patch as SimResponse;
    const values = patch as Partial<SimGroup>;
    if (id === undefined) {
      const group = state.addGroup(values.name!, values);
      return { status: 201, body: { user_group: serialiseGroup(group) } };
    }
    return { status: 200, body: { user_group: serialiseGroup(state.updateGroup(id, values)!) } };
  }
  if (method === "DELETE" && id !== undefined) {
    return state.removeGroup(id) ? { status: 200, body: { status: "OK" } } : error(404, "User Group not found");
  }
  return methodNotAllowed();
}

function handleMember(state: MiSimState, request: SimRequest): SimResponse {
  const { method, id, query, body } = request;
  if (method === "GET" && id === undefined) {
    const group = query.get("group");
    const user = query.get("user");
    const rows = state.membershipsWhere({ group, user });
    return { status: 200, body: { user_group_members: rows.map(serialiseMembership) } };
  }
  if (method === "GET" && id !== undefined) {
    const row = state.membershipById(id);
    return row
      ? { status: 200, body: { user_group_member: serialiseMembership(row) } }
      : error(404, "User Group Member not found");
  }
  if (method === "POST" && id === undefined) {
    const fields = readFields(body, ["user", "group"]);
    if (isResponse(fields)) return fields;
    if (!fields.user) return error(400, "Field user is required");
    if (!fields.group) return error(400, "Field group is required");
    if (!state.userById(fields.user)) return error(400, "User not found");
    if (!state.groupById(fields.group)) return error(400, "User Group not found");
    if (state.membership(fields.user, fields.group)) return error(400, "User is already a member of this group");
    const row = state.addMembership(fields.user, fields.group);
    return { status: 201, body: { user_group_member: serialiseMembership(row) } };
  }
  if (method === "DELETE" && id !== undefined) {
    return state.removeMembership(id)
      ? { status: 200, body: { status: "OK" } }
      : error(404, "User Group Member not found");
  }
  return methodNotAllowed();
}
