import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { generate } from "selfsigned";
import { type GraphSim, type SimUser, startGraphSim } from "../../sim/graph/index.js";
import { AuthError, ServiceError, type SyncError, UsageError } from "../../src/errors/sync-error.js";
import type { DirectoryUser } from "../../src/sync/model.js";
import type { GroupMembersPage, ReadMembersOptions } from "../../src/sync/ports/entra-directory.js";
import { eventually } from "../helpers/eventually.js";
import { directoryFor } from "../helpers/graph-directory.js";
import { ManualClock } from "../helpers/manual-clock.js";

const APP_ID = "b7d8e648-520f-41d3-b9c0-fdeb91768a0a";
const APP_HEX = APP_ID.replaceAll("-", "");

interface GroupRead {
  users: DirectoryUser[];
  pages: number;
  lastPages: number;
  pagesAfterLast: number;
  errors: SyncError[];
}

async function readAll(pages: AsyncIterable<GroupMembersPage>): Promise<Map<string, GroupRead>> {
  const groups = new Map<string, GroupRead>();
  for await (const page of pages) {
    let read = groups.get(page.groupId);
    if (read === undefined) {
      read = { users: [], pages: 0, lastPages: 0, pagesAfterLast: 0, errors: [] };
      groups.set(page.groupId, read);
    }
    if (read.lastPages > 0 || read.errors.length > 0) read.pagesAfterLast++;
    if ("error" in page) {
      read.errors.push(page.error);
      continue;
    }
    read.pages++;
    read.users.push(...page.users);
    if (page.last) read.lastPages++;
  }
  return groups;
}

function members(options: Partial<ReadMembersOptions> = {}): ReadMembersOptions {
  return { membership: "direct", attributes: [], ...options };
}

