import { Prng } from "../../../bench/tenant/prng.js";
import type { RunningAzurite } from "../../../sim/azurite/start-azurite.js";
import { type Lab, startLab } from "../../../sim/sandbox/lab.js";
import { buildLiveDeps } from "../../../src/functions/runtime.js";
import type { LiveDeps } from "../../../src/live/live-deps.js";
import { processSyncMessage } from "../../../src/live/process-sync-message.js";
import { reconcileAll } from "../../../src/live/reconcile.js";
import { groupMessage, usersMessages } from "../../../src/live/sync-message.js";
import { MiRestDirectory } from "../../../src/mi/mi-rest-directory.js";
import { StateUnavailableError } from "../../../src/state/state-errors.js";
import type { SyncStateStore } from "../../../src/state/sync-state-store.js";
import { TableSyncStateStore } from "../../../src/state/table-sync-state-store.js";
import { mapUser } from "../../../src/sync/map-user.js";
import { runSync } from "../../../src/sync/run-sync.js";
import { MemoryQueue } from "./memory-queue.js";

/**
 * One seeded history for the differential test: a small tenant, a random sequence of Entra changes (adds, removes,
 * renames, mail changes and clashes, disables and re-enables, deletions, new users and groups, nested groups, two
 * groups of one name, the acting user and an MI administrator), their notifications delivered late, twice or in any
 * order, and faults on every side (Graph and MI throttling and outages, MI deadlocks and expired sessions, a state
 * write failing, a worker dying with its leases held), all on a clock the test owns. The worker is the production
 * `processSyncMessage` with the production adapters, over real HTTP to the simulators and a real Azurite.
 *
 * Once nothing is left to deliver, MI must be what `provision` with the same settings leaves: a provision planned
 * against it finds nothing to do, every member of a synced MI group is an Entra member's account, and nothing is in
 * the poison queue.
 */
export interface SeedReport {
  seed: number;
  events: number;
  messages: number;
  faults: Record<string, number>;
  /** What is wrong with MI once quiet; empty when it converged. */
  problems: string[];
}

const START = Date.parse("2026-06-01T00:00:00.000Z");
const NAMES = ["ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal", "ivy", "jon"];
const DOMAINS = ["contoso.com", "fabrikam.com"];
const SYNCED = ["G Sales", "G Ops", "G Eng"];
const MAX_STEPS = 4_000;

type Fault = "graph-429" | "graph-503" | "mi-429" | "mi-503" | "mi-deadlock" | "mi-412" | "state-write" | "kill";

export async function runSeed(
  seed: number,
  azurite: RunningAzurite,
  trace: (line: string) => void = () => {},
): Promise<SeedReport> {
  const rng = new Prng(seed * 7919 + 17);
  let clock = START;
  const now = (): Date => new Date(clock);
  const lab = await startLab({ graph: { now, deltaVisibilityDelayMs: rng.next() < 0.3 ? 1_500 : 0 } });
  const faults: Record<string, number> = {};
  let messages = 0;
  try {
    const scenario = buildScenario(rng, lab);
    const deps = await liveDeps(
      lab,
      azurite,
      seed,
      scenario.settings,
      () => clock,
      (ms) => {
        clock += ms;
      },
    );
    const { state } = deps;
    const queue = deps.queue as MemoryQueue;
    const control = state as FaultyState;

    const deliver = async (): Promise<boolean> => {
      const message = queue.take((n) => rng.int(n));
      if (!message) return false;
      messages++;
      const fault = rng.next() < 0.25 ? injectFault(rng, lab, control) : undefined;
      if (fault) faults[fault] = (faults[fault] ?? 0) + 1;
      try {
        const done = await processSyncMessage(message.body, deps, {
          trigger: "queue",
          dequeueCount: message.dequeueCount,
          messageId: String(message.id),
        });
        trace(
          `t+${clock - START} deliver ${JSON.stringify(message.body)} fault=${fault ?? "-"} → ${done.disposition} ` +
            `${JSON.stringify(done.run?.detail ?? {})} ${JSON.stringify(done.run?.counts ?? {})} ${done.run?.errors.join("; ") ?? ""}`,
        );
      } catch {
        // What the host does with a handler that throws: the message comes back after host.json's visibility timeout.
        if (message.dequeueCount < 5) queue.messages.push({ ...message, visibleAt: clock + 5_000 });
        else await queue.poison(message.body, "maxDequeueCount");
      } finally {
        lab.graph.faults.clear();
        lab.mi.faults.clear();
        control.settle();
      }
      return true;
    };
    const timer = async (): Promise<void> => {
      try {
        await reconcileAll(deps);
      } catch {
        // A failed timer run is the next run's to repeat; the live path must not depend on it.
      }
    };

    trace(`settings ${JSON.stringify(scenario.settings)}`);
    for (const u of lab.graph.directory.listUsers())
      trace(`user ${u.id} ${u.userPrincipalName} mail=${u.mail} enabled=${u.accountEnabled}`);
    for (const g of lab.graph.directory.listGroups())
      trace(
        `group ${g.id} ${g.displayName}: ${lab.graph.directory
          .membersOf(g.id)
          .map((m) => m.id)
          .join(",")}`,
      );
    await timer();
    trace(
      `reconciled: MI ${JSON.stringify(lab.mi.state.groups().map((g) => [g.name, lab.mi.state.membersOfGroup(g.name)]))}`,
    );
    let events = 0;
    const total = 12 + rng.int(14);
    for (let step = 0; step < MAX_STEPS; step++) {
      if (events < total && rng.next() < 0.45) {
        clock += rng.int(2_000);
        const notified = applyEvent(rng, lab, scenario, trace);
        events++;
        if (notified === "timer") await timer();
        else for (const n of notified) await notify(rng, queue, n, now());
        continue;
      }
      if (await deliver()) {
        clock += rng.int(300);
        continue;
      }
      const next = queue.nextVisibleAt();
      if (next === undefined) {
        if (events >= total) break;
        continue;
      }
      clock = Math.max(clock + 1, next);
    }
    control.settle();
    return { seed, events, messages, faults, problems: await check(deps, queue, lab) };
  } finally {
    await lab.close();
  }
}

