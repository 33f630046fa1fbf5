/**
 * `MiDirectory` over MI's REST API (`/work/shared/contracts/metric-insights-api.md`). The one production
 * implementation of the port; tests run it against `sim/mi`.
 *
 * Layers, each in its own module: `mi-http-client.ts` (axios + fetch adapter + retries of transient failures),
 * `mi-auth.ts` (tokens: by age and after a 412/401, one shared renewal), `mi-wire.ts` (zod at the edge),
 * `mi-errors.ts` (the one reader of MI's failures), `user-extras-wire.ts` (the unverified extras guess).
 */
import axios, { type AxiosInstance, type AxiosRequestConfig } from "axios";
import pLimit, { type LimitFunction } from "p-limit";
import { AuthError, ServiceError, SyncError } from "../errors/sync-error.js";
import { type Logger, silentLogger } from "../logging/logger.js";
import type { MiGroup, MiMembership, MiUser, MiUserExtras } from "../sync/model.js";
import type {
  CreatedMiUser,
  MiCallOptions,
  MiDirectory,
  MiListUsersOptions,
  MiUserPatch,
  NewMiUser,
} from "../sync/ports/mi-directory.js";
import { type MiAuthOptions, type MiCredential, MiTokenManager } from "./mi-auth.js";
import { classifyMiFailure, type MiErrorContext, type MiFailure, toMiError } from "./mi-errors.js";
import { createMiHttpClient, type MiRequestCounts } from "./mi-http-client.js";
import {
  parseCreatedMembership,
  parseGroupList,
  parseGroupObject,
  parseMembershipList,
  parseUserList,
  parseUserLookup,
  parseUserObject,
} from "./mi-wire.js";
import { randomPassword } from "./random-password.js";
import { encodeUserExtrasWrite, userExtrasWriteMethod, userExtrasWritePath } from "./user-extras-wire.js";

export type { MiAuthOptions } from "./mi-auth.js";
export type { MiRequestCounts } from "./mi-http-client.js";

