/**
 * TableSyncStateStore against a real Azurite (in-process): the rows it writes, the races it refuses, and the errors it
 * raises. Each suite gets its own table prefix, so suites never see each other's rows.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TableClient } from "@azure/data-tables";
import { type RunningAzurite, startAzurite } from "../../sim/azurite/start-azurite.js";
import {
  StateAuthError,
  StateConflictError,
  StateCorruptError,
  StateUnavailableError,
} from "../../src/state/state-errors.js";
import type { DeltaChain, RunRecord, SubscriptionRecord, UserLedgerEntry } from "../../src/state/sync-state-store.js";
import { TableSyncStateStore } from "../../src/state/table-sync-state-store.js";

let azurite: RunningAzurite;
let prefixes = 0;

before(async () => {
  azurite = await startAzurite();
});
after(async () => {
  await azurite.close();
});

/** A store on fresh tables, with a clock the test moves. */
async function freshStore(): Promise<{ store: TableSyncStateStore; clock: { now: Date }; prefix: string }> {
  const prefix = `t${++prefixes}x${Date.now().toString(36)}`;
  const clock = { now: new Date("2026-03-10T12:00:00.000Z") };
  const store = new TableSyncStateStore({
    connectionString: azurite.connectionString,
    tablePrefix: prefix,
    now: () => clock.now,
  });
  await store.initialize();
  return { store, clock, prefix };
}

function rawTable(prefix: string, suffix: string): TableClient {
  return TableClient.fromConnectionString(azurite.connectionString, `${prefix}${suffix}`, {
    allowInsecureConnection: true,
  });
}

const chain = (overrides: Partial<DeltaChain> = {}): DeltaChain => ({
  chainId: "groups-0",
  kind: "groups",
  groupIds: ["0b8a4a0e-1111-4c4c-9d9d-000000000001", "0b8a4a0e-1111-4c4c-9d9d-000000000002"],
  deltaLink: undefined,
  updatedAt: "2026-03-10T12:00:00.000Z",
  ...overrides,
});

describe("TableSyncStateStore: setup", () => {
  test("initialize twice → no error (tables that exist are fine)", async () => {
    const { store } = await freshStore();
    await store.initialize();
  });

  test("an invalid table prefix → UsageError before any call", () => {
    assert.throws(
      () => new TableSyncStateStore({ connectionString: azurite.connectionString, tablePrefix: "bad-prefix" }),
      {
        code: "state.invalid_name",
      },
    );
  });
});