interface Scenario {
  settings: Record<string, string>;
  transitive: boolean;
  /** Entra ids of the groups the app may ever sync (a new "G …" group joins). */
  groups: string[];
  nested: string;
  other: string;
  newGroups: number;
}

/** The tenant and settings of one seed. */
function buildScenario(rng: Prng, lab: Lab): Scenario {
  const dir = lab.graph.directory;
  const transitive = rng.next() < 0.3;
  const settings: Record<string, string> = {
    SYNC_FILTER: "G ",
    SYNC_AUTO_CREATE: "all",
    SYNC_MAX_REMOVALS: "none",
    RECONCILE_FANOUT_THRESHOLD: rng.next() < 0.3 ? "0" : "20",
  };
  if (transitive) settings.SYNC_PROCESS_CHILD_GROUPS = "true";
  if (rng.next() < 0.35)
    settings.SYNC_ATTRIBUTES_TRANSFORMATION = `[{"attr_name": "username", "action": "@.*$,", "method": "sub"}]`;
  if (rng.next() < 0.15) settings.SYNC_SKIP_DEFAULT_GROUP = "true";
  if (rng.next() < 0.1) settings.SYNC_TARGET_GROUP = "G All";
  if (rng.next() < 0.15) settings.SYNC_DEPROVISION = "true";

  const users: string[] = [];
  const count = 6 + rng.int(4);
  for (let i = 0; i < count; i++) users.push(addEntraUser(rng, lab).id);
  if (rng.next() < 0.2)
    users.push(
      dir.addUser({
        id: rng.guid(),
        userPrincipalName: "admin@contoso.com",
        mail: "admin@contoso.com",
        givenName: "Ad",
        surname: "Min",
      }).id,
    );
  if (rng.next() < 0.3) {
    lab.mi.state.addUser({ username: "boss@contoso.com", email: "boss@contoso.com", type: "administrator" });
    users.push(
      dir.addUser({
        id: rng.guid(),
        userPrincipalName: "boss@contoso.com",
        mail: "boss@contoso.com",
        givenName: "Bo",
        surname: "Ss",
      }).id,
    );
  }
  if (rng.next() < 0.3) {
    // An MI account an Entra user matches by email only (another username).
    const user = dir.getUser(rng.pick(users));
    if (user?.mail && !lab.mi.state.userByEmail(user.mail))
      lab.mi.state.addUser({ username: `legacy-${rng.int(100)}`, email: user.mail });
  }
  const groups = SYNCED.map((name) => dir.addGroup({ id: rng.guid(), displayName: name }).id);
  if (rng.next() < 0.3) groups.push(dir.addGroup({ id: rng.guid(), displayName: "G Sales" }).id);
  const other = dir.addGroup({ id: rng.guid(), displayName: "Other" }).id;
  const nested = dir.addGroup({ id: rng.guid(), displayName: "Nested" }).id;
  dir.addMember(groups[2] as string, nested);
  for (const user of users) {
    for (const group of [...groups, other, nested]) if (rng.next() < 0.35) dir.addMember(group, user);
  }
  return { settings, transitive, groups, nested, other, newGroups: 0 };
}

