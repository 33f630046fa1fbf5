/**
 * The Graph simulator answers as `/work/shared/contracts/microsoft-graph.md` says Graph and Entra do, checked over
 * real HTTPS with the real clients (MSAL Node 7, graph-client 3) where their behaviour matters.
 * Run with NODE_EXTRA_CA_CERTS pointing at the sandbox certificate (see sim/tls/main.ts).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { ConfidentialClientApplication, ServerError } from "@azure/msal-node";
import {
  BatchRequestContent,
  BatchResponseContent,
  Client,
  GraphError,
  type PageCollection,
  PageIterator,
} from "@microsoft/microsoft-graph-client";
import { generate } from "selfsigned";
import { buildDemoTenant, type DemoTenant, type GraphSim, startGraphSim } from "../../sim/graph/index.js";
import { ensureCertificate } from "../../sim/tls/ensure-certificate.js";

const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

function port(sim: GraphSim): string {
  return new URL(sim.url).port;
}

function msal(
  sim: GraphSim,
  credential:
    | { clientSecret: string }
    | { clientCertificate: { thumbprintSha256: string; privateKey: string; x5c?: string } },
) {
  return new ConfidentialClientApplication({
    auth: {
      clientId: sim.clientId,
      authority: `${sim.url}/${sim.tenantId}`,
      knownAuthorities: [`localhost:${port(sim)}`],
      ...credential,
    },
  });
}

async function rawToken(sim: GraphSim): Promise<string> {
  const response = await fetch(`${sim.url}/${sim.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: sim.clientId,
      client_secret: sim.clientSecret,
      grant_type: "client_credentials",
      scope: GRAPH_SCOPE,
    }),
  });
  const body = (await response.json()) as { access_token: string };
  return body.access_token;
}

async function call(
  sim: GraphSim,
  path: string,
  init: { token?: string; headers?: Record<string, string>; method?: string; body?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.token) headers.Authorization = `Bearer ${init.token}`;
  const url = path.startsWith("https://") ? path : `${sim.url}${path}`;
  const response = await fetch(url, { method: init.method ?? "GET", headers, body: init.body });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // text/plain answers ($count) stay text
  }
  return { status: response.status, headers: response.headers, body, text };
}

function graphClient(sim: GraphSim, token: string): Client {
  return Client.init({
    baseUrl: sim.url,
    customHosts: new Set(["localhost"]),
    authProvider: (done) => done(null, token),
  });
}

function errorOf(body: unknown): { code: string; message: string; innerError: Record<string, string> } {
  const envelope = body as { error?: { code: string; message: string; innerError: Record<string, string> } };
  assert.ok(envelope.error, `expected an error envelope, got ${JSON.stringify(body)}`);
  return envelope.error;
}

function itemsOf(body: unknown): Array<Record<string, unknown>> {
  return (body as { value: Array<Record<string, unknown>> }).value;
}

async function collectAll(
  client: Client,
  path: string,
): Promise<{ items: Array<Record<string, unknown>>; pages: number[] }> {
  const items: Array<Record<string, unknown>> = [];
  const pages: number[] = [];
  let response = (await client.api(path).get()) as PageCollection;
  for (;;) {
    pages.push(response.value.length);
    items.push(...(response.value as Array<Record<string, unknown>>));
    const next = response["@odata.nextLink"];
    if (typeof next !== "string") break;
    response = (await client.api(next).get()) as PageCollection;
  }
  return { items, pages };
}

describe("TLS certificate", () => {
  test("ensureCertificate: created once, then reused; CA-flagged, SAN localhost + 127.0.0.1", async () => {
    const first = await ensureCertificate();
    const second = await ensureCertificate();
    assert.equal(second.certPath, first.certPath);
    assert.equal(second.cert, first.cert);
    const x509 = new X509Certificate(first.cert);
    assert.equal(x509.ca, true);
    assert.match(x509.subjectAltName ?? "", /DNS:localhost/);
    assert.match(x509.subjectAltName ?? "", /IP Address:127\.0\.0\.1/);
    assert.ok(Date.parse(x509.validTo) > Date.now() + 9 * 365 * 24 * 3600 * 1000);
  });

  test("a child process trusting it through NODE_EXTRA_CA_CERTS fetches from the simulator without TLS errors", async () => {
    const sim = await startGraphSim();
    try {
      const script = `fetch(${JSON.stringify(`${sim.url}/${sim.tenantId}/v2.0/.well-known/openid-configuration`)}).then(r => console.log(r.status), e => { console.log("ERR", e.cause?.code); process.exit(1); })`;
      const output = await new Promise<string>((resolve, reject) => {
        execFile(
          process.execPath,
          ["-e", script],
          { env: { ...process.env, NODE_EXTRA_CA_CERTS: sim.certPath } },
          (error, stdout) => (error ? reject(new Error(stdout)) : resolve(stdout)),
        );
      });
      assert.equal(output.trim(), "200");
    } finally {
      await sim.close();
    }
  });
});

describe("token endpoint with MSAL", () => {
  let sim: GraphSim;
  let certificate: { cert: string; key: string; thumbprintSha256: string };
  before(async () => {
    const pems = await generate([{ name: "commonName", value: "sim-client" }], { keySize: 2048, algorithm: "sha256" });
    const thumbprintSha256 = createHash("sha256").update(new X509Certificate(pems.cert).raw).digest("hex");
    certificate = { cert: pems.cert, key: pems.private, thumbprintSha256 };
    sim = await startGraphSim({ clientCertificatePem: pems.cert });
  });
  after(() => sim.close());

  test("client secret: discovery + one token POST, then served from MSAL's cache", async () => {
    const cca = msal(sim, { clientSecret: sim.clientSecret });
    const first = await cca.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] });
    const second = await cca.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] });
    assert.ok(first?.accessToken);
    assert.equal(second?.fromCache, true);
    assert.equal(sim.requests.count("POST /token"), 1);
    assert.equal(sim.requests.count("GET /openid-configuration"), 1);
  });

  test("wrong secret: ServerError invalid_client AADSTS7000215, the secret not echoed", async () => {
    const cca = msal(sim, { clientSecret: "not-the-secret-123" });
    await assert.rejects(cca.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] }), (error: unknown) => {
      assert.ok(error instanceof ServerError);
      assert.equal(error.errorCode, "invalid_client");
      assert.match(error.errorMessage, /AADSTS7000215/);
      assert.doesNotMatch(error.message, /not-the-secret-123/);
      return true;
    });
  });

  test("certificate credential: PS256 assertion verified against the registered certificate", async () => {
    const cca = msal(sim, {
      clientCertificate: {
        thumbprintSha256: certificate.thumbprintSha256,
        privateKey: certificate.key,
        x5c: certificate.cert,
      },
    });
    const result = await cca.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] });
    assert.ok(result?.accessToken);
    const users = await call(sim, "/v1.0/users?$top=1", { token: result.accessToken });
    assert.equal(users.status, 200);
  });

  test("certificate credential signed by another key: invalid_client AADSTS700027", async () => {
    const other = await generate([{ name: "commonName", value: "intruder" }], { keySize: 2048, algorithm: "sha256" });
    const cca = msal(sim, {
      clientCertificate: { thumbprintSha256: certificate.thumbprintSha256, privateKey: other.private },
    });
    await assert.rejects(cca.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] }), (error: unknown) => {
      assert.ok(error instanceof ServerError);
      assert.equal(error.errorCode, "invalid_client");
      assert.match(error.errorMessage, /AADSTS700027/);
      return true;
    });
  });

  test("raw token errors: unknown tenant 400 AADSTS90002, unknown client 400 AADSTS700016, scope without /.default", async () => {
    const post = (tenant: string, form: Record<string, string>) =>
      call(sim, `/${tenant}/oauth2/v2.0/token`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(form).toString(),
      });
    const base = {
      client_id: sim.clientId,
      client_secret: sim.clientSecret,
      grant_type: "client_credentials",
      scope: GRAPH_SCOPE,
    };
    const tenant = await post("00000000-0000-0000-0000-000000000001", base);
    assert.equal(tenant.status, 400);
    assert.deepEqual((tenant.body as { error_codes: number[] }).error_codes, [90002]);
    assert.equal((tenant.body as { error: string }).error, "invalid_request");
    const client = await post(sim.tenantId, { ...base, client_id: "00000000-0000-0000-0000-000000000002" });
    assert.equal(client.status, 400);
    assert.equal((client.body as { error: string }).error, "unauthorized_client");
    const scope = await post(sim.tenantId, { ...base, scope: "User.Read" });
    assert.equal(scope.status, 400);
    assert.equal((scope.body as { error: string }).error, "invalid_scope");
    const wrong = await post(sim.tenantId, { ...base, client_secret: "s3cr3t-wrong" });
    assert.equal(wrong.status, 401);
    const body = wrong.body as Record<string, unknown>;
    for (const key of [
      "error",
      "error_description",
      "error_codes",
      "timestamp",
      "trace_id",
      "correlation_id",
      "error_uri",
    ]) {
      assert.ok(key in body, key);
    }
    assert.doesNotMatch(wrong.text, /s3cr3t-wrong/);
  });
});

describe("Graph reads", () => {
  let sim: GraphSim;
  let demo: DemoTenant;
  let token: string;
  before(async () => {
    sim = await startGraphSim();
    demo = buildDemoTenant(sim.directory);
    token = await rawToken(sim);
  });
  after(() => sim.close());

  test("no token → 401 InvalidAuthenticationToken with WWW-Authenticate; expired token → 'Access token has expired…'", async () => {
    const missing = await call(sim, "/v1.0/groups");
    assert.equal(missing.status, 401);
    assert.equal(errorOf(missing.body).code, "InvalidAuthenticationToken");
    assert.match(missing.headers.get("www-authenticate") ?? "", /^Bearer realm=""/);
    const short = await startGraphSim();
    try {
      const shortToken = await rawToken(short);
      short.faults.expireAccessTokens(); // as if its lifetime had passed

      const expired = await call(short, "/v1.0/groups", { token: shortToken });
      assert.equal(expired.status, 401);
      assert.equal(errorOf(expired.body).message, "Access token has expired or is not yet valid.");
    } finally {
      await short.close();
    }
  });

  test("common headers: request-id, echoed client-request-id, OData content type, x-ms-resource-unit", async () => {
    const answer = await call(sim, "/v1.0/groups?$select=id,displayName", {
      token,
      headers: { "client-request-id": "abc-123" },
    });
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get("request-id") ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(answer.headers.get("client-request-id"), "abc-123");
    assert.match(answer.headers.get("content-type") ?? "", /^application\/json;odata\.metadata=minimal;/);
    assert.equal(answer.headers.get("x-ms-resource-unit"), "1");
  });

  test("/groups $filter: startswith case-insensitive, eq with '' escaping, id in, displayName in, percent-encoded", async () => {
    const names = async (filter: string) =>
      itemsOf(
        (await call(sim, `/v1.0/groups?$select=id,displayName&$filter=${encodeURIComponent(filter)}`, { token })).body,
      ).map((g) => g.displayName);
    const prefixed = await names("startswith(displayName,'mi ')");
    assert.equal(prefixed.length, 10);
    assert.ok(prefixed.every((name) => String(name).startsWith("MI ")));
    assert.deepEqual(await names("displayName eq 'MI O''Brien Fans'"), ["MI O'Brien Fans"]);
    assert.deepEqual(await names(`id in ('${demo.groups["MI SRE"]}', '${demo.groups["MI Sales"]}')`), [
      "MI Sales",
      "MI SRE",
    ]);
    assert.deepEqual(await names("displayName in ('mi sre', 'All Company')"), ["MI SRE", "All Company"]);
    assert.deepEqual(await names(`id eq '${demo.groups["MI Platform"]}'`), ["MI Platform"]);
  });

  test("/groups advanced queries: ne needs ConsistencyLevel + $count=true; $count alone is ignored; $skip and $top=1000 are 400", async () => {
    const ne = await call(sim, `/v1.0/groups?$filter=${encodeURIComponent("displayName ne 'MI Sales'")}`, { token });
    assert.equal(ne.status, 400);
    assert.equal(errorOf(ne.body).code, "Request_UnsupportedQuery");
    const advanced = await call(
      sim,
      `/v1.0/groups?$count=true&$filter=${encodeURIComponent("displayName ne 'MI Sales'")}`,
      {
        token,
        headers: { ConsistencyLevel: "eventual" },
      },
    );
    assert.equal(advanced.status, 200);
    assert.equal((advanced.body as Record<string, unknown>)["@odata.count"], 11);
    const ignored = await call(sim, "/v1.0/groups?$count=true", { token });
    assert.equal("@odata.count" in (ignored.body as object), false);
    const count = await call(sim, "/v1.0/groups/$count", { token, headers: { ConsistencyLevel: "eventual" } });
    assert.equal(count.text, "12");
    assert.match(count.headers.get("content-type") ?? "", /^text\/plain/);
    assert.equal((await call(sim, "/v1.0/groups?$skip=10", { token })).status, 400);
    const top = await call(sim, "/v1.0/groups?$top=1000", { token });
    assert.equal(top.status, 400);
    const bad = await call(sim, `/v1.0/groups?$filter=${encodeURIComponent("displayName eq 'unterminated")}`, {
      token,
    });
    assert.equal(bad.status, 400);
    errorOf(bad.body);
  });

  test("members: mixed @odata.type, $select user-only properties on users only; casts drop @odata.type", async () => {
    const engineering = demo.groups["MI Engineering"];
    const answer = await call(
      sim,
      `/v1.0/groups/${engineering}/members?$select=id,displayName,userPrincipalName,accountEnabled`,
      { token },
    );
    assert.equal(answer.status, 200);
    const items = itemsOf(answer.body);
    const group = items.find((item) => item["@odata.type"] === "#microsoft.graph.group");
    const user = items.find((item) => item["@odata.type"] === "#microsoft.graph.user");
    assert.deepEqual(group, {
      "@odata.type": "#microsoft.graph.group",
      id: demo.groups["MI Platform"],
      displayName: "MI Platform",
    });
    assert.equal(typeof user?.userPrincipalName, "string");
    assert.equal(user?.accountEnabled, true);
    assert.equal(
      (answer.body as Record<string, unknown>)["@odata.context"],
      `${sim.url}/v1.0/$metadata#directoryObjects(id,displayName,userPrincipalName,accountEnabled)`,
    );
    const cast = itemsOf(
      (await call(sim, `/v1.0/groups/${engineering}/members/microsoft.graph.user?$select=id`, { token })).body,
    );
    assert.ok(cast.length > 0 && cast.every((item) => !("@odata.type" in item)));
    const groupsOnly = itemsOf(
      (await call(sim, `/v1.0/groups/${engineering}/transitiveMembers/microsoft.graph.group`, { token })).body,
    );
    assert.deepEqual(
      groupsOnly.map((item) => item.displayName),
      ["MI Platform", "MI SRE"],
    );
  });

  test("transitiveMembers through a cycle terminates, each member once, nested groups listed", async () => {
    const answer = await call(sim, `/v1.0/groups/${demo.groups["MI Cycle A"]}/transitiveMembers?$select=id`, { token });
    const items = itemsOf(answer.body);
    const ids = items.map((item) => item.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(items.filter((item) => item["@odata.type"] === "#microsoft.graph.user").length, 10);
    assert.ok(ids.includes(demo.groups["MI Cycle B"]));
  });

  test("unknown group: graph-client throws GraphError 404 Request_ResourceNotFound with request id", async () => {
    const client = graphClient(sim, token);
    await assert.rejects(client.api("/groups/00000000-0000-0000-0000-00000000dead/members").get(), (error: unknown) => {
      assert.ok(error instanceof GraphError);
      assert.equal(error.statusCode, 404);
      assert.equal(error.code, "Request_ResourceNotFound");
      assert.match(error.message, /does not exist or one of its queried reference-property objects are not present/);
      assert.ok(error.requestId);
      return true;
    });
  });

  test("users: guest UPN with %23EXT%23 found, raw # is a 404; accountEnabled and extensions only when selected", async () => {
    const upn = "jane_partner.com#EXT#@contoso.onmicrosoft.com";
    const client = graphClient(sim, token);
    const guest = (await client
      .api(`/users/${encodeURIComponent(upn)}`)
      .select(["id", "mail", "userType"])
      .get()) as Record<string, unknown>;
    assert.equal(guest.id, demo.notableUsers.guest);
    assert.equal(guest.mail, "jane@partner.com");
    assert.equal(guest.userType, "Guest");
    assert.equal((await call(sim, `/v1.0/users/${upn}`, { token })).status, 404);

    const plain = (await call(sim, `/v1.0/users/${demo.notableUsers.withDirectoryExtension}`, { token }))
      .body as Record<string, unknown>;
    assert.equal("accountEnabled" in plain, false);
    assert.equal("onPremisesExtensionAttributes" in plain, false);
    const extension = `extension_${demo.extensionAppId}_miRole`;
    const select = `id,accountEnabled,onPremisesExtensionAttributes,${extension},extension_${demo.extensionAppId}_unset`;
    const selected = (
      await call(sim, `/v1.0/users/${demo.notableUsers.withDirectoryExtension}?$select=${select}`, { token })
    ).body as Record<string, unknown>;
    assert.equal(selected.accountEnabled, true);
    assert.equal(selected[extension], "Admin");
    assert.equal(`extension_${demo.extensionAppId}_unset` in selected, false);
    assert.equal(Object.keys(selected.onPremisesExtensionAttributes as object).length, 15);
    const unknown = await call(sim, "/v1.0/users?$select=id,favouriteColour", { token });
    assert.equal(unknown.status, 400);
    assert.equal(
      errorOf(unknown.body).message,
      "Could not find a property named 'favouriteColour' on type 'microsoft.graph.user'.",
    );
  });

  test("paging with graph-client: default 100 per page, absolute nextLinks on the sim base URL, every member once", async () => {
    const client = graphClient(sim, token);
    const first = (await client.api(`/groups/${demo.groups["MI All Staff"]}/members`).get()) as PageCollection;
    assert.equal(first.value.length, 100);
    assert.ok(first["@odata.nextLink"]?.startsWith(`${sim.url}/v1.0/groups/`));
    const seen: string[] = [];
    const iterator = new PageIterator(client, first, (item: { id: string }) => {
      seen.push(item.id);
      return true;
    });
    await iterator.iterate();
    assert.equal(seen.length, demo.userCount);
    assert.equal(new Set(seen).size, demo.userCount);
  });

  test("a skiptoken keeps working after unrelated mutations (snapshot per listing)", async () => {
    const client = graphClient(sim, token);
    const first = (await client.api("/users").select("id").top(50).get()) as PageCollection;
    const next = first["@odata.nextLink"];
    assert.ok(next);
    const extra = sim.directory.addUser({ userPrincipalName: "late.arrival@contoso.onmicrosoft.com" });
    const second = (await client.api(next).get()) as PageCollection;
    assert.equal(second.value.length, 50);
    sim.directory.deleteUser(extra.id);
  });

  test("request log: routes normalised, resource units charged per contract §1.2", async () => {
    sim.requests.reset();
    const group = demo.groups["MI Sales"];
    await call(sim, `/v1.0/groups/${group}/members`, { token });
    await call(sim, `/v1.0/groups/${group}/transitiveMembers?$select=id`, { token });
    await call(sim, "/v1.0/users", { token });
    assert.equal(sim.requests.total, 3);
    assert.equal(sim.requests.byRoute["GET /groups/{id}/members"], 1);
    assert.equal(sim.requests.byRoute["GET /groups/{id}/transitiveMembers"], 1);
    assert.equal(sim.requests.byRoute["GET /users"], 1);
    assert.equal(sim.requests.resourceUnits, 3 + 4 + 2);
    assert.deepEqual(
      sim.requests.entries.map((entry) => entry.status),
      [200, 200, 200],
    );
  });
});

describe("paging with shortPages", () => {
  test("$top=999 yields short and empty pages that still carry a nextLink; nothing lost or repeated", async () => {
    const sim = await startGraphSim({ shortPages: true, maxPageSize: 120 });
    try {
      const demo = buildDemoTenant(sim.directory);
      const client = graphClient(sim, await rawToken(sim));
      const { items, pages } = await collectAll(
        client,
        `/groups/${demo.groups["MI All Staff"]}/transitiveMembers?$select=id&$top=999`,
      );
      assert.ok(
        pages.some((size) => size === 0),
        `pages: ${pages.join(",")}`,
      );
      assert.ok(
        pages.some((size) => size > 0 && size < 120),
        `pages: ${pages.join(",")}`,
      );
      const ids = items.map((item) => item.id);
      assert.equal(ids.length, demo.userCount);
      assert.equal(new Set(ids).size, demo.userCount);
    } finally {
      await sim.close();
    }
  });
});

describe("faults", () => {
  let sim: GraphSim;
  let token: string;
  let demo: DemoTenant;
  before(async () => {
    sim = await startGraphSim();
    demo = buildDemoTenant(sim.directory);
    token = await rawToken(sim);
  });
  after(() => sim.close());

  test("429 with fractional Retry-After is retried by graph-client's RetryHandler", async () => {
    sim.requests.reset();
    // graph-client parses the fractional seconds and waits them out (its own timer: kept short here).
    sim.faults.inject({ match: "/members", status: 429, retryAfter: "0.02", times: 2 });
    const page = (await graphClient(sim, token)
      .api(`/groups/${demo.groups["MI SRE"]}/members`)
      .get()) as PageCollection;
    assert.ok(page.value.length > 0);
    assert.deepEqual(
      sim.requests.entries.map((entry) => entry.status),
      [429, 429, 200],
    );
  });

  test("503 uses the throttling envelope; throttle headers on request; faults consumed in order", async () => {
    sim.faults.inject({ status: 503, retryAfter: "2", throttleHeaders: true });
    sim.faults.inject({ status: 504 });
    const first = await call(sim, "/v1.0/groups", { token });
    assert.equal(first.status, 503);
    assert.equal(first.headers.get("retry-after"), "2");
    assert.match(first.headers.get("x-ms-throttle-scope") ?? "", /^Tenant_Application\/ReadWrite\//);
    const envelope = errorOf(first.body);
    assert.equal(envelope.code, "TooManyRequests");
    assert.equal(envelope.message, "Please retry again later.");
    assert.equal(envelope.innerError.message, "Please retry after");
    assert.equal((await call(sim, "/v1.0/groups", { token })).status, 504);
    assert.equal((await call(sim, "/v1.0/groups", { token })).status, 200);
  });

  test("a Retry-After given as a function is worked out when the fault answers", async () => {
    let left = 2.5;
    sim.faults.inject({ match: "/users", status: 429, retryAfter: () => left.toFixed(1), times: 2 });
    assert.equal((await call(sim, "/v1.0/users", { token })).headers.get("retry-after"), "2.5");
    left = 0.4;
    assert.equal((await call(sim, "/v1.0/users", { token })).headers.get("retry-after"), "0.4");
    assert.equal((await call(sim, "/v1.0/users", { token })).status, 200);
  });

  test("a fault without match never hits the token endpoint", async () => {
    sim.faults.inject({ status: 500 });
    assert.ok(await rawToken(sim));
    assert.equal((await call(sim, "/v1.0/users", { token })).status, 500);
  });
});

describe("delta", () => {
  let clock: Date;
  let sim: GraphSim;
  let demo: DemoTenant;
  let client: Client;
  const select = "$select=displayName,members";

  interface DeltaPage {
    value: Array<Record<string, unknown>>;
    "@odata.nextLink"?: string;
    "@odata.deltaLink"?: string;
  }

  /** Follows a delta chain to its deltaLink, returning every page's items and the page count. */
  async function round(
    link: string,
  ): Promise<{ items: Array<Record<string, unknown>>; pages: number; deltaLink: string }> {
    const items: Array<Record<string, unknown>> = [];
    let pages = 0;
    let page = (await client.api(link).get()) as DeltaPage;
    for (;;) {
      pages += 1;
      items.push(...page.value);
      if (page["@odata.deltaLink"]) return { items, pages, deltaLink: page["@odata.deltaLink"] };
      assert.ok(page["@odata.nextLink"], "a page without deltaLink must have a nextLink");
      page = (await client.api(page["@odata.nextLink"]).get()) as DeltaPage;
    }
  }

  /** Merges members@delta by group id, as the contract says clients must. */
  function membersById(items: Array<Record<string, unknown>>): Map<string, Array<Record<string, unknown>>> {
    const merged = new Map<string, Array<Record<string, unknown>>>();
    for (const item of items) {
      const members = (item["members@delta"] as Array<Record<string, unknown>> | undefined) ?? [];
      merged.set(String(item.id), [...(merged.get(String(item.id)) ?? []), ...members]);
    }
    return merged;
  }

  before(async () => {
    clock = new Date("2026-01-01T00:00:00Z");
    sim = await startGraphSim({ now: () => clock, defaultPageSize: 20 });
    demo = buildDemoTenant(sim.directory);
    client = graphClient(sim, await rawToken(sim));
  });
  after(() => sim.close());

  const filterFor = (...names: string[]) =>
    `$filter=${encodeURIComponent(names.map((name) => `id eq '${demo.groups[name]}'`).join(" or "))}`;

  test("initial round: a big group is split over pages and repeated; merged by id it has every direct member", async () => {
    const { items, pages, deltaLink } = await round(`/groups/delta?${select}&${filterFor("MI Sales", "MI SRE")}`);
    assert.ok(deltaLink.startsWith(`${sim.url}/v1.0/groups/delta?$deltatoken=`));
    assert.ok(!deltaLink.includes("$select"), "select lives in the token");
    const sales = demo.groups["MI Sales"] ?? "";
    assert.ok(items.filter((item) => item.id === sales).length >= 5, "MI Sales repeats with member slices");
    assert.ok(pages >= 5);
    const merged = membersById(items);
    assert.equal(merged.get(sales)?.length, sim.directory.membersOf(sales).length);
    const sre = items.find((item) => item.id === demo.groups["MI SRE"]);
    assert.deepEqual(Object.keys(sre ?? {}).sort(), ["displayName", "id", "members@delta"]);
  });

  test("rounds: added member plain, removed member @removed deleted; unselected property change invisible; no change → empty", async () => {
    const start = await round(`/groups/delta?${select}&${filterFor("MI SRE", "MI Leadership")}`);
    const sre = demo.groups["MI SRE"] ?? "";
    const [leaver] = sim.directory.membersOf(sre);
    const joiner = sim.directory.addUser({ userPrincipalName: "joiner@contoso.onmicrosoft.com" });
    sim.directory.addMember(sre, joiner.id);
    sim.directory.removeMember(sre, leaver?.id ?? "");
    sim.directory.updateGroup(demo.groups["MI Leadership"] ?? "", { description: "not selected" });
    const changes = await round(start.deltaLink);
    assert.equal(changes.items.length, 1);
    assert.equal(changes.items[0]?.id, sre);
    assert.deepEqual(changes.items[0]?.["members@delta"], [
      { "@odata.type": "#microsoft.graph.user", id: joiner.id },
      { "@odata.type": `#microsoft.graph.${leaver?.kind}`, id: leaver?.id, "@removed": { reason: "deleted" } },
    ]);
    const quiet = await round(changes.deltaLink);
    assert.deepEqual(quiet.items, []);
    sim.directory.deleteGroup(demo.groups["MI Leadership"] ?? "");
    const deleted = await round(quiet.deltaLink);
    assert.deepEqual(deleted.items, [{ id: demo.groups["MI Leadership"], "@removed": { reason: "changed" } }]);
  });

  test("$deltatoken=latest: no data, then only later changes", async () => {
    const latest = (await client
      .api(`/groups/delta?$deltatoken=latest&${select}&${filterFor("MI Platform")}`)
      .get()) as DeltaPage;
    assert.deepEqual(latest.value, []);
    const platform = demo.groups["MI Platform"] ?? "";
    sim.directory.updateGroup(platform, { displayName: "MI Platform Team" });
    const next = await round(latest["@odata.deltaLink"] ?? "");
    assert.deepEqual(next.items, [{ id: platform, displayName: "MI Platform Team" }]);
  });

  test("a deltaLink older than 7 days on the sim clock → 400 syncStateNotFound", async () => {
    const start = await round(`/groups/delta?${select}&${filterFor("MI Marketing")}`);
    clock = new Date(clock.getTime() + 8 * 24 * 3600 * 1000);
    await assert.rejects(client.api(start.deltaLink).get(), (error: unknown) => {
      assert.ok(error instanceof GraphError);
      assert.equal(error.statusCode, 400);
      assert.equal(error.code, "syncStateNotFound");
      assert.match(error.message, /The sync state generation is not found/);
      return true;
    });
  });

  test("resetDeltaTokens → 410 Gone with Location to the initial query; following it restarts a full round", async () => {
    const start = await round(`/groups/delta?${select}&${filterFor("MI Marketing")}`);
    sim.faults.resetDeltaTokens();
    const token = await rawToken(sim);
    const gone = await call(sim, start.deltaLink, { token });
    assert.equal(gone.status, 410);
    const location = gone.headers.get("location") ?? "";
    assert.ok(location.startsWith(`${sim.url}/v1.0/groups/delta?`) && location.endsWith("$deltatoken="), location);
    const restarted = await round(location);
    const marketing = demo.groups["MI Marketing"] ?? "";
    assert.equal(membersById(restarted.items).get(marketing)?.length, sim.directory.membersOf(marketing).length);
    assert.equal((await call(sim, restarted.deltaLink, { token })).status, 200);
  });

  test("$filter: more than 50 ids or anything but id eq → 400 Request_UnsupportedQuery; $top ignored", async () => {
    const token = await rawToken(sim);
    const many = Array.from(
      { length: 51 },
      (_, i) => `id eq '00000000-0000-0000-0000-${String(i).padStart(12, "0")}'`,
    ).join(" or ");
    const tooMany = await call(sim, `/v1.0/groups/delta?$filter=${encodeURIComponent(many)}`, { token });
    assert.equal(tooMany.status, 400);
    assert.equal(errorOf(tooMany.body).code, "Request_UnsupportedQuery");
    const byName = await call(sim, `/v1.0/groups/delta?$filter=${encodeURIComponent("displayName eq 'MI Sales'")}`, {
      token,
    });
    assert.equal(byName.status, 400);
    assert.equal(errorOf(byName.body).code, "Request_UnsupportedQuery");
    const top = await call(sim, `/v1.0/groups/delta?$top=1&${select}&${filterFor("MI O'Brien Fans", "MI Cycle A")}`, {
      token,
    });
    assert.equal(top.status, 200);
    assert.ok(itemsOf(top.body).length > 1);
  });

  test("users/delta: a selected property change surfaces, a deleted user is @removed changed", async () => {
    const start = await round("/users/delta?$select=userPrincipalName,accountEnabled");
    assert.equal(start.items.length, sim.directory.listUsers().length + sim.directory.tombstones("user").size);
    const [first, second] = sim.directory.listUsers();
    sim.directory.disableUser(first?.id ?? "");
    sim.directory.deleteUser(second?.id ?? "");
    sim.directory.updateUser(sim.directory.listUsers()[5]?.id ?? "", { jobTitle: "not selected" });
    const changes = await round(start.deltaLink);
    assert.deepEqual(changes.items, [
      { id: first?.id, userPrincipalName: first?.userPrincipalName, accountEnabled: false },
      { id: second?.id, "@removed": { reason: "changed" } },
    ]);
  });

  test("an initial round can already hold @removed members (contract §2, docs-contrib#6124)", async () => {
    const cycleB = demo.groups["MI Cycle B"] ?? "";
    const [gone] = sim.directory.membersOf(cycleB);
    sim.directory.removeMember(cycleB, gone?.id ?? "");
    const { items } = await round(`/groups/delta?${select}&${filterFor("MI Cycle B")}`);
    const members = membersById(items).get(cycleB) ?? [];
    assert.ok(members.some((member) => member.id === gone?.id && "@removed" in member));
  });
});

