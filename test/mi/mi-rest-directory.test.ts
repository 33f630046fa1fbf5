/**
 * `MiRestDirectory` over real HTTP against the MI simulator. Tests assert the resulting state in the sim and the typed
 * errors, not the sequence of calls; request counts are checked only where they are the contract (one shared token
 * refresh, no retry storms).
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { afterEach, beforeEach, describe, test } from "node:test";
import { inspect } from "node:util";
import { type MiSim, type MiSimOptions, startMiSim } from "../../sim/mi/index.js";
import { AuthError, ServiceError } from "../../src/errors/sync-error.js";
import { type MiAuthOptions, MiRestDirectory, type MiRestDirectoryOptions } from "../../src/mi/mi-rest-directory.js";

const appKey = "sim-app-key-Zq9-very-secret";
const appAuth: MiAuthOptions = {
  kind: "application",
  applicationId: "sim-app",
  applicationKey: appKey,
  username: "admin",
};

/** Every error any test saw: checked at the end for secrets. */
const seenErrors: unknown[] = [];
/** Every secret any test used: application keys, tokens, passwords. */
const secrets = new Set<string>([appKey]);

async function rejectsWith<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (error) {
    seenErrors.push(error);
    assert.ok(error instanceof type, `expected ${type.name}, got ${inspect(error)}`);
    return error;
  }
  assert.fail(`expected ${type.name}, but it resolved`);
}

interface Harness {
  sim: MiSim;
  sleeps: number[];
  client(overrides?: Partial<MiRestDirectoryOptions>): MiRestDirectory;
}

async function harness(simOptions: MiSimOptions = {}): Promise<Harness> {
  const sim = await startMiSim({
    applications: [{ applicationId: "sim-app", applicationKey: appKey, canManageUsers: true }],
    ...simOptions,
  });
  const sleeps: number[] = [];
  return {
    sim,
    sleeps,
    client: (overrides = {}) =>
      new MiRestDirectory({
        baseUrl: sim.url,
        auth: appAuth,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        ...overrides,
      }),
  };
}