describe("TableSyncStateStore: delta chains", () => {
  test("create, read, replace with the etag read → each save returns a new etag and the read sees the last", async () => {
    const { store } = await freshStore();
    assert.equal(await store.getDeltaChain("groups-0"), undefined);

    const created = await store.saveDeltaChain(chain());
    assert.ok(created.etag);
    const read = await store.getDeltaChain("groups-0");
    assert.deepEqual(read, { ...chain(), etag: created.etag });

    const link = `https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=${"x".repeat(4000)}`;
    const replaced = await store.saveDeltaChain({
      ...read!,
      deltaLink: link,
      readFrom: "2026-03-10T12:04:59.000Z",
      updatedAt: "2026-03-10T12:05:00.000Z",
    });
    assert.notEqual(replaced.etag, created.etag);
    const reread = await store.getDeltaChain("groups-0");
    assert.equal(reread?.deltaLink, link);
    assert.equal(reread?.readFrom, "2026-03-10T12:04:59.000Z");
  });

  test("listDeltaChains(kind) → only that kind's chains", async () => {
    const { store } = await freshStore();
    await store.saveDeltaChain(chain({ chainId: "groups-0" }));
    await store.saveDeltaChain(chain({ chainId: "groups-1", groupIds: ["g3"] }));
    await store.saveDeltaChain(chain({ chainId: "users", kind: "users", groupIds: [] }));
    const groups = await store.listDeltaChains("groups");
    assert.deepEqual(groups.map((c) => c.chainId).sort(), ["groups-0", "groups-1"]);
    assert.deepEqual(
      (await store.listDeltaChains("users")).map((c) => c.groupIds),
      [[]],
    );
  });

  test("save with a stale etag → StateConflictError, the newer row is kept", async () => {
    const { store } = await freshStore();
    const first = await store.saveDeltaChain(chain());
    await store.saveDeltaChain({ ...first, deltaLink: "https://graph/newer" });
    await assert.rejects(store.saveDeltaChain({ ...first, deltaLink: "https://graph/stale" }), (error: unknown) => {
      assert.ok(error instanceof StateConflictError);
      assert.equal(error.code, "state.conflict");
      assert.equal(error.retryable, true);
      assert.match(error.message, /groups-0/);
      return true;
    });
    assert.equal((await store.getDeltaChain("groups-0"))?.deltaLink, "https://graph/newer");
  });

  test("create (no etag) of a chain that exists → StateConflictError", async () => {
    const { store } = await freshStore();
    await store.saveDeltaChain(chain());
    await assert.rejects(store.saveDeltaChain(chain()), StateConflictError);
  });

  test("replace of a chain deleted meanwhile → StateConflictError", async () => {
    const { store } = await freshStore();
    const saved = await store.saveDeltaChain(chain());
    await store.deleteDeltaChain("groups-0");
    await assert.rejects(store.saveDeltaChain(saved), StateConflictError);
  });

  test("two workers save from the same read → exactly one wins, the other gets StateConflictError", async () => {
    const { store } = await freshStore();
    await store.saveDeltaChain(chain());
    const read = (await store.getDeltaChain("groups-0"))!;
    const results = await Promise.allSettled([
      store.saveDeltaChain({ ...read, deltaLink: "https://graph/worker-a" }),
      store.saveDeltaChain({ ...read, deltaLink: "https://graph/worker-b" }),
    ]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    assert.ok(lost[0]!.reason instanceof StateConflictError);
    const winner = (won[0] as PromiseFulfilledResult<DeltaChain>).value.deltaLink;
    assert.equal((await store.getDeltaChain("groups-0"))?.deltaLink, winner);
  });

  test("two workers create the same chain at once → exactly one wins", async () => {
    const { store } = await freshStore();
    const results = await Promise.allSettled([store.saveDeltaChain(chain()), store.saveDeltaChain(chain())]);
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    assert.ok(lost?.reason instanceof StateConflictError);
  });

  test("deleteDeltaChain twice → no error (idempotent)", async () => {
    const { store } = await freshStore();
    await store.saveDeltaChain(chain());
    await store.deleteDeltaChain("groups-0");
    await store.deleteDeltaChain("groups-0");
    assert.equal(await store.getDeltaChain("groups-0"), undefined);
  });
});

describe("TableSyncStateStore: leases", () => {
  const scope = "group:0b8a4a0e-1111-4c4c-9d9d-000000000001";

  test("acquire a free scope → lease; a second owner → undefined; the same owner again → extended", async () => {
    const { store, clock } = await freshStore();
    const lease = await store.acquireLease(scope, "worker-a", 60_000);
    assert.ok(lease);
    assert.equal(lease.owner, "worker-a");
    assert.equal(lease.expiresAt, "2026-03-10T12:01:00.000Z");
    assert.equal(await store.acquireLease(scope, "worker-b", 60_000), undefined);

    clock.now = new Date("2026-03-10T12:00:30.000Z");
    const again = await store.acquireLease(scope, "worker-a", 60_000);
    assert.equal(again?.expiresAt, "2026-03-10T12:01:30.000Z");
  });

  test("after expiry (by the now seam) → a second owner takes it; the first owner's renew → StateConflictError", async () => {
    const { store, clock } = await freshStore();
    const first = (await store.acquireLease(scope, "worker-a", 60_000))!;
    clock.now = new Date("2026-03-10T12:01:00.001Z");
    const second = await store.acquireLease(scope, "worker-b", 60_000);
    assert.equal(second?.owner, "worker-b");
    await assert.rejects(store.renewLease(first, 60_000), (error: unknown) => {
      assert.ok(error instanceof StateConflictError);
      assert.match(error.message, /lost/);
      return true;
    });
    // The lost holder's release leaves the new holder's lease alone.
    await store.releaseLease(first);
    assert.equal(await store.acquireLease(scope, "worker-c", 60_000), undefined);
  });

  test("renew → later expiry and a new etag; the old etag no longer renews", async () => {
    const { store, clock } = await freshStore();
    const lease = (await store.acquireLease(scope, "worker-a", 60_000))!;
    clock.now = new Date("2026-03-10T12:00:45.000Z");
    const renewed = await store.renewLease(lease, 60_000);
    assert.equal(renewed.expiresAt, "2026-03-10T12:01:45.000Z");
    assert.notEqual(renewed.etag, lease.etag);
    await assert.rejects(store.renewLease(lease, 60_000), StateConflictError);
  });

  test("release → another owner can take it at once; releasing twice → no error", async () => {
    const { store } = await freshStore();
    const lease = (await store.acquireLease(scope, "worker-a", 60_000))!;
    await store.releaseLease(lease);
    await store.releaseLease(lease);
    assert.equal((await store.acquireLease(scope, "worker-b", 60_000))?.owner, "worker-b");
    await assert.rejects(store.renewLease(lease, 1000), StateConflictError);
  });

  test("two owners acquire a free scope at once → exactly one lease", async () => {
    const { store } = await freshStore();
    const results = await Promise.all([
      store.acquireLease(scope, "worker-a", 60_000),
      store.acquireLease(scope, "worker-b", 60_000),
    ]);
    assert.equal(results.filter((lease) => lease !== undefined).length, 1);
  });

  test("two owners take over an expired lease at once → exactly one lease", async () => {
    const { store, clock } = await freshStore();
    await store.acquireLease(scope, "worker-a", 1000);
    clock.now = new Date("2026-03-10T12:00:05.000Z");
    const results = await Promise.all([
      store.acquireLease(scope, "worker-b", 60_000),
      store.acquireLease(scope, "worker-c", 60_000),
    ]);
    assert.equal(results.filter((lease) => lease !== undefined).length, 1);
  });

  test("a scope with characters forbidden in keys (/ # ?) → still one lease per scope", async () => {
    const { store } = await freshStore();
    const odd = "chain:groups/0#a?b";
    assert.ok(await store.acquireLease(odd, "worker-a", 60_000));
    assert.equal(await store.acquireLease(odd, "worker-b", 60_000), undefined);
    assert.ok(await store.acquireLease("chain:groups/0#a?c", "worker-b", 60_000));
  });
});

describe("TableSyncStateStore: subscriptions", () => {
  const secret = "cs-5f1d7c9e-SECRET-current";
  const previous = "cs-0aa1bb2c-SECRET-previous";
  const record = (overrides: Partial<SubscriptionRecord> = {}): SubscriptionRecord => ({
    id: "7f105c7d-2dc5-4530-97cd-4e7ae6534c07",
    resource: "groups/0b8a4a0e-1111-4c4c-9d9d-000000000001",
    kind: "group",
    groupId: "0b8a4a0e-1111-4c4c-9d9d-000000000001",
    clientState: secret,
    previousClientState: previous,
    expirationDateTime: "2026-03-12T12:00:00.000Z",
    notificationUrl: "https://func.example.net/api/graph/notifications",
    lifecycleNotificationUrl: "https://func.example.net/api/graph/lifecycle",
    createdAt: "2026-03-10T12:00:00.000Z",
    ...overrides,
  });

  test("save, get, list, replace, delete → secrets round-trip exactly; optional fields stay absent", async () => {
    const { store } = await freshStore();
    const saved = await store.saveSubscription(record());
    assert.deepEqual(await store.getSubscription(saved.id), saved);

    const users = await store.saveSubscription({
      id: "a1b2c3d4-0000-4000-8000-000000000009",
      resource: "users",
      kind: "users",
      clientState: "cs-users-SECRET",
      expirationDateTime: "2026-03-12T12:00:00.000Z",
      notificationUrl: "https://func.example.net/api/graph/notifications",
      createdAt: "2026-03-10T12:00:00.000Z",
    });
    const readUsers = await store.getSubscription(users.id);
    assert.deepEqual(readUsers, users);
    assert.equal(readUsers && "groupId" in readUsers, false);
    assert.equal((await store.listSubscriptions()).length, 2);

    const rotated = await store.saveSubscription({
      ...saved,
      clientState: "cs-new-SECRET",
      previousClientState: secret,
    });
    assert.equal((await store.getSubscription(saved.id))?.previousClientState, secret);
    assert.notEqual(rotated.etag, saved.etag);

    await store.deleteSubscription(saved.id);
    await store.deleteSubscription(saved.id);
    assert.equal(await store.getSubscription(saved.id), undefined);
  });

  test("stale etag → StateConflictError whose message and cause hold no secret", async () => {
    const { store } = await freshStore();
    const saved = await store.saveSubscription(record());
    await store.saveSubscription({ ...saved, expirationDateTime: "2026-03-13T12:00:00.000Z" });
    const error = await store.saveSubscription(saved).then(
      () => assert.fail("expected a conflict"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof StateConflictError);
    const text = `${error.message} ${String(error.cause)} ${error.hint ?? ""}`;
    assert.ok(!text.includes(secret) && !text.includes(previous), text);
    assert.ok(!text.includes("AccountKey"));
  });

  test("a corrupted subscription row → StateCorruptError naming the table and key, not the secret", async () => {
    const { store, prefix } = await freshStore();
    await rawTable(prefix, "Subscriptions").createEntity({
      partitionKey: "subscriptions",
      rowKey: "broken-sub",
      id: "broken-sub",
      kind: "group",
      clientState: secret,
    });
    const error = await store.listSubscriptions().then(
      () => assert.fail("expected corrupt"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof StateCorruptError);
    assert.equal(error.table, `${prefix}Subscriptions`);
    assert.equal(error.rowKey, "broken-sub");
    assert.match(error.message, /broken-sub/);
    assert.ok(!error.message.includes(secret), error.message);
  });
});

describe("TableSyncStateStore: user ledger", () => {
  const guid = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
  const entry = (n: number, overrides: Partial<UserLedgerEntry> = {}): UserLedgerEntry => ({
    entraId: guid(n),
    miId: `${1000 + n}`,
    username: `user${n}@contoso.com`,
    email: `user${n}@contoso.com`,
    claims: true,
    updatedAt: "2026-03-10T12:00:00.000Z",
    ...overrides,
  });

  test("save 250 entries (several 100-row transactions) → all read back and listed; unknown ids are absent", async () => {
    const { store } = await freshStore();
    const entries = Array.from({ length: 250 }, (_, i) => entry(i));
    await store.saveUserEntries(entries, new Map());
    const found = await store.getUserEntries([...entries.map((e) => e.entraId), guid(9999)]);
    assert.equal(found.size, 250);
    assert.deepEqual(found.get(guid(7)), entries[7]);
    assert.equal(found.has(guid(9999)), false);
    assert.equal((await store.listUserEntries()).length, 250);
    assert.equal((await store.getUserEntries([])).size, 0);
  });

  test("findClaimants: every claimant of a username or email, case-insensitive; a changed claim drops the old one", async () => {
    const { store } = await freshStore();
    const ann = entry(1, { username: "Ann@contoso.com", email: "shared@contoso.com" });
    const bob = entry(2, { username: "bob@contoso.com", email: "SHARED@contoso.com" });
    const off = entry(3, { username: "ann@contoso.com", claims: false });
    await store.saveUserEntries([ann, bob, off], new Map());
    assert.deepEqual([...(await store.findClaimants({ usernames: ["ANN@contoso.com"], emails: [] }))], [ann.entraId]);
    assert.deepEqual(
      [...(await store.findClaimants({ usernames: [], emails: ["shared@CONTOSO.com"] }))].sort(),
      [ann.entraId, bob.entraId].sort(),
    );
    const renamed = { ...ann, username: "anna@contoso.com", email: "anna@contoso.com" };
    await store.saveUserEntries([renamed], new Map([[ann.entraId, ann]]));
    assert.deepEqual([...(await store.findClaimants({ usernames: ["ann@contoso.com"], emails: [] }))], []);
    assert.deepEqual(
      [...(await store.findClaimants({ usernames: [], emails: ["shared@contoso.com"] }))],
      [bob.entraId],
    );
    assert.deepEqual([...(await store.findClaimants({ usernames: ["anna@contoso.com"], emails: [] }))], [ann.entraId]);
    // Saving again from the same previous state (a retry after a crash) deletes nothing twice and fails nothing.
    await store.saveUserEntries([renamed], new Map([[ann.entraId, ann]]));
  });

  test("touchUsers / usersTouchedSince / pruneTouches: notes by time", async () => {
    const { store } = await freshStore();
    await store.touchUsers([guid(1), guid(2)], "2026-03-10T12:00:00.000Z");
    await store.touchUsers([guid(2), guid(3)], "2026-03-10T12:05:00.000Z");
    assert.deepEqual((await store.usersTouchedSince("2026-03-10T12:01:00.000Z")).sort(), [guid(2), guid(3)]);
    await store.pruneTouches("2026-03-10T12:01:00.000Z");
    assert.deepEqual((await store.usersTouchedSince("2026-03-10T00:00:00.000Z")).sort(), [guid(2), guid(3)]);
  });
});

describe("TableSyncStateStore: runs", () => {
  const run = (runId: string, startedAt: string, overrides: Partial<RunRecord> = {}): RunRecord => ({
    runId,
    kind: "worker",
    trigger: "queue",
    startedAt,
    finishedAt: startedAt,
    status: "succeeded",
    counts: { addMember: 2, removeMember: 0 },
    errors: [],
    ...overrides,
  });

  test("runs across months → listRuns gives the newest first, cut to the limit", async () => {
    const { store } = await freshStore();
    const starts = [
      "2026-01-31T23:59:59.000Z",
      "2026-03-01T00:00:00.000Z",
      "2026-02-15T10:00:00.000Z",
      "2025-12-31T08:00:00.000Z",
      "2026-03-01T00:00:00.000Z", // same instant as r2: the run id keeps them apart
    ];
    for (const [i, startedAt] of starts.entries()) await store.recordRun(run(`r${i + 1}`, startedAt));
    const newest = await store.listRuns({ limit: 3 });
    assert.deepEqual(
      newest.map((r) => r.startedAt),
      ["2026-03-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z", "2026-02-15T10:00:00.000Z"],
    );
    const all = await store.listRuns();
    assert.deepEqual(
      all.map((r) => r.runId),
      ["r2", "r5", "r3", "r1", "r4"],
    );
  });

  test("a run round-trips counts, errors and detail; recording it again replaces it", async () => {
    const { store } = await freshStore();
    const record = run("run-1", "2026-03-10T12:00:00.000Z", {
      status: "partial",
      errors: ["MI answered 500 for group 42"],
      detail: { groupId: "g1", latencyMs: 812, fromNotification: true },
    });
    await store.recordRun(record);
    await store.recordRun({ ...record, counts: { addMember: 3 } });
    const runs = await store.listRuns();
    assert.equal(runs.length, 1);
    assert.deepEqual(runs[0], { ...record, counts: { addMember: 3 } });
  });

  test("a run with 5000 long error lines → stored cut to 100 lines, the last saying how many were dropped", async () => {
    const { store } = await freshStore();
    const errors = Array.from({ length: 5000 }, (_, i) => `error ${i}: ${"x".repeat(2000)}`);
    await store.recordRun(run("big", "2026-03-10T12:00:00.000Z", { status: "failed", errors }));
    const [stored] = await store.listRuns({ limit: 1 });
    assert.ok(stored);
    assert.ok(stored.errors.length <= 100);
    assert.ok(stored.errors.every((line) => line.length <= 1000));
    assert.match(stored.errors.at(-1) ?? "", /more error line\(s\) not stored/);
  });
});

describe("TableSyncStateStore: corrupted rows and storage failures", () => {
  test("a delta chain row with bad JSON and an unknown kind → StateCorruptError naming table, keys and fields", async () => {
    const { store, prefix } = await freshStore();
    await rawTable(prefix, "DeltaChains").createEntity({
      partitionKey: "chains",
      rowKey: "groups-9",
      chainId: "groups-9",
      kind: "teams",
      groupIds: "[not json",
      updatedAt: "2026-03-10T12:00:00.000Z",
    });
    await assert.rejects(store.getDeltaChain("groups-9"), (error: unknown) => {
      assert.ok(error instanceof StateCorruptError);
      assert.equal(error.code, "state.corrupt");
      assert.equal(error.table, `${prefix}DeltaChains`);
      assert.equal(error.partitionKey, "chains");
      assert.equal(error.rowKey, "groups-9");
      assert.match(error.message, /groupIds/);
      assert.match(error.message, /kind/);
      return true;
    });
  });

  test("a lease row with a non-date expiry → StateCorruptError, not a crash or a free lease", async () => {
    const { store, prefix } = await freshStore();
    await rawTable(prefix, "Leases").createEntity({
      partitionKey: "leases",
      rowKey: "scope-x",
      scope: "scope-x",
      owner: "a",
      expiresAt: "soon",
    });
    await assert.rejects(store.acquireLease("scope-x", "b", 1000), StateCorruptError);
  });

  test("a run row with counts of the wrong type → StateCorruptError", async () => {
    const { store, prefix } = await freshStore();
    await rawTable(prefix, "Runs").createEntity({
      partitionKey: "000000-9999-99",
      rowKey: "0",
      runId: "r",
      kind: "worker",
      trigger: "queue",
      startedAt: "x",
      finishedAt: "x",
      status: "succeeded",
      counts: '{"a":"many"}',
      errors: "[]",
    });
    await assert.rejects(store.listRuns(), StateCorruptError);
  });

  test("the wrong account key → StateAuthError whose message holds neither key nor connection string", async () => {
    const wrongKey = Buffer.from("not-the-azurite-key-not-the-azurite-key-0000").toString("base64");
    const connectionString = azurite.connectionString.replace(/AccountKey=[^;]+/, `AccountKey=${wrongKey}`);
    const store = new TableSyncStateStore({ connectionString, tablePrefix: "authcheck" });
    const error = await store.getDeltaChain("groups-0").then(
      () => assert.fail("expected an auth error"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof StateAuthError, String(error));
    assert.equal(error.code, "state.auth");
    assert.match(error.message, /authcheckDeltaChains/);
    assert.ok(!error.message.includes(wrongKey) && !error.message.includes("AccountKey"));
  });

  test("nothing listening → StateUnavailableError (retryable) naming the table and the next step", {
    timeout: 60_000,
  }, async () => {
    const connectionString = azurite.connectionString.replace(
      /TableEndpoint=http:\/\/127\.0\.0\.1:\d+/,
      "TableEndpoint=http://127.0.0.1:1",
    );
    const store = new TableSyncStateStore({ connectionString, tablePrefix: "down" });
    await assert.rejects(store.initialize(), (error: unknown) => {
      assert.ok(error instanceof StateUnavailableError, String(error));
      assert.equal(error.retryable, true);
      assert.match(error.message, /down(DeltaChains|Subscriptions|Leases|IdMap|Runs)/);
      assert.match(error.message, /reachable/);
      assert.ok(!error.message.includes("AccountKey"));
      return true;
    });
  });
});