function addEntraUser(rng: Prng, lab: Lab) {
  const name = rng.pick(NAMES);
  const domain = rng.pick(DOMAINS);
  const upn = `${name}${rng.int(3)}@${domain}`;
  const existing = lab.graph.directory.listUsers().find((u) => u.userPrincipalName === upn);
  const unique = existing ? `${name}${rng.int(1000)}@${domain}` : upn;
  const mailRoll = rng.next();
  const others = lab.graph.directory.listUsers().filter((u) => u.mail);
  const mail = mailRoll < 0.1 ? null : mailRoll < 0.2 && others.length > 0 ? (rng.pick(others).mail as string) : unique;
  return lab.graph.directory.addUser({
    id: rng.guid(),
    userPrincipalName: unique,
    mail,
    givenName: rng.pick(["Ann", "Bo", "Cy", "Di"]),
    surname: rng.pick(["Lee", "Ray", "Sun"]),
    accountEnabled: rng.next() > 0.1,
  });
}

/** What a change notifies: the group changed, or the user (Graph sends it to the app's subscriptions). */
type Notification = { group: string } | { user: string };

/** Makes one random change in Entra; returns what Graph notifies, or "timer" for a reconcile in between. */
function applyEvent(rng: Prng, lab: Lab, scenario: Scenario, trace: (line: string) => void): Notification[] | "timer" {
  const dir = lab.graph.directory;
  const before = dir.currentSeq;
  const result = applyEventInner(rng, lab, scenario);
  for (const change of dir.changesSince(before)) trace(`  entra: ${JSON.stringify(change)}`);
  trace(`  notifies: ${JSON.stringify(result)}`);
  return result;
}

function applyEventInner(rng: Prng, lab: Lab, scenario: Scenario): Notification[] | "timer" {
  const dir = lab.graph.directory;
  const users = dir.listUsers();
  const groups = [...scenario.groups.filter((g) => dir.getGroup(g)), scenario.other, scenario.nested];
  const roll = rng.next();
  const user = users.length > 0 ? rng.pick(users) : undefined;
  const groupNotice = (group: string): Notification[] =>
    scenario.groups.includes(group) || scenario.transitive ? [{ group }] : [];
  if (roll < 0.3 && user) {
    const group = rng.pick(groups);
    dir.addMember(group, user.id);
    return groupNotice(group);
  }
  if (roll < 0.5) {
    const group = rng.pick(groups);
    const members = dir.membersOf(group).filter((m) => m.kind === "user");
    if (members.length === 0) return [];
    dir.removeMember(group, rng.pick(members).id);
    return groupNotice(group);
  }
  if (roll < 0.6 && user) {
    dir.updateUser(user.id, {
      givenName: rng.pick(["Ann", "Bo", "Cy", "Di", "Ed"]),
      surname: rng.pick(["Lee", "Ray", "Sun", "Oak"]),
    });
    return [{ user: user.id }];
  }
  if (roll < 0.67 && user) {
    const others = users.filter((u) => u.mail && u.id !== user.id);
    const pick = rng.next();
    const mail =
      pick < 0.3 && others.length > 0
        ? (rng.pick(others).mail as string)
        : pick < 0.4
          ? null
          : `${user.userPrincipalName.split("@")[0]}.${rng.int(100)}@mail.test`;
    dir.updateUser(user.id, { mail });
    return [{ user: user.id }];
  }
  if (roll < 0.73 && user) {
    dir.updateUser(user.id, { accountEnabled: !user.accountEnabled });
    return [{ user: user.id }];
  }
  if (roll < 0.77 && user) {
    dir.deleteUser(user.id, { reason: rng.next() < 0.5 ? "changed" : "deleted" });
    return [{ user: user.id }];
  }
  if (roll < 0.85) {
    const created = addEntraUser(rng, lab);
    const group = rng.pick(groups);
    dir.addMember(group, created.id);
    return [{ user: created.id }, ...groupNotice(group)];
  }
  if (roll < 0.88) {
    const group = dir.addGroup({ id: rng.guid(), displayName: `G New ${++scenario.newGroups}` }).id;
    scenario.groups.push(group);
    for (const u of users.slice(0, 1 + rng.int(2))) dir.addMember(group, u.id);
    return [{ group }];
  }
  if (roll < 0.93) {
    const parent = rng.pick(scenario.groups.filter((g) => dir.getGroup(g)));
    const holds = dir.membersOf(parent).some((m) => m.id === scenario.nested);
    if (holds) dir.removeMember(parent, scenario.nested);
    else dir.addMember(parent, scenario.nested);
    return [{ group: parent }];
  }
  if (roll < 0.95) {
    const live = scenario.groups.filter((g) => dir.getGroup(g));
    if (live.length > 2) {
      const doomed = rng.pick(live);
      dir.deleteGroup(doomed);
      return [{ group: doomed }];
    }
    return [];
  }
  return "timer";
}

