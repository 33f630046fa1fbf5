/**
 * `/groups/{id}/memberOf|transitiveMemberOf` and `/users/{id}/…` on the Graph simulator: shapes, casts, paging, cycles,
 * 404s and resource units as contract §1.2 describes for the member lists they mirror. Run over HTTPS with
 * NODE_EXTRA_CA_CERTS pointing at the sandbox certificate (see sim/tls/main.ts).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type GraphSim, startGraphSim } from "../../sim/graph/index.js";

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

interface ListBody {
  "@odata.context": string;
  "@odata.nextLink"?: string;
  value: Array<Record<string, unknown>>;
}

async function rawToken(sim: GraphSim): Promise<string> {
  const response = await fetch(`${sim.url}/${sim.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: sim.clientId,
      client_secret: sim.clientSecret,
      grant_type: "client_credentials",
      scope: "https://graph.microsoft.com/.default",
    }),
  });
  const body = (await response.json()) as { access_token: string };
  return body.access_token;
}

/** GETs a path below the sim's base URL (or an absolute URL), parsing JSON when the answer is JSON. */
async function get(sim: GraphSim, token: string, pathOrUrl: string, headers: Record<string, string> = {}) {
  const url = pathOrUrl.startsWith("https://") ? pathOrUrl : `${sim.url}${pathOrUrl}`;
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token}`, ...headers } });
  const text = await response.text();
  const json = (response.headers.get("content-type") ?? "").includes("json");
  return { status: response.status, headers: response.headers, body: json ? JSON.parse(text) : text } as Answer;
}

function list(answer: Answer): ListBody {
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body as ListBody;
}

function errorCode(answer: Answer): string | undefined {
  return (answer.body as { error?: { code?: string } }).error?.code;
}

const id = (name: string) => `00000000-0000-4000-8000-${name.padStart(12, "0")}`;

describe("memberOf and transitiveMemberOf", () => {
  let sim: GraphSim;
  let token: string;
  const [top, middle, leaf, lonely] = ["a1", "a2", "a3", "a4"].map(id) as [string, string, string, string];
  const [cycleX, cycleY, cycleZ] = ["c1", "c2", "c3"].map(id) as [string, string, string];
  const user = id("u1");
  const upn = "nested.user@contoso.example";

  before(async () => {
    sim = await startGraphSim();
    sim.directory.addUser({ id: user, userPrincipalName: upn });
    sim.directory.loadSeed({
      groups: [
        { id: top, displayName: "Top", members: [middle] },
        { id: middle, displayName: "Middle", members: [leaf] },
        { id: leaf, displayName: "Leaf", members: [user] },
        { id: lonely, displayName: "Lonely" },
        { id: cycleX, displayName: "Cycle X", members: [cycleY] },
        { id: cycleY, displayName: "Cycle Y", members: [cycleZ] },
        { id: cycleZ, displayName: "Cycle Z", members: [cycleX] },
      ],
    });
    token = await rawToken(sim);
  });
  after(() => sim.close());

  test("transitiveMemberOf of a group: every ancestor, nearest first, each with @odata.type", async () => {
    const body = list(await get(sim, token, `/v1.0/groups/${leaf}/transitiveMemberOf?$select=id,displayName`));
    assert.equal(body["@odata.context"], `${sim.url}/v1.0/$metadata#directoryObjects(id,displayName)`);
    assert.deepEqual(body.value, [
      { "@odata.type": "#microsoft.graph.group", id: middle, displayName: "Middle" },
      { "@odata.type": "#microsoft.graph.group", id: top, displayName: "Top" },
    ]);
    assert.equal(body["@odata.nextLink"], undefined);
  });

  test("memberOf lists direct parents only; a top-level group is in none", async () => {
    const direct = list(await get(sim, token, `/v1.0/groups/${leaf}/memberOf?$select=id`));
    assert.deepEqual(direct.value, [{ "@odata.type": "#microsoft.graph.group", id: middle }]);
    assert.deepEqual(list(await get(sim, token, `/v1.0/groups/${top}/memberOf`)).value, []);
    assert.deepEqual(list(await get(sim, token, `/v1.0/groups/${lonely}/transitiveMemberOf`)).value, []);
  });

  test("the group cast: no @odata.type, a #groups context, relation and cast names case-insensitive", async () => {
    const body = list(
      await get(sim, token, `/v1.0/groups/${leaf}/TransitiveMemberOf/Microsoft.Graph.Group?$select=id&$top=999`),
    );
    assert.equal(body["@odata.context"], `${sim.url}/v1.0/$metadata#groups(id)`);
    assert.deepEqual(body.value, [{ id: middle }, { id: top }]);
  });

  test("default properties without $select; a user's groups by id and by userPrincipalName", async () => {
    const full = list(await get(sim, token, `/v1.0/users/${user}/memberOf`));
    assert.equal(full.value.length, 1);
    assert.equal(full.value[0]?.["@odata.type"], "#microsoft.graph.group");
    assert.equal(full.value[0]?.displayName, "Leaf");
    assert.equal(full.value[0]?.securityEnabled, true);
    const byUpn = list(
      await get(
        sim,
        token,
        `/v1.0/users/${encodeURIComponent(upn)}/transitiveMemberOf/microsoft.graph.group?$select=id`,
      ),
    );
    assert.deepEqual(byUpn.value, [{ id: leaf }, { id: middle }, { id: top }]);
  });

  test("a nesting cycle terminates: both other groups, never the group itself", async () => {
    const body = list(
      await get(sim, token, `/v1.0/groups/${cycleZ}/transitiveMemberOf/microsoft.graph.group?$select=id`),
    );
    assert.deepEqual(body.value, [{ id: cycleY }, { id: cycleX }]);
  });

  test("unknown group or user → 404 Request_ResourceNotFound", async () => {
    for (const path of [
      `/v1.0/groups/${id("dead")}/transitiveMemberOf`,
      `/v1.0/groups/${id("dead")}/memberOf/microsoft.graph.group?$select=id`,
      `/v1.0/users/${id("dead")}/memberOf`,
      "/v1.0/users/nobody@contoso.example/transitiveMemberOf",
    ]) {
      const answer = await get(sim, token, path);
      assert.equal(answer.status, 404, path);
      assert.equal(errorCode(answer), "Request_ResourceNotFound", path);
    }
  });

  test("query rules: $top over 999, a user cast, $filter without advanced parameters, /users/{id}/members", async () => {
    const tooBig = await get(sim, token, `/v1.0/groups/${leaf}/transitiveMemberOf?$top=1000`);
    assert.equal(tooBig.status, 400);
    assert.equal(errorCode(tooBig), "Request_UnsupportedQuery");
    const userCast = await get(sim, token, `/v1.0/groups/${leaf}/memberOf/microsoft.graph.user`);
    assert.equal(userCast.status, 400);
    assert.equal(errorCode(userCast), "Request_UnsupportedQuery");
    const filtered = await get(sim, token, `/v1.0/groups/${leaf}/memberOf?$filter=displayName eq 'Middle'`);
    assert.equal(filtered.status, 400);
    assert.equal(errorCode(filtered), "Request_UnsupportedQuery");
    const advanced = list(
      await get(sim, token, `/v1.0/groups/${leaf}/transitiveMemberOf?$filter=displayName eq 'Top'&$count=true`, {
        ConsistencyLevel: "eventual",
      }),
    );
    assert.deepEqual(
      advanced.value.map((item) => item.id),
      [top],
    );
    const members = await get(sim, token, `/v1.0/users/${user}/members`);
    assert.equal(members.status, 400);
    assert.equal(errorCode(members), "BadRequest");
  });

  test("$count needs ConsistencyLevel: eventual and answers plain text", async () => {
    const path = `/v1.0/groups/${leaf}/transitiveMemberOf/$count`;
    assert.equal((await get(sim, token, path)).status, 400);
    const counted = await get(sim, token, path, { ConsistencyLevel: "eventual" });
    assert.equal(counted.status, 200);
    assert.equal(counted.body, "2");
  });

  test("request log: normalised routes; resource units as transitiveMembers (5) and members (3)", async () => {
    sim.requests.reset();
    await get(sim, token, `/v1.0/groups/${leaf}/transitiveMemberOf`);
    await get(sim, token, `/v1.0/groups/${leaf}/memberOf`);
    await get(sim, token, `/v1.0/groups/${leaf}/transitiveMemberOf/microsoft.graph.group?$select=id&$top=999`);
    await get(sim, token, `/v1.0/users/${user}/memberOf?$select=id`);
    assert.deepEqual(sim.requests.byRoute, {
      "GET /groups/{id}/transitiveMemberOf": 1,
      "GET /groups/{id}/memberOf": 1,
      "GET /groups/{id}/transitiveMemberOf/microsoft.graph.group": 1,
      "GET /users/{id}/memberOf": 1,
    });
    assert.deepEqual(
      sim.requests.entries.map((entry) => entry.resourceUnits),
      [5, 3, 4, 2],
    );
  });
});