describe("MiRestDirectory: reads and writes", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(() => h.sim.close());

  test("list/create/update/extras round trip → sim holds exactly what was written", async () => {
    const mi = h.client();
    await mi.connect();
    const group = await mi.createGroup("Sales");
    const { user, created } = await mi.createUser({
      username: "jdoe@contoso.com",
      firstName: "Jane",
      lastName: "Doe",
      email: "jdoe@contoso.com",
      type: "regular",
      addToDefaultGroup: false,
    });
    assert.equal(created, true);
    await mi.addMember(group.id, user.id);
    await mi.updateUser(user.id, { firstName: "Janet", type: "power" });
    await mi.setUserExtras(user.id, {
      customAttributes: { costCenter: "42", region: null },
      trustedServerUsername: "jdoe",
    });

    const listed = (await mi.listUsers()).find((u) => u.id === user.id);
    assert.deepEqual(listed, {
      id: user.id,
      username: "jdoe@contoso.com",
      firstName: "Janet",
      lastName: "Doe",
      email: "jdoe@contoso.com",
      type: "power",
      enabled: true,
      extras: { customAttributes: { costCenter: "42" }, trustedServerUsername: "jdoe" },
    });
    const withoutExtras = (await mi.listUsers({ extras: false })).find((u) => u.id === user.id);
    assert.equal(withoutExtras?.username, "jdoe@contoso.com");
    assert.equal(withoutExtras !== undefined && "extras" in withoutExtras, false);
    assert.deepEqual(
      (await mi.listGroups()).map((g) => g.name),
      ["Default Group", "Sales"],
    );
    assert.deepEqual(await mi.listGroupMembers(group.id), [
      { id: h.sim.state.membership(user.id, group.id)!.id, userId: user.id, groupId: group.id },
    ]);
    assert.deepEqual(h.sim.state.membersOfGroup("Sales"), ["jdoe@contoso.com"]);
    assert.deepEqual(h.sim.state.membersOfGroup("Default Group"), ["admin"]);
    assert.deepEqual(h.sim.state.userByUsername("jdoe@contoso.com")?.customAttributes, { costCenter: "42" });

    await mi.updateUser(user.id, { enabled: false });
    const stored = h.sim.state.userById(user.id)!;
    assert.deepEqual([stored.enabled, stored.firstName, stored.type], [false, "Janet", "power"]);
  });

  test("createUser with addToDefaultGroup → the user is in MI's Default Group", async () => {
    const mi = h.client();
    await mi.createUser({
      username: "amy",
      firstName: "",
      lastName: "",
      email: "amy@contoso.com",
      type: "regular",
      addToDefaultGroup: true,
    });
    assert.deepEqual(h.sim.state.membersOfGroup("Default Group"), ["admin", "amy"]);
  });

  test("createUser of an existing username (other case) → that user, created: false; of another's email → refused (#9)", async () => {
    const existing = h.sim.state.addUser({ username: "Bob", email: "bob@contoso.com", firstName: "Bob" });
    const mi = h.client();
    const byName = await mi.createUser({
      username: "bob",
      firstName: "B",
      lastName: "",
      email: "robert@contoso.com",
      type: "regular",
      addToDefaultGroup: true,
    });
    assert.deepEqual([byName.user.id, byName.created], [existing.id, false]);
    // Another person's account is never taken for this one: the clash is an error the run reports.
    await assert.rejects(
      mi.createUser({
        username: "robert",
        firstName: "",
        lastName: "",
        email: "BOB@contoso.com",
        type: "regular",
        addToDefaultGroup: true,
      }),
      (error: unknown) => error instanceof Error && /robert/.test(error.message),
    );
    assert.equal(h.sim.state.users().length, 2);
  });

  test("createGroup of an existing name (other case) → resolves to the existing group", async () => {
    const existing = h.sim.state.addGroup("Finance");
    const group = await h.client().createGroup("FINANCE");
    assert.deepEqual(group, { id: existing.id, name: "Finance" });
    assert.equal(h.sim.state.groups().length, 2);
  });

  test("addMember of an existing membership → MI's 400 is verified and the existing row returned", async () => {
    const user = h.sim.state.addUser({ username: "carl" });
    const group = h.sim.state.addGroup("Ops");
    const row = h.sim.state.addMembership(user.id, group.id);
    const membership = await h.client().addMember(group.id, user.id);
    assert.deepEqual(membership, { id: row.id, userId: user.id, groupId: group.id });
    assert.equal(h.sim.requests.byRoute["POST /api/user_group_member"], 1);
    // Verified through the user's rows (a few), not the group's (maybe thousands).
    assert.equal(h.sim.requests.byRoute["GET /api/user_group_member"], 1);
  });

  test("one adapter never has more than maxConcurrency requests at MI, however many callers share it", async () => {
    const capped = await harness({ maxConcurrentRequests: 2, latencyMs: 20 });
    try {
      const mi = capped.client({ maxConcurrency: 2 });
      const users = Array.from({ length: 6 }, (_, i) => capped.sim.state.addUser({ username: `cap${i}` }));
      // Three callers, each as concurrent as the adapter allows on its own: six requests at once without a shared limit.
      await Promise.all([0, 1, 2].map(() => Promise.all(users.map((u) => mi.getUser(u.id)))));
      assert.equal(capped.sim.requests.entries.filter((e) => e.status === 503).length, 0, "MI never refused one");
      assert.equal(capped.sim.requests.byRoute["GET /api/user/id/:id"], 18);
    } finally {
      await capped.sim.close();
    }
  });

  test("getUser: the user by id, undefined once MI no longer has it; connect() learns the acting user's id", async () => {
    const user = h.sim.state.addUser({ username: "finn", email: "finn@example.com" });
    const mi = h.client();
    assert.equal(mi.actingUserId, undefined);
    await mi.connect();
    const admin = h.sim.state.users().find((u) => u.username === "admin");
    assert.equal(mi.actingUserId, admin?.id);
    const read = await mi.getUser(user.id);
    assert.equal(read?.username, "finn");
    assert.equal(read?.email, "finn@example.com");
    assert.equal(read?.enabled, true);
    h.sim.state.removeUser(user.id);
    assert.equal(await mi.getUser(user.id), undefined);
  });

  test("addMember refused for another reason (unknown user) → ServiceError mi.rejected naming the ids", async () => {
    const group = h.sim.state.addGroup("Ops");
    const error = await rejectsWith(h.client().addMember(group.id, "999"), ServiceError);
    assert.equal(error.code, "mi.rejected");
    assert.equal(error.status, 400);
    assert.match(error.message, /adding MI user 999 to MI group \d+: MI answered 400 'User not found'/);
  });

  test("removeMember of a row already gone → success; of a present row → row deleted", async () => {
    const user = h.sim.state.addUser({ username: "dora" });
    const group = h.sim.state.addGroup("Ops");
    const row = h.sim.state.addMembership(user.id, group.id);
    const mi = h.client();
    await mi.removeMember({ id: row.id, userId: user.id, groupId: group.id });
    assert.deepEqual(h.sim.state.membersOfGroup("Ops"), []);
    await mi.removeMember({ id: row.id, userId: user.id, groupId: group.id });
  });

  test("createUser refused (bad email) → ServiceError mi.rejected quoting MI's message", async () => {
    const error = await rejectsWith(
      h.client().createUser({
        username: "eve",
        firstName: "",
        lastName: "",
        email: "not-an-email",
        type: "regular",
        addToDefaultGroup: false,
      }),
      ServiceError,
    );
    assert.equal(error.code, "mi.rejected");
    assert.equal(error.kind, "protocol");
    assert.match(error.message, /^creating MI user eve: MI answered 400 'Invalid email address'/);
  });

  test("a body that is not MI's shape → ServiceError mi.bad_response naming the endpoint", async () => {
    h.sim.faults.inject({ method: "GET", match: /^\/api\/user_group$/, status: 200, body: { groups: [] } });
    const error = await rejectsWith(h.client().listGroups(), ServiceError);
    assert.equal(error.code, "mi.bad_response");
    assert.match(error.message, /GET \/api\/user_group/);
  });
});