/** Graph's delivery: at least once, in no promised order, sometimes late (retried), sometimes twice. */
async function notify(rng: Prng, queue: MemoryQueue, notification: Notification, at: Date): Promise<void> {
  const copies = rng.next() < 0.15 ? 2 : 1;
  for (let i = 0; i < copies; i++) {
    const late = rng.next() < 0.1 ? 30_000 + rng.int(170_000) : rng.int(3_000);
    const bodies =
      "group" in notification
        ? [groupMessage(notification.group, "notification", at)]
        : usersMessages("notification", at, [notification.user]);
    for (const body of bodies) await queue.send(body, { visibilityDelayMs: late });
  }
}

function injectFault(rng: Prng, lab: Lab, state: FaultyState): Fault {
  const fault = rng.pick<Fault>([
    "graph-429",
    "graph-503",
    "mi-429",
    "mi-503",
    "mi-deadlock",
    "mi-412",
    "state-write",
    "kill",
  ]);
  const times = 1 + rng.int(4);
  switch (fault) {
    case "graph-429":
      lab.graph.faults.inject({ status: 429, retryAfter: "0", times });
      break;
    case "graph-503":
      lab.graph.faults.inject({ status: 503, retryAfter: "0", times });
      break;
    case "mi-429":
      lab.mi.faults.inject({ status: 429, headers: { "Retry-After": "0" }, times });
      break;
    case "mi-503":
      lab.mi.faults.inject({ status: 503, headers: { "Retry-After": "0" }, times });
      break;
    case "mi-deadlock":
      lab.mi.faults.deadlock(times);
      break;
    case "mi-412":
      lab.mi.faults.expireTokens();
      break;
    case "state-write":
      state.failWriteAfter(rng.int(6));
      break;
    case "kill":
      state.killAfter(rng.int(8));
      break;
  }
  return fault;
}

/** The state store, with a write that fails (storage unavailable) or a worker that dies and leaves its leases. */
interface FaultyState extends SyncStateStore {
  failWriteAfter(writes: number): void;
  killAfter(writes: number): void;
  settle(): void;
}

function faultyState(store: TableSyncStateStore): FaultyState {
  let failIn = -1;
  let killIn = -1;
  let killed = false;
  const write = async <T>(call: () => Promise<T>): Promise<T> => {
    if (failIn === 0 || killIn === 0) {
      if (killIn === 0) killed = true;
      failIn = -1;
      killIn = -1;
      throw new StateUnavailableError("Table storage is unavailable (injected)", 503);
    }
    if (failIn > 0) failIn--;
    if (killIn > 0) killIn--;
    return call();
  };
  return {
    initialize: () => store.initialize(),
    listDeltaChains: (k) => store.listDeltaChains(k),
    getDeltaChain: (id) => store.getDeltaChain(id),
    saveDeltaChain: (c) => write(() => store.saveDeltaChain(c)),
    deleteDeltaChain: (id) => write(() => store.deleteDeltaChain(id)),
    acquireLease: (s, o, t) => write(() => store.acquireLease(s, o, t)),
    renewLease: (l, t) => store.renewLease(l, t),
    // A dead worker releases nothing: its leases hold until they lapse.
    releaseLease: (l) => (killed ? Promise.resolve() : store.releaseLease(l)),
    listSubscriptions: () => store.listSubscriptions(),
    getSubscription: (id) => store.getSubscription(id),
    saveSubscription: (r) => write(() => store.saveSubscription(r)),
    deleteSubscription: (id) => write(() => store.deleteSubscription(id)),
    getUserEntries: (ids) => store.getUserEntries(ids),
    saveUserEntries: (e, p) => write(() => store.saveUserEntries(e, p)),
    findClaimants: (k) => store.findClaimants(k),
    listUserEntries: () => store.listUserEntries(),
    touchUsers: (ids, at) => write(() => store.touchUsers(ids, at)),
    usersTouchedSince: (since) => store.usersTouchedSince(since),
    pruneTouches: (before) => write(() => store.pruneTouches(before)),
    recordRun: (r) => write(() => store.recordRun(r)),
    listRuns: (o) => store.listRuns(o),
    failWriteAfter: (n) => {
      failIn = n;
    },
    killAfter: (n) => {
      killIn = n;
    },
    settle: () => {
      failIn = -1;
      killIn = -1;
      killed = false;
    },
  };
}