describe("$batch", () => {
  let sim: GraphSim;
  let demo: DemoTenant;
  let token: string;
  before(async () => {
    sim = await startGraphSim();
    demo = buildDemoTenant(sim.directory);
    token = await rawToken(sim);
  });
  after(() => sim.close());

  const post = (body: unknown) =>
    call(sim, "/v1.0/$batch", {
      token,
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });

  interface BatchAnswer {
    responses: Array<{ id: string; status: number; headers: Record<string, string>; body: Record<string, unknown> }>;
  }

  test("graph-client BatchRequestContent: per-request headers honoured, responses matched by id", async () => {
    const client = graphClient(sim, token);
    const user = demo.notableUsers.guest;
    const content = new BatchRequestContent([
      { id: "1", request: new Request(`${sim.url}/users/${user}?$select=id,mail`) },
      {
        id: "2",
        request: new Request(`${sim.url}/groups/${demo.groups["MI SRE"]}/members?$select=id&$count=true`, {
          headers: { ConsistencyLevel: "eventual" },
        }),
      },
      { id: "3", request: new Request(`${sim.url}/groups/00000000-0000-0000-0000-000000000000`) },
    ]);
    const answer = await client.api("/$batch").post(await content.getContent());
    const responses = new BatchResponseContent(answer);
    assert.deepEqual(await responses.getResponseById("1")?.json(), {
      "@odata.context": `${sim.url}/v1.0/$metadata#users(id,mail)/$entity`,
      id: user,
      mail: "jane@partner.com",
    });
    const members = (await responses.getResponseById("2")?.json()) as Record<string, unknown>;
    assert.equal(members["@odata.count"], sim.directory.membersOf(demo.groups["MI SRE"] ?? "").length);
    assert.equal(responses.getResponseById("3")?.status, 404);
    assert.equal(sim.requests.batchedRequests, 3);
  });

  test("responses come back shuffled (deterministically); outer 200 even when inner requests fail", async () => {
    const requests = Array.from({ length: 6 }, (_, i) => ({
      id: String(i + 1),
      method: "GET",
      url: `/users?$top=1&n=${i}`,
    }));
    const first = await post({ requests });
    const second = await post({ requests });
    assert.equal(first.status, 200);
    const order = (first.body as BatchAnswer).responses.map((response) => response.id);
    assert.notDeepEqual(order, ["1", "2", "3", "4", "5", "6"]);
    assert.deepEqual(
      (second.body as BatchAnswer).responses.map((response) => response.id),
      order,
    );
  });

  test("inner 429 with its own Retry-After when a fault targets an inner url; dependsOn a failure → 424", async () => {
    sim.faults.inject({ match: /\/v1\.0\/users\/[^/?]+\?\$select=id$/, status: 429, retryAfter: "3" });
    const answer = await post({
      requests: [
        { id: "a", method: "GET", url: `/users/${demo.notableUsers.disabled}?$select=id` },
        { id: "b", method: "GET", url: "/groups/00000000-0000-0000-0000-000000000000" },
        { id: "c", method: "GET", url: `/groups/${demo.groups["MI SRE"]}`, dependsOn: ["b"] },
      ],
    });
    assert.equal(answer.status, 200);
    const byId = new Map((answer.body as BatchAnswer).responses.map((response) => [response.id, response]));
    assert.equal(byId.get("a")?.status, 429);
    assert.equal(byId.get("a")?.headers["Retry-After"], "3");
    assert.equal(errorOf(byId.get("a")?.body).code, "TooManyRequests");
    assert.equal(byId.get("b")?.status, 404);
    assert.equal(byId.get("c")?.status, 424);
  });

  test("more than 20 requests, duplicate ids, or a malformed body → outer 400", async () => {
    const many = Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: "GET", url: "/users" }));
    assert.equal((await post({ requests: many })).status, 400);
    const duplicate = await post({
      requests: [
        { id: "1", method: "GET", url: "/users" },
        { id: "1", method: "GET", url: "/groups" },
      ],
    });
    assert.equal(duplicate.status, 400);
    errorOf(duplicate.body);
    const malformed = await call(sim, "/v1.0/$batch", {
      token,
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{nope",
    });
    assert.equal(malformed.status, 400);
    assert.equal(errorOf(malformed.body).code, "BadRequest");
    assert.equal((await post({ requests: [{ id: "1" }] })).status, 400);
  });
});

