/**
 * The MI simulator answers as the contract says MI does (`/work/shared/contracts/metric-insights-api.md`): status
 * codes, body shapes, string ids, "Y"/"N" flags. Plain `fetch`, no client code, so the sim is checked on its own.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type MiSim, mysqlDeadlockMessage, startMiSim } from "../../sim/mi/index.js";

interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

async function call(
  sim: MiSim,
  method: string,
  path: string,
  options: { token?: string; bearer?: string; json?: unknown; form?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.token !== undefined) headers.Token = options.token;
  if (options.bearer !== undefined) headers.Authorization = `Bearer ${options.bearer}`;
  let body: string | undefined;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.form !== undefined) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(options.form).toString();
  }
  const response = await fetch(`${sim.url}${path}`, { method, headers, body });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

async function tokenFor(sim: MiSim, user = "admin", app = { id: "sim-app", key: "sim-app-key" }): Promise<string> {
  const answer = await call(sim, "POST", "/api/get_token", {
    json: { application_id: app.id, application_key: app.key, user },
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return (answer.body as { token: string }).token;
}

const newUser = (username: string, extra: Record<string, string> = {}): Record<string, string> => ({
  username,
  first_name: "",
  last_name: "",
  email: `${username}@contoso.com`,
  password: "Secret-123",
  type: "regular",
  enabled: "Y",
  copy_from_user_id: "",
  in_group_id: "",
  user_preference_template: "",
  default_group_ind: "N",
  ...extra,
});

describe("MI sim: get_token", () => {
  let sim: MiSim;
  before(async () => {
    sim = await startMiSim({ personalTokens: [{ token: "pat-admin", username: "admin" }] });
  });
  after(() => sim.close());

  test("POST /api/get_token with JSON → 200 {token, expires 'YYYY-MM-DD HH:MM:SS'}", async () => {
    const answer = await call(sim, "POST", "/api/get_token", {
      json: { application_id: "sim-app", application_key: "sim-app-key", user: "admin" },
    });
    assert.equal(answer.status, 200);
    const body = answer.body as { token: string; expires: string };
    assert.match(body.token, /^[A-Za-z0-9]{50}$/);
    assert.match(body.expires, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });

  test("POST /api/get_token/ (trailing slash) with a form body → 200", async () => {
    const answer = await call(sim, "POST", "/api/get_token/", {
      form: { application_id: "sim-app", application_key: "sim-app-key", user: "admin" },
    });
    assert.equal(answer.status, 200);
    assert.equal(typeof (answer.body as { token: unknown }).token, "string");
  });

  test("wrong application key → 401 {message: Unauthorized}", async () => {
    const answer = await call(sim, "POST", "/api/get_token", {
      json: { application_id: "sim-app", application_key: "nope", user: "admin" },
    });
    assert.deepEqual([answer.status, answer.body], [401, { message: "Unauthorized" }]);
  });

  test("unknown user → 400 {status: ERROR, message}", async () => {
    const answer = await call(sim, "POST", "/api/get_token", {
      json: { application_id: "sim-app", application_key: "sim-app-key", user: "ghost" },
    });
    assert.equal(answer.status, 400);
    assert.equal((answer.body as { status: string }).status, "ERROR");
  });

  test("GET /api/get_token without auth → 200 []; with a valid Token → 200 a new token", async () => {
    const anonymous = await call(sim, "GET", "/api/get_token");
    assert.deepEqual([anonymous.status, anonymous.body], [200, []]);
    const token = await tokenFor(sim);
    const renewed = await call(sim, "GET", "/api/get_token", { token });
    assert.equal(renewed.status, 200);
    const next = (renewed.body as { token: string }).token;
    assert.notEqual(next, token);
    assert.equal((await call(sim, "GET", "/api/user_group", { token: next })).status, 200);
  });

  test("no Token → 401 {message: Unauthorized}; unknown token → 412 Session expired", async () => {
    assert.deepEqual(await call(sim, "GET", "/api/user").then((a) => [a.status, a.body]), [
      401,
      { message: "Unauthorized" },
    ]);
    assert.deepEqual(await call(sim, "GET", "/api/user", { token: "bogus" }).then((a) => [a.status, a.body]), [
      412,
      { status: "ERROR", message: "Session expired" },
    ]);
  });

  test("faults.expireTokens(): every issued token answers 412; a new token works", async () => {
    const token = await tokenFor(sim);
    sim.faults.expireTokens();
    assert.equal((await call(sim, "GET", "/api/user", { token })).status, 412);
    assert.equal((await call(sim, "GET", "/api/user", { token: await tokenFor(sim) })).status, 200);
  });

  test("a token past tokenLifetimeSeconds answers 412", async () => {
    let nowMs = Date.parse("2026-01-01T00:00:00Z");
    const clocked = await startMiSim({ tokenLifetimeSeconds: 60, now: () => new Date(nowMs) });
    try {
      const token = await tokenFor(clocked);
      assert.equal((await call(clocked, "GET", "/api/user", { token })).status, 200);
      nowMs += 61_000;
      assert.equal((await call(clocked, "GET", "/api/user", { token })).status, 412);
    } finally {
      await clocked.close();
    }
  });

  test("Authorization: Bearer <personal token> acts as its user", async () => {
    const answer = await call(sim, "POST", "/api/user_group", { bearer: "pat-admin", json: { name: "Via PAT" } });
    assert.equal(answer.status, 201);
    assert.equal((await call(sim, "GET", "/api/user", { bearer: "unknown" })).status, 412);
  });
});

describe("MI sim: user", () => {
  let sim: MiSim;
  let token: string;
  before(async () => {
    sim = await startMiSim();
    token = await tokenFor(sim);
  });
  after(() => sim.close());

  test("GET /api/user → {users: [...]} with string ids and Y/N flags; seeded admin", async () => {
    const answer = await call(sim, "GET", "/api/user", { token });
    assert.equal(answer.status, 200);
    const [admin] = (answer.body as { users: Record<string, unknown>[] }).users;
    assert.deepEqual(
      { id: admin?.id, username: admin?.username, type: admin?.type, enabled: admin?.enabled, ldap: admin?.ldap },
      { id: "1", username: "admin", type: "administrator", enabled: "Y", ldap: "N" },
    );
  });

  test("POST /api/user → 201 {user}; default_group_ind N → in no group", async () => {
    const answer = await call(sim, "POST", "/api/user", { token, json: newUser("alice") });
    assert.equal(answer.status, 201);
    const user = (answer.body as { user: Record<string, unknown> }).user;
    assert.equal(typeof user.id, "string");
    assert.deepEqual([user.username, user.email, user.enabled], ["alice", "alice@contoso.com", "Y"]);
    assert.deepEqual(
      sim.state.memberships().filter((m) => m.userId === user.id),
      [],
    );
  });

  test("default_group_ind Y → member of the Default Group; in_group_id → that group instead", async () => {
    await call(sim, "POST", "/api/user", { token, json: newUser("bob", { default_group_ind: "Y" }) });
    assert.ok(sim.state.membersOfGroup("Default Group").includes("bob"));
    const group = sim.state.addGroup("Finance");
    await call(sim, "POST", "/api/user", {
      token,
      json: newUser("carol", { default_group_ind: "Y", in_group_id: group.id }),
    });
    assert.deepEqual(sim.state.membersOfGroup("Finance"), ["carol"]);
    assert.ok(!sim.state.membersOfGroup("Default Group").includes("carol"));
  });

  test("duplicate username or email (case-insensitive) → 400 {status: ERROR, message}", async () => {
    const byName = await call(sim, "POST", "/api/user", { token, json: newUser("ALICE", { email: "other@x.com" }) });
    assert.deepEqual([byName.status, byName.body], [400, { status: "ERROR", message: "Username already exists" }]);
    const byEmail = await call(sim, "POST", "/api/user", {
      token,
      json: newUser("alice2", { email: "Alice@Contoso.com" }),
    });
    assert.deepEqual([byEmail.status, byEmail.body], [400, { status: "ERROR", message: "Email already exists" }]);
  });

  test("missing required field, bad type, or a first name over 100 characters → 400", async () => {
    const { password: _omitted, ...noPassword } = newUser("dave");
    assert.equal((await call(sim, "POST", "/api/user", { token, json: noPassword })).status, 400);
    assert.equal(
      (await call(sim, "POST", "/api/user", { token, json: newUser("dave", { type: "guru" }) })).status,
      400,
    );
    const long = newUser("dave", { first_name: "x".repeat(101) });
    assert.equal((await call(sim, "POST", "/api/user", { token, json: long })).status, 400);
    assert.equal(sim.state.userByUsername("dave"), undefined);
  });

  test("GET ?username= / ?email= filter case-insensitively; GET /id/<id> → {user}; unknown id → 404", async () => {
    const byName = await call(sim, "GET", "/api/user?username=ALICE", { token });
    assert.deepEqual(
      (byName.body as { users: { username: string }[] }).users.map((u) => u.username),
      ["alice"],
    );
    const byEmail = await call(sim, "GET", "/api/user?email=BOB%40contoso.com", { token });
    assert.deepEqual(
      (byEmail.body as { users: { username: string }[] }).users.map((u) => u.username),
      ["bob"],
    );
    const one = await call(sim, "GET", "/api/user/id/1", { token });
    assert.equal((one.body as { user: { username: string } }).user.username, "admin");
    assert.equal((await call(sim, "GET", "/api/user/id/999", { token })).status, 404);
  });

  test("PUT /api/user/id/<id> is a partial update → 200 {user}; DELETE → 200, then 404", async () => {
    const id = sim.state.userByUsername("alice")!.id;
    const put = await call(sim, "PUT", `/api/user/id/${id}`, { token, json: { enabled: "N", last_name: "Liddell" } });
    assert.equal(put.status, 200);
    const user = (put.body as { user: Record<string, unknown> }).user;
    assert.deepEqual([user.enabled, user.last_name, user.email], ["N", "Liddell", "alice@contoso.com"]);
    assert.equal((await call(sim, "DELETE", `/api/user/id/${id}`, { token })).status, 200);
    assert.equal((await call(sim, "DELETE", `/api/user/id/${id}`, { token })).status, 404);
  });

  test("wrong verb/URL combination → 405 JSON without Allow; unknown item → 404", async () => {
    const answer = await call(sim, "POST", "/api/user/id/1", { token, json: {} });
    assert.equal(answer.status, 405);
    assert.equal(answer.headers.get("allow"), null);
    assert.match(answer.headers.get("content-type") ?? "", /application\/json/);
    assert.equal((await call(sim, "PUT", "/api/user", { token, json: {} })).status, 405);
    assert.equal((await call(sim, "GET", "/api/nothing_here", { token })).status, 404);
  });
});

describe("MI sim: user_group and user_group_member", () => {
  let sim: MiSim;
  let token: string;
  before(async () => {
    sim = await startMiSim();
    token = await tokenFor(sim);
  });
  after(() => sim.close());

  test("GET /api/user_group → {user_groups}: seeded Default Group id '1' with Y/N and link fields", async () => {
    const answer = await call(sim, "GET", "/api/user_group", { token });
    assert.deepEqual((answer.body as { user_groups: unknown[] }).user_groups, [
      {
        id: "1",
        name: "Default Group",
        description: "Default Group - privileges accessible to all users",
        all_access_group: "N",
        ldap_organizational_unit: null,
        external_group_id: null,
      },
    ]);
  });

  test('POST /api/user_group accepts all_access_group "yes"/"no", returns "Y"/"N" → 201; duplicate name → 400', async () => {
    const yes = await call(sim, "POST", "/api/user_group", { token, json: { name: "Sales", all_access_group: "yes" } });
    assert.equal(yes.status, 201);
    assert.equal((yes.body as { user_group: { all_access_group: string } }).user_group.all_access_group, "Y");
    const no = await call(sim, "POST", "/api/user_group", { token, json: { name: "Ops", all_access_group: "no" } });
    assert.equal((no.body as { user_group: { all_access_group: string } }).user_group.all_access_group, "N");
    const dup = await call(sim, "POST", "/api/user_group", { token, json: { name: "SALES" } });
    assert.equal(dup.status, 400);
    assert.equal((dup.body as { status: string }).status, "ERROR");
  });

  test("PUT and DELETE /api/user_group/id/<id> → 200; DELETE again → 404", async () => {
    const id = sim.state.groupByName("Ops")!.id;
    const put = await call(sim, "PUT", `/api/user_group/id/${id}`, { token, json: { description: "run" } });
    assert.equal(put.status, 200);
    assert.equal(sim.state.groupById(id)?.description, "run");
    assert.equal((await call(sim, "DELETE", `/api/user_group/id/${id}`, { token })).status, 200);
    assert.equal((await call(sim, "DELETE", `/api/user_group/id/${id}`, { token })).status, 404);
  });

  test("POST /api/user_group_member {user, group} (numbers) → 201; again → 400; GET ?group= / ?user=", async () => {
    const user = sim.state.addUser({ username: "erin" });
    const group = sim.state.groupByName("Sales")!;
    const created = await call(sim, "POST", "/api/user_group_member", {
      token,
      json: { user: Number(user.id), group: Number(group.id) },
    });
    assert.equal(created.status, 201);
    const row = (created.body as { user_group_member: { id: string; user: string; group: string } }).user_group_member;
    assert.deepEqual([typeof row.id, row.user, row.group], ["string", user.id, group.id]);
    const again = await call(sim, "POST", "/api/user_group_member", {
      token,
      json: { user: user.id, group: group.id },
    });
    assert.equal(again.status, 400);
    const byGroup = await call(sim, "GET", `/api/user_group_member?group=${group.id}`, { token });
    assert.deepEqual(byGroup.body, { user_group_members: [{ id: row.id, user: user.id, group: group.id }] });
    const byUser = await call(sim, "GET", `/api/user_group_member?user=${user.id}`, { token });
    assert.deepEqual(byUser.body, { user_group_members: [{ id: row.id, user: user.id, group: group.id }] });
    assert.equal((await call(sim, "DELETE", `/api/user_group_member/id/${row.id}`, { token })).status, 200);
    assert.equal((await call(sim, "DELETE", `/api/user_group_member/id/${row.id}`, { token })).status, 404);
    assert.deepEqual(sim.state.membersOfGroup("Sales"), []);
  });

  test("user_group_member has no PUT and no DELETE by filter → 405", async () => {
    assert.equal((await call(sim, "PUT", "/api/user_group_member/id/1", { token, json: {} })).status, 405);
    assert.equal((await call(sim, "DELETE", "/api/user_group_member?group=1", { token })).status, 405);
  });
});

describe("MI sim: permissions", () => {
  test("application without user management → 401 on /api/user (reads too) and on group writes; group reads work", async () => {
    const sim = await startMiSim({
      applications: [{ applicationId: "ro", applicationKey: "ro-key", canManageUsers: false }],
    });
    try {
      const token = await tokenFor(sim, "admin", { id: "ro", key: "ro-key" });
      const expected = [401, { message: "External Application has no User Management Access" }];
      assert.deepEqual(await call(sim, "GET", "/api/user", { token }).then((a) => [a.status, a.body]), expected);
      const write = await call(sim, "POST", "/api/user_group_member", { token, json: { user: 1, group: 1 } });
      assert.deepEqual([write.status, write.body], expected);
      assert.equal((await call(sim, "GET", "/api/user_group", { token })).status, 200);
    } finally {
      await sim.close();
    }
  });

  test("a token user who is not an administrator → 403 {message: User has no permission to ...} on writes", async () => {
    const sim = await startMiSim();
    try {
      sim.state.addUser({ username: "viewer", type: "power" });
      const token = await tokenFor(sim, "viewer");
      const answer = await call(sim, "POST", "/api/user_group", { token, json: { name: "X" } });
      assert.equal(answer.status, 403);
      assert.match((answer.body as { message: string }).message, /^User has no permission to /);
      assert.equal((await call(sim, "GET", "/api/user_group", { token })).status, 200);
    } finally {
      await sim.close();
    }
  });
});

describe("MI sim: faults and request log", () => {
  test("deadlock(2): two POST /api/user answer 500 with MySQL's message and create nothing; the third works", async () => {
    const sim = await startMiSim();
    try {
      const token = await tokenFor(sim);
      sim.faults.deadlock(2);
      for (let i = 0; i < 2; i += 1) {
        const answer = await call(sim, "POST", "/api/user", { token, json: newUser("frank") });
        assert.equal(answer.status, 500);
        assert.equal((answer.body as { message: string }).message, mysqlDeadlockMessage);
        assert.equal(sim.state.userByUsername("frank"), undefined);
      }
      assert.equal((await call(sim, "POST", "/api/user", { token, json: newUser("frank") })).status, 201);
    } finally {
      await sim.close();
    }
  });

  test("inject() answers with status, body and headers the given number of times", async () => {
    const sim = await startMiSim();
    try {
      const token = await tokenFor(sim);
      sim.faults.inject({
        method: "GET",
        match: /user_group$/,
        status: 429,
        headers: { "Retry-After": "0.5" },
        times: 1,
      });
      const throttled = await call(sim, "GET", "/api/user_group", { token });
      assert.deepEqual([throttled.status, throttled.headers.get("retry-after")], [429, "0.5"]);
      assert.equal((await call(sim, "GET", "/api/user_group", { token })).status, 200);
    } finally {
      await sim.close();
    }
  });

  test("maxConcurrentRequests: requests beyond the cap answer 503", async () => {
    const sim = await startMiSim({ maxConcurrentRequests: 2, latencyMs: 50 });
    try {
      const token = await tokenFor(sim);
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => call(sim, "GET", "/api/user_group", { token })),
      );
      const statuses = answers.map((a) => a.status).sort();
      assert.deepEqual(statuses, [200, 200, 503, 503, 503]);
    } finally {
      await sim.close();
    }
  });

  test("requests: reads, writes, tokenRequests and byRoute; entries carry no secret", async () => {
    const sim = await startMiSim();
    try {
      const token = await tokenFor(sim);
      await call(sim, "GET", "/api/user", { token });
      await call(sim, "GET", "/api/user_group_member?group=1", { token });
      await call(sim, "POST", "/api/user_group", { token, json: { name: "G" } });
      await call(sim, "DELETE", "/api/user_group/id/2", { token });
      assert.deepEqual([sim.requests.reads, sim.requests.writes, sim.requests.tokenRequests], [2, 2, 1]);
      assert.deepEqual(sim.requests.byRoute, {
        "POST /api/get_token": 1,
        "GET /api/user": 1,
        "GET /api/user_group_member": 1,
        "POST /api/user_group": 1,
        "DELETE /api/user_group/id/:id": 1,
      });
      assert.ok(!JSON.stringify(sim.requests.entries).includes(token));
      assert.ok(!JSON.stringify(sim.requests.entries).includes("sim-app-key"));
      sim.requests.reset();
      assert.equal(sim.requests.entries.length, 0);
    } finally {
      await sim.close();
    }
  });
});