async function liveDeps(
  lab: Lab,
  azurite: RunningAzurite,
  seed: number,
  sync: Record<string, string>,
  clock: () => number,
  advance: (ms: number) => void,
): Promise<LiveDeps> {
  const prefix = `d${seed}`;
  const settings = { ...lab.env, ...sync, AzureWebJobsStorage: azurite.connectionString, SYNC_TABLE_PREFIX: prefix };
  const built = await buildLiveDeps(settings);
  const store = new TableSyncStateStore({
    connectionString: azurite.connectionString,
    tablePrefix: prefix,
    now: () => new Date(clock()),
  });
  await store.initialize();
  // The production MI adapter, waiting on the test's clock (MI's deadlock retries back off without Retry-After).
  const mi = new MiRestDirectory({
    baseUrl: built.config.mi.baseUrl,
    auth: built.config.mi.auth,
    maxConcurrency: built.config.mi.maxConcurrency,
    sleep: async (ms) => advance(ms),
  });
  return {
    ...built,
    mi,
    state: faultyState(store),
    queue: new MemoryQueue(clock),
    now: () => new Date(clock()),
    sleep: async (ms) => advance(ms),
    logger: { debug() {}, info() {}, warn() {} },
  };
}

/** What is wrong with MI once quiet. */
async function check(deps: LiveDeps, queue: MemoryQueue, lab: Lab): Promise<string[]> {
  const problems: string[] = [];
  if (queue.messages.length > 0) problems.push(`${queue.messages.length} message(s) never finished`);
  for (const p of queue.poisoned) problems.push(`poisoned: ${JSON.stringify(p.body)}: ${p.reason}`);
  // What provision (same settings; it never disables) would do to this MI now: nothing, once the live path converged.
  const options = { ...deps.config.sync, leavers: "keep" as const };
  const provision = await runSync(
    { selector: deps.config.selector, options, mode: "plan", unresolved: "skip" },
    { entra: deps.entra, mi: deps.mi, logger: deps.logger },
  );
  for (const o of provision.operations) problems.push(`provision would still: ${o.description} (${o.reason})`);
  // Every member of a synced MI group is the account of an enabled Entra member (by username, else email).
  const dir = lab.graph.directory;
  const synced = new Set(provision.plan.groups.map((g) => g.name.toLowerCase()));
  const desired = dir
    .listUsers()
    .filter((u) => u.accountEnabled)
    .map((u) =>
      mapUser(
        {
          id: u.id,
          userPrincipalName: u.userPrincipalName,
          mail: u.mail,
          accountEnabled: true,
          attributes: {
            userPrincipalName: u.userPrincipalName,
            mail: u.mail,
            givenName: u.givenName,
            surname: u.surname,
          },
        },
        options,
      ),
    );
  for (const group of lab.mi.state.groups()) {
    if (!synced.has(group.name.toLowerCase())) continue;
    for (const username of lab.mi.state.membersOfGroup(group.name)) {
      const account = lab.mi.state.userByUsername(username);
      const justified = desired.some(
        (d) =>
          d.username.toLowerCase() === username.toLowerCase() ||
          (account && d.email.toLowerCase() === account.email.toLowerCase()),
      );
      if (!justified && username !== "admin")
        problems.push(`${username} is in '${group.name}' but is no enabled Entra user's account`);
    }
  }
  return problems;
}