describe("MiRestDirectory: tokens", () => {
  test("412 mid-run → one token refresh shared by concurrent calls; final state exact", async () => {
    const h = await harness({ latencyMs: 5 });
    try {
      const mi = h.client();
      await mi.connect();
      const group = h.sim.state.addGroup("Wave");
      const users = Array.from({ length: 8 }, (_, i) => h.sim.state.addUser({ username: `u${i}` }));
      h.sim.faults.expireTokens();
      await Promise.all(users.map((u) => mi.addMember(group.id, u.id)));
      assert.deepEqual(
        h.sim.state.membersOfGroup("Wave"),
        users.map((u) => u.username),
      );
      assert.equal(h.sim.requests.byRoute["POST /api/get_token"], 2, "the initial token and exactly one refresh");
      assert.equal(h.sim.requests.entries.filter((e) => e.status === 412).length, 8);
    } finally {
      await h.sim.close();
    }
  });

  test("a token older than tokenRefreshAgeMs is renewed with GET /api/get_token before the next call, no 412", async () => {
    let nowMs = Date.parse("2026-03-01T09:00:00Z");
    const now = (): Date => new Date(nowMs);
    const h = await harness({ now });
    try {
      const mi = h.client({ now });
      await mi.connect();
      nowMs += 11 * 60_000;
      await mi.listGroups();
      assert.equal(h.sim.requests.byRoute["GET /api/get_token"], 1);
      assert.equal(h.sim.requests.byRoute["POST /api/get_token"], 1);
      assert.equal(h.sim.requests.entries.filter((e) => e.status === 412).length, 0);
    } finally {
      await h.sim.close();
    }
  });

  test("renewal by age of a token MI already expired → falls back to POST /api/get_token", async () => {
    let nowMs = Date.parse("2026-03-01T09:00:00Z");
    const now = (): Date => new Date(nowMs);
    const h = await harness({ now, tokenLifetimeSeconds: 300 });
    try {
      const mi = h.client({ now });
      await mi.connect();
      nowMs += 11 * 60_000;
      await mi.listGroups();
      assert.equal(h.sim.requests.byRoute["POST /api/get_token"], 2);
      assert.equal(h.sim.requests.byRoute["GET /api/user_group"], 1);
    } finally {
      await h.sim.close();
    }
  });

  test("a personal Bearer token is used as is; MI refusing it → AuthError mi.auth_refused", async () => {
    const pat = "pat-admin-Xy7-secret";
    secrets.add(pat);
    const h = await harness({ personalTokens: [{ token: pat, username: "admin" }] });
    try {
      const good = h.client({ auth: { kind: "token", token: pat, username: "admin" } });
      await good.connect();
      assert.equal((await good.createGroup("ByPat")).name, "ByPat");
      assert.equal(h.sim.requests.tokenRequests, 0);
      const bad = h.client({ auth: { kind: "token", token: "pat-unknown-secret" } });
      secrets.add("pat-unknown-secret");
      const error = await rejectsWith(bad.listGroups(), AuthError);
      assert.equal(error.code, "mi.auth_refused");
    } finally {
      await h.sim.close();
    }
  });
});