describe("memberOf paging", () => {
  let sim: GraphSim;
  let token: string;
  const child = id("b0");
  const parents = ["b1", "b2", "b3", "b4", "b5"].map(id);

  before(async () => {
    sim = await startGraphSim({ maxPageSize: 2 });
    sim.directory.addGroup({ id: child, displayName: "Child" });
    for (const [index, parent] of parents.entries()) {
      sim.directory.addGroup({ id: parent, displayName: `Parent ${index}` });
      sim.directory.addMember(parent, child);
    }
    token = await rawToken(sim);
  });
  after(() => sim.close());

  test("pages of maxPageSize behind absolute nextLinks; every ancestor once; a snapshot survives a deletion", async () => {
    sim.requests.reset();
    const seen: string[] = [];
    let next: string | undefined = `/v1.0/groups/${child}/transitiveMemberOf/microsoft.graph.group?$select=id&$top=999`;
    let pages = 0;
    while (next !== undefined) {
      const body = list(await get(sim, token, next));
      pages++;
      if (pages === 1) sim.directory.deleteGroup(parents[4] ?? "");
      seen.push(...body.value.map((item) => String(item.id)));
      next = body["@odata.nextLink"];
      if (next !== undefined) assert.ok(next.startsWith(`${sim.url}/v1.0/groups/${child}/transitiveMemberOf/`), next);
    }
    assert.equal(pages, 3);
    // The deleted parent's snapshot entry is served from the stored pages as Graph serves a listing begun earlier.
    assert.deepEqual(seen, parents);
    assert.equal(sim.requests.count("GET /groups/{id}/transitiveMemberOf/microsoft.graph.group"), 3);
  });
});