export interface MiRestDirectoryOptions {
  /** MI's base URL, e.g. `https://mi.example.com` (a path prefix is kept). */
  baseUrl: string;
  auth: MiAuthOptions;
  logger?: Logger;
  /** Retries of a transiently failing request (429, 5xx, deadlock, no answer) after the first attempt; default 5. */
  maxRetries?: number;
  /** Requests MI should see at once; default 4 (contract §4 Q15). Callers bound their concurrency by it. */
  maxConcurrency?: number;
  /** Timeout of each attempt; default 30000. */
  requestTimeoutMs?: number;
  /**
   * A token older than this is renewed before the next request; default 10 minutes (MI's default lifetime is about
   * 15). MI's `expires` has no timezone, so it is never used for arithmetic.
   */
  tokenRefreshAgeMs?: number;
  /** Test seam only: waits between retries. */
  sleep?: (ms: number) => Promise<void>;
  /** Test seam only: the clock that ages tokens. */
  now?: () => Date;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** MI's ids are numeric strings; MI's own examples send them as JSON numbers (`{"user": 118, "group": 7}`). */
function wireId(id: string): number | string {
  return /^\d{1,15}$/.test(id) ? Number(id) : id;
}

function sameText(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function path(item: string, id: string): string {
  return `/api/${item}/id/${encodeURIComponent(id)}`;
}

export class MiRestDirectory implements MiDirectory {
  readonly actingUsername: string | undefined;
  readonly maxConcurrency: number;
  readonly #http: AxiosInstance;
  readonly #tokens: MiTokenManager;
  readonly #logger: Logger;
  readonly #counts: MiRequestCounts = { reads: 0, writes: 0, tokenRequests: 0 };
  readonly #errorContext: MiErrorContext;
  /** Passwords sent in this process's `createUser` calls, only so that no message can ever echo one. */
  readonly #sentPasswords: string[] = [];
  /** Set once connect() has verified the acting user's rights. */
  #connected = false;
  /**
   * Every request of this adapter takes one of `maxConcurrency` slots: MI sees at most that many from this process,
   * however many syncs share the adapter (a Functions instance runs several queue messages at once).
   */
  readonly #slots: LimitFunction;
  #actingUserId: string | undefined;

  constructor(options: MiRestDirectoryOptions) {
    const auth = options.auth;
    this.actingUsername = auth.username;
    this.maxConcurrency = options.maxConcurrency ?? 4;
    this.#slots = pLimit(this.maxConcurrency);
    this.#logger = options.logger ?? silentLogger;
    const now = options.now ?? (() => new Date());
    this.#http = createMiHttpClient({
      baseUrl: options.baseUrl,
      maxRetries: options.maxRetries ?? 5,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      sleep: options.sleep ?? defaultSleep,
      logger: this.#logger,
      counts: this.#counts,
    });
    this.#errorContext = {
      baseUrl: options.baseUrl,
      username: auth.username,
      applicationId: auth.kind === "application" ? auth.applicationId : undefined,
      secrets: () => [
        ...(auth.kind === "application" ? [auth.applicationKey] : []),
        ...this.#tokens.knownTokens,
        ...this.#sentPasswords,
      ],
    };
    this.#tokens = new MiTokenManager(this.#http, auth, {
      tokenRefreshAgeMs: options.tokenRefreshAgeMs ?? 10 * 60_000,
      nowMs: () => now().getTime(),
      logger: this.#logger,
      errorContext: this.#errorContext,
    });
  }

  /** The acting user's MI id, known once `connect()` has read that user. */
  get actingUserId(): string | undefined {
    return this.#actingUserId;
  }

  /** Requests sent so far (every attempt counted), for run summaries. A copy. */
  get requestCounts(): MiRequestCounts {
    return { ...this.#counts };
  }

  /**
   * Obtains a token now (`AuthError mi.auth_refused` for bad application credentials or an unknown user). When the
   * acting username is known, also reads that one user (`GET /api/user?username=`) so that an application without
   * user management (`mi.no_user_management`) or a user who is not an enabled administrator (`mi.not_admin`) fails
   * here, before anything is read in bulk or written.
   */
  async connect(options?: MiCallOptions): Promise<void> {
    await this.#tokens.credential();
    // A long-lived instance (a warm Functions worker) checks its rights once, not on every message.
    if (this.#connected) return;
    const username = this.actingUsername;
    if (username === undefined) return;
    let found: MiUser[];
    try {
      found = await this.#lookupUsers("username", username, options);
    } catch (error) {
      if (!isLookupUnsupported(error)) throw error;
      // The lookup filter is unverified (contract §4 Q2); if MI does not offer it, the rights show at the first write.
      this.#logger.debug(`MI user lookup for '${username}' failed; rights are checked at the first write`);
      return;
    }
    const me = found.find((u) => sameText(u.username, username));
    this.#actingUserId = me?.id;
    if (me !== undefined && (me.type !== "administrator" || !me.enabled)) {
      throw new AuthError(
        "mi",
        "mi.not_admin",
        `connecting to MI: MI user '${me.username}' is ${me.enabled ? `a ${me.type} user` : "disabled"}, not an ` +
          "enabled administrator; set --mi-user (MI_API_USER) to an MI administrator.",
      );
    }
    this.#connected = true;
  }

  /** Every MI user (`GET /api/user`; MI has no paging). */
  async listUsers(options?: MiListUsersOptions): Promise<MiUser[]> {
    const endpoint = "GET /api/user";
    const body = await this.#call("listing MI users", { method: "GET", url: "/api/user" }, options);
    return parseUserList(body, endpoint, { extras: options?.extras ?? true });
  }

  /** One MI user (`GET /api/user/id/<id>`); undefined for a user MI no longer has (404). */
  async getUser(userId: string, options?: MiCallOptions): Promise<MiUser | undefined> {
    try {
      const body = await this.#call(`reading MI user ${userId}`, { method: "GET", url: path("user", userId) }, options);
      return parseUserObject(body, "GET /api/user/id/<id>");
    } catch (error) {
      if (error instanceof ServiceError && error.code === "mi.not_found") return undefined;
      throw error;
    }
  }

  /** Every MI group (`GET /api/user_group`). */
  async listGroups(options?: MiCallOptions): Promise<MiGroup[]> {
    const endpoint = "GET /api/user_group";
    const body = await this.#call("listing MI groups", { method: "GET", url: "/api/user_group" }, options);
    return parseGroupList(body, endpoint);
  }

  /** Membership rows of one group (`GET /api/user_group_member?group=<id>`); rows of other groups are dropped. */
  async listGroupMembers(groupId: string, options?: MiCallOptions): Promise<MiMembership[]> {
    const endpoint = "GET /api/user_group_member";
    const body = await this.#call(
      `listing members of MI group ${groupId}`,
      { method: "GET", url: "/api/user_group_member", params: { group: groupId } },
      options,
    );
    // Should MI ignore the filter, the whole table comes back: keep this group's rows only.
    return parseMembershipList(body, endpoint, { groupId });
  }

  /** Groups one user is in (`GET /api/user_group_member?user=<id>`, MI's documented per-user lookup). */
  async listUserMemberships(userId: string, options?: MiCallOptions): Promise<MiMembership[]> {
    const endpoint = "GET /api/user_group_member";
    const body = await this.#call(
      `listing the groups of MI user ${userId}`,
      { method: "GET", url: "/api/user_group_member", params: { user: userId } },
      options,
    );
    return parseMembershipList(body, endpoint, { userId });
  }

  /**
   * Creates a group (`POST /api/user_group`, `all_access_group: "no"`). When MI refuses with 400 and a group of that
   * name exists (case-insensitive), that group is returned; otherwise the 400 is thrown (`mi.rejected`).
   */
  async createGroup(name: string, options?: MiCallOptions): Promise<MiGroup> {
    const operation = `creating MI group '${name}'`;
    try {
      const body = await this.#call(
        operation,
        { method: "POST", url: "/api/user_group", data: { name, all_access_group: "no", description: "" } },
        options,
      );
      return parseGroupObject(body, "POST /api/user_group");
    } catch (error) {
      if (!isRejection(error, 400)) throw error;
      const existing = (await this.listGroups(options)).find((group) => sameText(group.name, name));
      if (existing === undefined) throw error;
      this.#logger.debug(`MI group '${name}' already exists (id ${existing.id})`);
      return existing;
    }
  }

  /**
   * Creates a user with the body MI's own tests send (contract §2.1), a random 32-character password that is never
   * logged, `default_group_ind` from `addToDefaultGroup` and `in_group_id: ""`. When MI refuses with 400 and a user
   * with that username, else that email, exists (case-insensitive), that user is returned; otherwise the 400 is
   * thrown (`mi.rejected`, MI's message quoted).
   */
  async createUser(user: NewMiUser, options?: MiCallOptions): Promise<CreatedMiUser> {
    const operation = `creating MI user ${user.username}`;
    const password = randomPassword();
    this.#sentPasswords.push(password);
    const data = {
      username: user.username,
      first_name: user.firstName,
      last_name: user.lastName,
      email: user.email,
      password,
      type: user.type,
      enabled: "Y",
      copy_from_user_id: "",
      in_group_id: "",
      user_preference_template: "",
      default_group_ind: user.addToDefaultGroup ? "Y" : "N",
    };
    try {
      const body = await this.#call(operation, { method: "POST", url: "/api/user", data }, options);
      return { user: parseUserObject(body, "POST /api/user"), created: true };
    } catch (error) {
      if (!isRejection(error, 400)) throw error;
      // Only the same username is the same account (cli.md rule 4): a user found by email is somebody else.
      const existing = await this.findUserBy("username", user.username, options);
      if (existing === undefined || !sameText(existing.username, user.username)) throw error;
      this.#logger.debug(`MI user ${user.username} already exists (id ${existing.id})`);
      return { user: existing, created: false };
    } finally {
      const index = this.#sentPasswords.indexOf(password);
      if (index >= 0) this.#sentPasswords.splice(index, 1);
    }
  }

  /**
   * Changes the given fields (`PUT /api/user/id/<id>` with only those, under MI's names: `username`, `first_name`,
   * `last_name`, `email`, `type`, `enabled` "Y"/"N"). An empty patch sends nothing. A missing user is `mi.not_found`.
   */
  async updateUser(userId: string, patch: MiUserPatch, options?: MiCallOptions): Promise<void> {
    const data: Record<string, string> = {};
    if (patch.username !== undefined) data.username = patch.username;
    if (patch.firstName !== undefined) data.first_name = patch.firstName;
    if (patch.lastName !== undefined) data.last_name = patch.lastName;
    if (patch.email !== undefined) data.email = patch.email;
    if (patch.type !== undefined) data.type = patch.type;
    if (patch.enabled !== undefined) data.enabled = patch.enabled ? "Y" : "N";
    if (Object.keys(data).length === 0) return;
    await this.#call(`updating MI user ${userId}`, { method: "PUT", url: path("user", userId), data }, options);
  }

  /**
   * Writes custom attribute values and the trusted-server username through the UNVERIFIED guess in
   * `user-extras-wire.ts` (the one module to correct when a real MI says otherwise).
   */
  async setUserExtras(userId: string, extras: MiUserExtras, options?: MiCallOptions): Promise<void> {
    await this.#call(
      `writing custom attributes of MI user ${userId}`,
      { method: userExtrasWriteMethod, url: userExtrasWritePath(userId), data: encodeUserExtrasWrite(extras) },
      options,
    );
  }

  /**
   * Adds a membership (`POST /api/user_group_member {user, group}`). MI answers 400 for "already a member"; the row is
   * then read back (`GET /api/user_group_member?user=<id>`) and returned, or the 400 is thrown if it is not there.
   */
  async addMember(groupId: string, userId: string, options?: MiCallOptions): Promise<MiMembership> {
    const operation = `adding MI user ${userId} to MI group ${groupId}`;
    try {
      const body = await this.#call(
        operation,
        { method: "POST", url: "/api/user_group_member", data: { user: wireId(userId), group: wireId(groupId) } },
        options,
      );
      return parseCreatedMembership(body, "POST /api/user_group_member", { userId, groupId });
    } catch (error) {
      if (!isRejection(error, 400)) throw error;
      // The user's rows, not the group's: one user's few rows instead of a group that may hold thousands.
      const existing = (await this.listUserMemberships(userId, options)).find((row) => row.groupId === groupId);
      if (existing === undefined) throw error;
      this.#logger.debug(`MI user ${userId} was already in MI group ${groupId} (row ${existing.id})`);
      return existing;
    }
  }

  /** Deletes a membership row (`DELETE /api/user_group_member/id/<rowId>`); a row already gone (404) is success. */
  async removeMember(membership: MiMembership, options?: MiCallOptions): Promise<void> {
    try {
      await this.#call(
        `removing MI user ${membership.userId} from MI group ${membership.groupId}`,
        { method: "DELETE", url: path("user_group_member", membership.id) },
        options,
      );
    } catch (error) {
      if (error instanceof ServiceError && error.code === "mi.not_found") return;
      throw error;
    }
  }

  /** See `MiDirectory.findUserBy`. A lookup MI refuses (no such filter) falls back to the whole list once per call. */
  async findUserBy(field: "username" | "email", value: string, options?: MiCallOptions): Promise<MiUser | undefined> {
    if (value === "") return undefined;
    const matches = (u: MiUser): boolean => sameText(field === "username" ? u.username : u.email, value);
    try {
      return (await this.#lookupUsers(field, value, options)).find(matches);
    } catch (error) {
      if (!isLookupUnsupported(error)) throw error;
      this.#logger.debug("MI user lookup by filter failed; reading the whole user list");
      return (await this.listUsers(options)).find(matches);
    }
  }

  /** `GET /api/user?<field>=<value>`; the answer's wrapper is unverified and both forms are accepted. */
  async #lookupUsers(field: "username" | "email", value: string, options?: MiCallOptions): Promise<MiUser[]> {
    const body = await this.#call(
      `looking up MI user by ${field} ${value}`,
      { method: "GET", url: "/api/user", params: { [field]: value } },
      options,
    );
    return parseUserLookup(body, `GET /api/user?${field}=`);
  }

  /**
   * One MI request with a token. After a 412, or a 401 (we always had a token), the token is renewed once (shared by
   * concurrent callers) and the request retried once. Final failures become typed errors naming `operation`.
   */
  async #call(operation: string, request: AxiosRequestConfig, options?: MiCallOptions): Promise<unknown> {
    let credential = await this.#tokens.credential();
    let failure: MiFailure;
    try {
      return await this.#send(request, credential, options);
    } catch (error) {
      failure = this.#failureOf(error);
    }
    if (failure.code === "mi.session_expired" || failure.code === "mi.unauthorized") {
      credential = await this.#tokens.renew(credential, operation);
      try {
        return await this.#send(request, credential, options);
      } catch (error) {
        failure = this.#failureOf(error);
      }
    }
    throw toMiError(operation, failure, this.#errorContext);
  }

  async #send(request: AxiosRequestConfig, credential: MiCredential, options?: MiCallOptions): Promise<unknown> {
    return this.#slots(() => this.#sendNow(request, credential, options));
  }

  async #sendNow(request: AxiosRequestConfig, credential: MiCredential, options?: MiCallOptions): Promise<unknown> {
    const headers: Record<string, string> = { ...credential.headers };
    if (request.data !== undefined) headers["Content-Type"] = "application/json";
    const response = await this.#http.request({ ...request, headers, signal: options?.abortSignal });
    return response.data;
  }

  /** Classifies an HTTP failure; anything that is not one (a bug, a typed error) is rethrown as is. */
  #failureOf(error: unknown): MiFailure {
    if (error instanceof SyncError || !axios.isAxiosError(error)) throw error;
    return classifyMiFailure(error);
  }
}

function isRejection(error: unknown, status: number): error is ServiceError {
  return error instanceof ServiceError && error.code === "mi.rejected" && error.status === status;
}

/** A lookup by filter that MI refused or answered in an unexpected shape: the filter is unverified (contract §4 Q2). */
function isLookupUnsupported(error: unknown): boolean {
  return (
    error instanceof ServiceError &&
    (error.code === "mi.rejected" || error.code === "mi.not_found" || error.code === "mi.bad_response")
  );
}