describe("MiRestDirectory: retries", () => {
  test("429 with a fractional Retry-After → waits that long, then succeeds", async () => {
    const h = await harness();
    try {
      h.sim.faults.inject({
        method: "GET",
        match: /^\/api\/user_group$/,
        status: 429,
        headers: { "Retry-After": "0.25" },
        body: { message: "Too Many Requests" },
      });
      const groups = await h.client().listGroups();
      assert.deepEqual(
        groups.map((g) => g.name),
        ["Default Group"],
      );
      assert.deepEqual(h.sleeps, [250]);
    } finally {
      await h.sim.close();
    }
  });

  test("MySQL deadlock on POST /api/user ×2 → retried, then one user created", async () => {
    const h = await harness();
    try {
      h.sim.faults.deadlock(2);
      const { user } = await h.client().createUser({
        username: "fay",
        firstName: "Fay",
        lastName: "",
        email: "fay@contoso.com",
        type: "regular",
        addToDefaultGroup: false,
      });
      assert.equal(h.sim.state.userByUsername("fay")?.id, user.id);
      assert.equal(h.sim.requests.byRoute["POST /api/user"], 3);
      assert.equal(h.sleeps.length, 2);
    } finally {
      await h.sim.close();
    }
  });

  test("5xx on every attempt → ServiceError mi.unavailable after maxRetries, kind unavailable", async () => {
    const h = await harness();
    try {
      h.sim.faults.inject({ method: "GET", match: "/api/user_group", status: 503, times: Number.POSITIVE_INFINITY });
      const error = await rejectsWith(h.client({ maxRetries: 2 }).listGroups(), ServiceError);
      assert.equal(error.code, "mi.unavailable");
      assert.equal(error.kind, "unavailable");
      assert.equal(h.sim.requests.byRoute["GET /api/user_group"], 3);
      assert.match(error.message, /listing MI groups: MI answered 503 'Injected fault' after 3 attempts/);
    } finally {
      await h.sim.close();
    }
  });

  test("unreachable port → ServiceError mi.unreachable after maxRetries (no retrying for ever)", async () => {
    const port = await freePort();
    const sleeps: number[] = [];
    const mi = new MiRestDirectory({
      baseUrl: `http://127.0.0.1:${port}`,
      auth: appAuth,
      maxRetries: 3,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    const error = await rejectsWith(mi.connect(), ServiceError);
    assert.equal(error.code, "mi.unreachable");
    assert.equal(error.kind, "unavailable");
    assert.equal(sleeps.length, 3);
    assert.match(error.message, /could not be reached \(ECONNREFUSED\) after 4 attempts/);
  });
});

describe("MiRestDirectory: authentication and rights", () => {
  test("bad application key → AuthError mi.auth_refused at connect, naming the settings", async () => {
    const h = await harness();
    try {
      const wrongKey = "wrong-key-Pp3-secret";
      secrets.add(wrongKey);
      const mi = h.client({ auth: { ...appAuth, applicationKey: wrongKey } });
      const error = await rejectsWith(mi.connect(), AuthError);
      assert.equal(error.code, "mi.auth_refused");
      assert.match(error.message, /--mi-application-key/);
      assert.equal(h.sim.requests.tokenRequests, 1, "a refused token is not retried");
    } finally {
      await h.sim.close();
    }
  });

  test("unknown MI user at get_token → AuthError mi.auth_refused", async () => {
    const h = await harness();
    try {
      const error = await rejectsWith(h.client({ auth: { ...appAuth, username: "ghost" } }).connect(), AuthError);
      assert.equal(error.code, "mi.auth_refused");
    } finally {
      await h.sim.close();
    }
  });

  test("application without user management → AuthError mi.no_user_management at connect", async () => {
    const h = await harness({
      applications: [{ applicationId: "sim-app", applicationKey: appKey, canManageUsers: false }],
    });
    try {
      const error = await rejectsWith(h.client().connect(), AuthError);
      assert.equal(error.code, "mi.no_user_management");
      assert.match(error.message, /Application Can Manage Users/);
      assert.equal(h.sim.requests.writes, 0);
    } finally {
      await h.sim.close();
    }
  });

  test("token user who is not an administrator → AuthError mi.not_admin at connect", async () => {
    const h = await harness();
    try {
      h.sim.state.addUser({ username: "viewer", type: "regular" });
      const error = await rejectsWith(h.client({ auth: { ...appAuth, username: "viewer" } }).connect(), AuthError);
      assert.equal(error.code, "mi.not_admin");
      assert.match(error.message, /'viewer'/);
    } finally {
      await h.sim.close();
    }
  });

  test("personal token of a non-administrator, username unknown → the first write fails AuthError mi.not_admin", async () => {
    const pat = "pat-viewer-Qq1-secret";
    secrets.add(pat);
    const h = await harness({ personalTokens: [{ token: pat, username: "viewer" }] });
    try {
      h.sim.state.addUser({ username: "viewer", type: "power" });
      const mi = h.client({ auth: { kind: "token", token: pat } });
      await mi.connect();
      const error = await rejectsWith(mi.createGroup("Nope"), AuthError);
      assert.equal(error.code, "mi.not_admin");
      assert.equal(h.sim.state.groupByName("Nope"), undefined);
    } finally {
      await h.sim.close();
    }
  });
});

describe("MiRestDirectory: secrets", () => {
  test("a server echoing the request (key, token, password) → messages redact them", async () => {
    const h = await harness();
    try {
      const echo = (request: { headers: Record<string, unknown>; rawBody: string }): unknown => ({
        status: "ERROR",
        message: `got ${request.rawBody} with token ${String(request.headers.token)}`,
      });
      const mi = h.client();
      await mi.connect();
      // Capture the live token and the password from what the sim receives.
      const captured: string[] = [];
      h.sim.faults.inject({
        method: "POST",
        match: /^\/api\/user$/,
        status: 400,
        body: (request) => {
          const sent = JSON.parse(request.rawBody) as { password: string };
          captured.push(sent.password, String(request.headers.token));
          return echo(request);
        },
      });
      const error = await rejectsWith(
        mi.createUser({
          username: "gus",
          firstName: "",
          lastName: "",
          email: "gus@contoso.com",
          type: "regular",
          addToDefaultGroup: false,
        }),
        ServiceError,
      );
      for (const secret of captured) secrets.add(secret);
      assert.equal(captured.length, 2);
      assert.match(error.message, /\[redacted\]/);

      h.sim.faults.inject({ method: "POST", match: "get_token", status: 401, body: echo });
      h.sim.faults.expireTokens();
      await rejectsWith(mi.listGroups(), AuthError);
    } finally {
      await h.sim.close();
    }
  });
});

describe("MiRestDirectory: every error above", () => {
  test("no error message (nor its inspection) holds the application key, a token or a password", () => {
    assert.ok(seenErrors.length >= 12, `only ${seenErrors.length} errors were collected`);
    for (const error of seenErrors) {
      if (process.env.MI_TEST_PRINT_ERRORS) console.log((error as Error).message);
      const text = `${(error as Error).message}\n${inspect(error, { depth: 5 })}`;
      for (const secret of secrets) {
        // Any 10-character piece of a secret counts: a truncated secret is still a leak.
        for (let i = 0; i + 10 <= secret.length; i += 1) {
          assert.ok(!text.includes(secret.slice(i, i + 10)), `an error shows part of a secret: ${text}`);
        }
      }
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
