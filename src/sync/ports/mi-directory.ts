import type { MiGroup, MiMembership, MiUser, MiUserExtras, MiUserType } from "../model.js";

export interface NewMiUser {
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  type: MiUserType;
  /** true: MI puts the new user in its Default Group (`default_group_ind: "Y"`); false: in no group. */
  addToDefaultGroup: boolean;
}

/** What `createUser` gives back: the user, and whether this call created it. */
export interface CreatedMiUser {
  user: MiUser;
  created: boolean;
}

/** Fields of an MI user to change; absent fields are left as they are. */
export interface MiUserPatch {
  username?: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  type?: MiUserType;
  enabled?: boolean;
}

export interface MiCallOptions {
  abortSignal?: AbortSignal;
}

export interface MiListUsersOptions extends MiCallOptions {
  /** False: leave `extras` out of every user. Default true. */
  extras?: boolean;
}

/**
 * The Metric Insights side of the sync (MI REST API through axios). One production implementation: `MiRestDirectory`.
 * Tokens, token refresh (before expiry and on 412), and retries (429, 5xx, MI's deadlock message) are handled inside;
 * a thrown error means the client gave up. Reads return whole collections because MI's API has no paging; each is
 * read once per run.
 *
 * Writes are idempotent: `create…` that meets "already exists" resolves to the existing object, `addMember` of an
 * existing membership returns that membership once verified, `removeMember` of a row already gone succeeds.
 */
export interface MiDirectory {
  /** The MI username the API token acts as; undefined when unknown (a personal token without `--mi-user`). */
  readonly actingUsername: string | undefined;
  /** The MI id of that user, once `connect()` has found it; undefined before, or when the username is unknown. */
  readonly actingUserId: string | undefined;
  /**
   * How many requests this MI instance should see at once (reads and writes alike); callers bound their concurrency
   * by it. MI's own guidance is modest concurrency (contract §4 Q15), so the default is 4.
   */
  readonly maxConcurrency: number;

  /** Obtains a token now, so that bad credentials fail before anything is read. Throws AuthError. */
  connect(options?: MiCallOptions): Promise<void>;

  /**
   * Every MI user. `extras: false` leaves `extras` out of every user (for a run that manages no custom attribute and
   * no trusted-server username: it would never read them, and a large MI has one object per user).
   */
  listUsers(options?: MiListUsersOptions): Promise<MiUser[]>;
  /**
   * The user whose username (or email) is `value`, case-insensitively (`GET /api/user?username=` / `?email=`, or the
   * whole list where MI offers no lookup); undefined when MI has none. With several (legacy data), the first listed.
   */
  findUserBy(field: "username" | "email", value: string, options?: MiCallOptions): Promise<MiUser | undefined>;
  /** One user (`GET /api/user/id/<id>`); undefined when MI no longer has it (404). The live path's fast path uses it. */
  getUser(userId: string, options?: MiCallOptions): Promise<MiUser | undefined>;
  listGroups(options?: MiCallOptions): Promise<MiGroup[]>;
  /** Members of one group (`GET /api/user_group_member?group=<id>`). */
  listGroupMembers(groupId: string, options?: MiCallOptions): Promise<MiMembership[]>;
  /** Groups one user is in (`GET /api/user_group_member?user=<id>`); the live path's user changes use it. */
  listUserMemberships(userId: string, options?: MiCallOptions): Promise<MiMembership[]>;

  /** Creates a group; if one with that name exists (case-insensitive) it is returned instead. */
  createGroup(name: string, options?: MiCallOptions): Promise<MiGroup>;
  /**
   * Creates a user. If MI already has a user with that username (case-insensitive: an earlier attempt of the same
   * create that MI carried out), that user is returned with `created: false` instead (its Default Group membership is
   * then not known). MI refusing for any other reason, a clash of emails included, is an error: another user's
   * account is never taken for this one.
   */
  createUser(user: NewMiUser, options?: MiCallOptions): Promise<CreatedMiUser>;
  updateUser(userId: string, patch: MiUserPatch, options?: MiCallOptions): Promise<void>;
  /**
   * Writes custom attribute values and the trusted-server username. UNVERIFIED against a real MI: no public MI
   * document names the fields; this is the one method to correct when a real instance says otherwise.
   */
  setUserExtras(userId: string, extras: MiUserExtras, options?: MiCallOptions): Promise<void>;
  /** Adds a user to a group; MI's "already a member" answer returns the existing row once verified. */
  addMember(groupId: string, userId: string, options?: MiCallOptions): Promise<MiMembership>;
  /** Removes a membership row; a row already gone is success. */
  removeMember(membership: MiMembership, options?: MiCallOptions): Promise<void>;
}