function upns(read: GroupRead | undefined): string[] {
  return (read?.users ?? []).map((u) => u.userPrincipalName).sort();
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("GraphEntraDirectory: credentials", () => {
  let certificatePem: { cert: string; key: string };
  let sim: GraphSim;
  before(async () => {
    const pems = await generate([{ name: "commonName", value: "mi-o365-usersync" }], { keySize: 2048 });
    certificatePem = { cert: pems.cert, key: pems.private };
    sim = await startGraphSim({ clientCertificatePem: certificatePem.cert });
    sim.directory.addGroup({ displayName: "MI Sales" });
  });
  after(() => sim.close());

  it("client secret → a token, one token request for several Graph calls", async () => {
    const directory = directoryFor(sim);
    const first = await directory.resolveGroups({ names: ["MI Sales"], ids: [] });
    await directory.resolveGroups({ names: ["MI Sales"], ids: [], prefix: "MI" });
    assert.deepEqual(
      first.groups.map((g) => g.displayName),
      ["MI Sales"],
    );
    assert.equal(sim.requests.count("POST /token"), 1);
  });

  it("certificate (PEM with certificate and key) → a token through a signed client assertion", async () => {
    const directory = directoryFor(sim, {
      credential: { kind: "certificate", pem: `${certificatePem.cert}\n${certificatePem.key}` },
    });
    const resolution = await directory.resolveGroups({ names: ["mi sales"], ids: [] });
    assert.equal(resolution.groups.length, 1);
  });

  it("a wrong secret → AuthError entra.auth_refused naming AADSTS7000215, never the secret", async () => {
    const secret = "wr0ng-s3cret-value";
    const directory = directoryFor(sim, { credential: { kind: "secret", secret } });
    await assert.rejects(directory.resolveGroups({ names: ["MI Sales"], ids: [] }), (error: unknown) => {
      assert.ok(error instanceof AuthError);
      assert.equal(error.code, "entra.auth_refused");
      assert.match(error.message, /AADSTS7000215/);
      assert.match(error.message, /--client-secret/);
      assert.ok(!error.message.includes(secret));
      assert.ok(!JSON.stringify(error).includes(secret));
      return true;
    });
  });

  it("an unknown tenant → AuthError entra.unknown_tenant with a hint", async () => {
    const directory = directoryFor(sim, { tenantId: "00000000-1111-2222-3333-444444444444" });
    await assert.rejects(directory.resolveGroups({ names: ["MI Sales"], ids: [] }), {
      name: "AuthError",
      code: "entra.unknown_tenant",
    });
  });

  it("an http:// endpoint → UsageError before any request", () => {
    assert.throws(() => directoryFor(sim, { graphEndpoint: sim.url.replace("https:", "http:") }), {
      name: "UsageError",
      code: "entra.insecure_endpoint",
    });
  });

  it("an unreachable Graph endpoint → ServiceError entra.unreachable", async () => {
    const directory = directoryFor(sim, { graphEndpoint: `https://localhost:${await closedPort()}` });
    await assert.rejects(directory.resolveGroups({ names: ["MI Sales"], ids: [] }), (error: unknown) => {
      assert.ok(error instanceof ServiceError);
      assert.equal(error.code, "entra.unreachable");
      assert.equal(error.kind, "unavailable");
      assert.match(error.message, /ECONNREFUSED/);
      return true;
    });
  });

  it("an unreachable authority → ServiceError entra.unreachable naming --authority-host", async () => {
    const directory = directoryFor(sim, { authorityHost: `https://localhost:${await closedPort()}` });
    await assert.rejects(directory.resolveGroups({ names: ["MI Sales"], ids: [] }), (error: unknown) => {
      assert.ok(error instanceof ServiceError);
      assert.equal(error.code, "entra.unreachable");
      assert.match(error.message, /--authority-host/);
      return true;
    });
  });

  it("403 Authorization_RequestDenied from Graph → AuthError entra.forbidden naming the permissions", async () => {
    sim.faults.inject({ match: "/v1.0/groups", status: 403, times: 1 });
    await assert.rejects(directoryFor(sim).resolveGroups({ names: ["MI Sales"], ids: [] }), (error: unknown) => {
      assert.ok(error instanceof AuthError);
      assert.equal(error.code, "entra.forbidden");
      assert.match(error.message, /GroupMember\.Read\.All/);
      return true;
    });
  });
});

describe("GraphEntraDirectory.resolveGroups", () => {
  let sim: GraphSim;
  const ids: Record<string, string> = {};
  before(async () => {
    sim = await startGraphSim({ defaultPageSize: 3, shortPages: true });
    for (const name of ["MI Sales", "MI Support", "mi ops", "O'Brien Team", "Finance", "Twin", "HR"]) {
      ids[name] = sim.directory.addGroup({ displayName: name }).id;
    }
    ids.Twin2 = sim.directory.addGroup({ displayName: "TWIN" }).id;
    for (let i = 0; i < 12; i++) sim.directory.addGroup({ displayName: `MI Region ${String(i).padStart(2, "0")}` });
  });
  after(() => sim.close());

  it("exact names compare case-insensitively; a ' in a name is escaped", async () => {
    const resolution = await directoryFor(sim).resolveGroups({ names: ["mi sales", "o'brien team"], ids: [] });
    assert.deepEqual(
      resolution.groups.map((g) => g.displayName),
      ["MI Sales", "O'Brien Team"],
    );
    assert.deepEqual(resolution.unresolved, []);
  });

  it("a name matching several groups → ambiguous with every candidate; an unknown name → not-found", async () => {
    const resolution = await directoryFor(sim).resolveGroups({ names: ["twin", "Nope"], ids: [] });
    assert.deepEqual(resolution.groups, []);
    const ambiguous = resolution.unresolved.find((u) => u.selector === "twin");
    assert.equal(ambiguous?.problem, "ambiguous");
    assert.deepEqual(ambiguous?.candidates.map((c) => c.id).sort(), [ids.Twin, ids.Twin2].sort());
    assert.deepEqual(
      resolution.unresolved.find((u) => u.selector === "Nope"),
      {
        selector: "Nope",
        problem: "not-found",
        candidates: [],
      },
    );
  });

  it("ids: found, unknown (404) → not-found, not a GUID → not-found", async () => {
    const unknown = "11111111-2222-3333-4444-555555555555";
    const resolution = await directoryFor(sim).resolveGroups({
      names: [],
      ids: [ids.Finance ?? "", unknown, "garbage"],
    });
    assert.deepEqual(resolution.groups, [{ id: ids.Finance, displayName: "Finance" }]);
    assert.deepEqual(
      resolution.unresolved.map((u) => [u.selector, u.problem]),
      [
        [unknown, "not-found"],
        ["garbage", "not-found"],
      ],
    );
  });

  it("prefix follows every page (short and empty pages too), case-insensitively", async () => {
    const resolution = await directoryFor(sim).resolveGroups({ names: [], ids: [], prefix: "mi " });
    assert.equal(resolution.groups.length, 15);
    assert.ok(resolution.groups.every((g) => g.displayName.toLowerCase().startsWith("mi ")));
  });

  it("names, ids and prefix: union, deduplicated, ordered by display name then id; names and ids batched", async () => {
    sim.requests.reset();
    const resolution = await directoryFor(sim).resolveGroups({
      names: ["MI Sales", "HR", "Finance", "twin"],
      ids: [ids["MI Sales"] ?? "", ids.HR ?? ""],
      prefix: "MI S",
    });
    assert.deepEqual(
      resolution.groups.map((g) => g.displayName),
      ["Finance", "HR", "MI Sales", "MI Support"],
    );
    assert.equal(sim.requests.count("POST /$batch"), 1);
    assert.equal(sim.requests.batchedRequests, 6);
  });
});

describe("GraphEntraDirectory.listMembersOfGroups", () => {
  let sim: GraphSim;
  const g: Record<string, string> = {};
  const u: Record<string, SimUser> = {};
  before(async () => {
    // Pages capped at 100 even with $top=999, as Graph may do: several pages for every group of more than 100.
    sim = await startGraphSim({ shortPages: true, maxPageSize: 100 });
    const d = sim.directory;
    for (const name of ["Big", "Parent", "Child", "Cycle A", "Cycle B", "Attrs", "Broken", "Healthy"]) {
      g[name] = d.addGroup({ displayName: name }).id;
    }
    for (let i = 0; i < 1200; i++) {
      const user = d.addUser({ userPrincipalName: `big${i}@contoso.com`, mail: `big${i}@contoso.com` });
      d.addMember(g.Big ?? "", user.id);
    }
    u.alice = d.addUser({ userPrincipalName: "alice@contoso.com", mail: "alice@contoso.com" });
    u.bob = d.addUser({ userPrincipalName: "bob@contoso.com", accountEnabled: false });
    u.guest = d.addUser({
      userPrincipalName: "carol_fabrikam.com#EXT#@contoso.onmicrosoft.com",
      mail: "carol@fabrikam.com",
    });
    u.dave = d.addUser({
      userPrincipalName: "dave@contoso.com",
      department: "Sales",
      businessPhones: ["+1 555 0100"],
      onPremisesExtensionAttributes: { extensionAttribute3: "Contractor" },
      extensions: { [`extension_${APP_HEX}_costCenter`]: "CC-42", [`extension_${APP_HEX}_level`]: 3 },
    });
    d.addMember(g.Parent ?? "", u.alice.id);
    d.addMember(g.Parent ?? "", g.Child ?? "");
    d.addMember(g.Child ?? "", u.bob.id);
    d.addMember(g.Child ?? "", u.guest.id);
    d.addMember(g["Cycle A"] ?? "", g["Cycle B"] ?? "");
    d.addMember(g["Cycle B"] ?? "", g["Cycle A"] ?? "");
    d.addMember(g["Cycle A"] ?? "", u.alice.id);
    d.addMember(g["Cycle B"] ?? "", u.bob.id);
    d.addMember(g.Attrs ?? "", u.dave.id);
    for (let i = 0; i < 150; i++) {
      const user = d.addUser({ userPrincipalName: `broken${i}@contoso.com` });
      d.addMember(g.Broken ?? "", user.id);
      d.addMember(g.Healthy ?? "", user.id);
    }
  });
  after(() => sim.close());

  it("pages past 999 members with short and empty pages; last comes once, at the end", async () => {
    const read = (await readAll(directoryFor(sim).listMembersOfGroups([g.Big ?? ""], members()))).get(g.Big ?? "");
    assert.ok(read);
    assert.equal(read.users.length, 1200);
    assert.equal(new Set(read.users.map((x) => x.id)).size, 1200);
    assert.ok(read.pages >= 2);
    assert.equal(read.lastPages, 1);
    assert.equal(read.pagesAfterLast, 0);
    assert.deepEqual(read.errors, []);
  });

  it("direct: nested groups are ignored, not expanded", async () => {
    const read = await readAll(directoryFor(sim).listMembersOfGroups([g.Parent ?? ""], members()));
    assert.deepEqual(upns(read.get(g.Parent ?? "")), ["alice@contoso.com"]);
  });

  it("transitive: users of nested groups too, a guest #EXT# UPN intact, a disabled user flagged", async () => {
    const read = await readAll(
      directoryFor(sim).listMembersOfGroups([g.Parent ?? ""], members({ membership: "transitive" })),
    );
    const parent = read.get(g.Parent ?? "");
    assert.deepEqual(upns(parent), [
      "alice@contoso.com",
      "bob@contoso.com",
      "carol_fabrikam.com#EXT#@contoso.onmicrosoft.com",
    ]);
    assert.equal(parent?.users.find((x) => x.id === u.bob?.id)?.accountEnabled, false);
    assert.equal(parent?.users.find((x) => x.id === u.guest?.id)?.mail, "carol@fabrikam.com");
    assert.equal(parent?.users.find((x) => x.id === u.alice?.id)?.accountEnabled, true);
  });

  it("transitive over a nesting cycle terminates with each user once", async () => {
    const read = await readAll(
      directoryFor(sim).listMembersOfGroups(
        [g["Cycle A"] ?? "", g["Cycle B"] ?? ""],
        members({ membership: "transitive" }),
      ),
    );
    assert.deepEqual(upns(read.get(g["Cycle A"] ?? "")), ["alice@contoso.com", "bob@contoso.com"]);
    assert.deepEqual(upns(read.get(g["Cycle B"] ?? "")), ["alice@contoso.com", "bob@contoso.com"]);
  });

  it("attributes: standard, extensionAttribute3, directory extensions through customAttrAppId; unset → null", async () => {
    const read = await readAll(
      directoryFor(sim).listMembersOfGroups(
        [g.Attrs ?? ""],
        members({
          attributes: [
            "department",
            "businessPhones",
            "extensionAttribute3",
            "extensionAttribute4",
            "costCenter",
            "level",
            "jobTitle",
            "unsetExt",
          ],
          customAttrAppId: APP_ID.toUpperCase(),
        }),
      ),
    );
    assert.deepEqual(read.get(g.Attrs ?? "")?.users[0]?.attributes, {
      department: "Sales",
      businessPhones: ["+1 555 0100"],
      extensionAttribute3: "Contractor",
      extensionAttribute4: null,
      costCenter: "CC-42",
      level: "3",
      jobTitle: null,
      unsetExt: null,
    });
  });

  it("an attribute Graph does not know, without customAttrAppId → UsageError suggesting --custom-attr-app-id", async () => {
    await assert.rejects(
      readAll(directoryFor(sim).listMembersOfGroups([g.Attrs ?? ""], members({ attributes: ["costCenter"] }))),
      (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.code, "entra.unknown_attribute");
        assert.match(error.message, /"costCenter"/);
        assert.match(error.message, /--custom-attr-app-id/);
        return true;
      },
    );
  });

  it("first pages of several groups go through $batch: fewer HTTP requests than groups", async () => {
    const groupIds = [g.Parent, g.Child, g["Cycle A"], g["Cycle B"], g.Attrs].map((id) => id ?? "");
    const directory = directoryFor(sim);
    await directory.resolveGroups({ names: ["Parent"], ids: [] }); // token first, so only Graph requests are counted
    sim.requests.reset();
    const read = await readAll(directory.listMembersOfGroups(groupIds, members()));
    assert.equal(read.size, 5);
    for (const id of groupIds) assert.equal(read.get(id)?.lastPages, 1);
    assert.ok(
      sim.requests.total < groupIds.length,
      `${sim.requests.total} HTTP requests for ${groupIds.length} groups`,
    );
    assert.equal(sim.requests.count("POST /$batch"), 1);
    assert.equal(sim.requests.batchedRequests, 5);
  });

  it("429 with a fractional Retry-After, on a plain request and inside a $batch → retried, the read completes", async () => {
    sim.faults.inject({ match: `/groups/${g.Big}/members`, status: 429, retryAfter: "0.2", times: 1 });
    sim.faults.inject({ match: `/groups/${g.Parent}/members`, status: 429, retryAfter: "0.3", times: 1 });
    sim.faults.inject({ match: /skiptoken/, status: 429, retryAfter: "0.1", times: 1 });
    // The client's clock jumps to the end of each wait: the waits are seen, not sat through.
    const clock = new ManualClock({ auto: true });
    const started = clock.now();
    const read = await readAll(
      directoryFor(sim, { clock }).listMembersOfGroups([g.Big ?? "", g.Parent ?? ""], members()),
    );
    assert.ok(clock.now() - started >= 300, `waited ${clock.now() - started} ms for Retry-Afters of 0.3 s and more`);
    assert.equal(read.get(g.Big ?? "")?.users.length, 1200);
    assert.deepEqual(upns(read.get(g.Parent ?? "")), ["alice@contoso.com"]);
    assert.deepEqual(read.get(g.Big ?? "")?.errors, []);
  });

  it("a 429 holds every request of the client until its Retry-After, not just the throttled one", async () => {
    // Graph's quota is one budget per app and tenant: while one read waits out its Retry-After, the other group's
    // pages would only be refused too (and count against the budget). Two groups read page by page in parallel;
    // the first next-page request is throttled for 1 s.
    const wide = sim.directory.addGroup({ displayName: "Wide" }).id;
    for (let i = 0; i < 600; i++) {
      sim.directory.addMember(wide, sim.directory.addUser({ userPrincipalName: `wide${i}@contoso.com` }).id);
    }
    // The client's clock stands still until the test moves it, so the gate stays closed for as long as we look.
    const clock = new ManualClock();
    const directory = directoryFor(sim, { clock });
    await directory.resolveGroups({ names: ["Big"], ids: [] });
    sim.requests.reset();
    sim.faults.inject({ match: /skiptoken/, status: 429, retryAfter: "1", times: 1 });
    const reading = readAll(directory.listMembersOfGroups([g.Big ?? "", wide], members()));
    // Both groups come to wait at the gate: the throttled request, and the other group's next page once the page it
    // had in flight is answered. Without the hold, the other group's remaining pages (5 or 11) would all go out.
    await eventually(() => clock.sleeping === 2, "both groups' reads waiting for the Retry-After");
    const entries = sim.requests.entries;
    const throttled = entries.findIndex((e) => e.status === 429);
    assert.ok(throttled >= 0);
    const after = entries.slice(throttled + 1);
    assert.ok(after.length <= 1, `${after.length} request(s) sent while the client was throttled`);
    clock.advance(1_000);
    const read = await reading;
    assert.equal(read.get(g.Big ?? "")?.users.length, 1200);
    assert.equal(read.get(wide)?.users.length, 600);
  });

  it("429s that say when to come back are waited out past maxRetries, within the patience", async () => {
    // A large reconcile under Graph's quota is told to come back many times; each is not a failure.
    sim.requests.reset();
    sim.faults.inject({ match: `/groups/${g.Child}/members`, status: 429, retryAfter: "0", times: 5 });
    sim.faults.inject({ match: /skiptoken/, status: 429, retryAfter: "0", times: 5 });
    const read = await readAll(
      directoryFor(sim, { maxRetries: 2 }).listMembersOfGroups([g.Child ?? "", g.Big ?? ""], members()),
    );
    assert.deepEqual(read.get(g.Child ?? "")?.errors, []);
    assert.deepEqual(upns(read.get(g.Child ?? "")), [
      "bob@contoso.com",
      "carol_fabrikam.com#EXT#@contoso.onmicrosoft.com",
    ]);
    assert.equal(read.get(g.Big ?? "")?.users.length, 1200);
    assert.equal(sim.requests.entries.filter((e) => e.status === 429).length >= 10, true);
  });

  it("429 beyond maxRetries once the patience is spent → an entra.throttled error item for that group only", async () => {
    sim.faults.inject({ match: `/groups/${g.Child}/members`, status: 429, retryAfter: "0", times: 5 });
    const read = await readAll(
      directoryFor(sim, { maxRetries: 2, throttlePatienceMs: 0 }).listMembersOfGroups(
        [g.Child ?? "", g.Parent ?? ""],
        members(),
      ),
    );
    const child = read.get(g.Child ?? "");
    assert.equal(child?.errors[0]?.code, "entra.throttled");
    assert.ok(child?.errors[0] instanceof ServiceError);
    assert.equal(child?.pagesAfterLast, 0);
    assert.deepEqual(upns(read.get(g.Parent ?? "")), ["alice@contoso.com"]);
    sim.faults.clear();
  });

  it("a page that fails (500 on a next link) → an error item ending that group; other groups complete", async () => {
    sim.faults.inject({ match: new RegExp(`/groups/${g.Broken}/members\\?.*skiptoken`), status: 500, times: 1 });
    const read = await readAll(
      directoryFor(sim).listMembersOfGroups([g.Broken ?? "", g.Healthy ?? "", g.Parent ?? ""], members()),
    );
    const broken = read.get(g.Broken ?? "");
    assert.equal(broken?.errors.length, 1);
    assert.equal(broken?.errors[0]?.code, "entra.unavailable");
    assert.equal(broken?.lastPages, 0);
    assert.equal(broken?.pagesAfterLast, 0);
    assert.ok((broken?.users.length ?? 0) < 150);
    assert.equal(read.get(g.Healthy ?? "")?.users.length, 150);
    assert.equal(read.get(g.Healthy ?? "")?.lastPages, 1);
    assert.deepEqual(upns(read.get(g.Parent ?? "")), ["alice@contoso.com"]);
  });

  it("a group deleted since resolution → an entra.not_found error item", async () => {
    const gone = sim.directory.addGroup({ displayName: "Gone" }).id;
    sim.directory.deleteGroup(gone);
    const read = await readAll(directoryFor(sim).listMembersOfGroups([gone, g.Parent ?? ""], members()));
    assert.equal(read.get(gone)?.errors[0]?.code, "entra.not_found");
    assert.equal(read.get(g.Parent ?? "")?.lastPages, 1);
  });

  it("the consumer may stop early; no group id → nothing", async () => {
    for await (const page of directoryFor(sim).listMembersOfGroups([g.Big ?? ""], members())) {
      assert.equal(page.groupId, g.Big);
      break;
    }
    assert.equal((await readAll(directoryFor(sim).listMembersOfGroups([], members()))).size, 0);
  });
});