describe("knobs", () => {
  test("setLatency delays every answer; deltaVisibilityDelayMs hides young changes; deleted users' removals can be hidden", async () => {
    let clock = new Date("2026-03-01T00:00:00Z");
    const slept: number[] = [];
    const sim = await startGraphSim({
      now: () => clock,
      sleep: async (ms) => {
        slept.push(ms);
      },
      deltaVisibilityDelayMs: 60_000,
      hideMembershipRemovalsOfDeletedUsers: true,
    });
    try {
      const token = await rawToken(sim);
      const group = sim.directory.addGroup({ displayName: "MI Knobs" });
      const stays = sim.directory.addUser({ userPrincipalName: "stays@contoso.onmicrosoft.com" });
      const leaves = sim.directory.addUser({ userPrincipalName: "leaves@contoso.onmicrosoft.com" });
      sim.directory.addMember(group.id, stays.id);
      sim.directory.addMember(group.id, leaves.id);

      sim.faults.setLatency(150);
      const initial = await call(sim, `/v1.0/groups/delta?$select=members&$filter=id eq '${group.id}'`, { token });
      assert.deepEqual(slept, [150], "the answer waited the latency set");
      sim.faults.setLatency(0);
      const deltaLink = String((initial.body as Record<string, unknown>)["@odata.deltaLink"]);

      sim.directory.deleteUser(leaves.id);
      const joiner = sim.directory.addUser({ userPrincipalName: "joiner@contoso.onmicrosoft.com" });
      sim.directory.addMember(group.id, joiner.id);
      const young = await call(sim, deltaLink, { token });
      assert.deepEqual(itemsOf(young.body), [], "changes younger than the delay stay invisible");

      clock = new Date(clock.getTime() + 61_000);
      const visible = await call(sim, deltaLink, { token });
      assert.deepEqual(itemsOf(visible.body), [
        { id: group.id, "members@delta": [{ "@odata.type": "#microsoft.graph.user", id: joiner.id }] },
      ]);
    } finally {
      await sim.close();
    }
  });
});
