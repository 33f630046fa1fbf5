/**
 * Bench-only launcher for one simulator in its own process:
 *
 *   node dist/bench/sims/sim-child.js graph --size M --seed 1 --latency-ms 40 [--ru-quota 8000]
 *   node dist/bench/sims/sim-child.js mi --latency-ms 30 [--mi-concurrency-cap 8]
 *
 * The Graph child generates the tenant itself (from size + seed, so nothing big crosses the pipe) and loads it into
 * `startGraphSim`. Each child prints one JSON line (`SimChildInfo`) on stdout and serves a small control API on
 * 127.0.0.1 (plain http, bench only) until SIGTERM:
 *
 * - `GET /requests`: the simulator's request log (Graph: total, byRoute, batchedRequests, resourceUnits, plus the
 *   throttling figures; MI: reads, writes, tokenRequests, byRoute, 503s); `POST /reset` clears it.
 * - Graph: `POST /churn` `{fraction, seed}` applies `applyChurn` to the directory; `POST /member` `{op, groupId,
 *   userId}` one change (live scenarios); `POST /members` `{changes: [...]}` several.
 * - MI: `GET /summary` (users, groups, memberships); `POST /has-members` `{group, usernames}` → which are members.
 *
 * Graph throttling (contract §5): the simulator has no resource-unit limit, so this launcher enforces one from the
 * outside: it wraps the request log, sums the resource units charged over a sliding 10 s window, and when the sum
 * passes `--ru-quota` (default 8,000: the app+tenant quota of a tenant over 500 users) it injects 429 faults with
 * `Retry-After` (and the throttle headers) until the window drains. Enforcement lags by the requests in flight.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { startGraphSim } from "../../sim/graph/index.js";
import { startMiSim } from "../../sim/mi/index.js";
import { applyChurn, generateTenant, type TenantSize, toDirectorySeed } from "../tenant/generate-tenant.js";
import { addRandomGraphFaults, addRandomMiFaults, type RandomFaults } from "./random-faults.js";

export interface SimChildInfo {
  role: "graph" | "mi";
  url: string;
  control: string;
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  certPath?: string;
  applicationId?: string;
  applicationKey?: string;
  adminUsername?: string;
  /** Time the Graph child took to generate and load the tenant, ms. */
  loadMs?: number;
}

type Handler = (body: Record<string, unknown>) => Promise<unknown> | unknown;

function flag(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

async function serveControl(routes: Record<string, Handler>): Promise<string> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const key = `${req.method} ${new URL(req.url ?? "/", "http://x").pathname}`;
        const handler = routes[key];
        try {
          if (!handler) throw new Error(`no control route ${key}`);
          const raw = Buffer.concat(chunks).toString("utf8");
          const result = await handler(raw ? (JSON.parse(raw) as Record<string, unknown>) : {});
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(result ?? {}));
        } catch (error) {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: String(error) }));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * The soak's control of a simulator's chaos: `POST /chaos` `{rate?, outageSeconds?, expireTokensEverySeconds?}`
 * sets the random fault share, starts an outage, and (MI) expires every session token on a period (412s); `GET
 * /chaos` gives what was injected, by kind.
 */
function chaosRoutes(chaos: RandomFaults, expireTokens: () => void): Record<string, Handler> {
  let expiry: NodeJS.Timeout | undefined;
  return {
    "POST /chaos": (body) => {
      if (typeof body.rate === "number") chaos.rate = body.rate;
      if (typeof body.outageSeconds === "number") chaos.outageUntil = Date.now() + body.outageSeconds * 1000;
      if (typeof body.expireTokensEverySeconds === "number") {
        clearInterval(expiry);
        expiry = undefined;
        if (body.expireTokensEverySeconds > 0) {
          expiry = setInterval(() => {
            expireTokens();
            chaos.injected["mi 412 session expired (all tokens)"] =
              (chaos.injected["mi 412 session expired (all tokens)"] ?? 0) + 1;
          }, body.expireTokensEverySeconds * 1000);
          expiry.unref();
        }
      }
      return { rate: chaos.rate, outageUntil: chaos.outageUntil };
    },
    "GET /chaos": () => ({ injected: chaos.injected }),
  };
}

async function startGraphChild(args: string[]): Promise<{ info: SimChildInfo; close: () => Promise<void> }> {
  const size = (flag(args, "--size") ?? "S") as TenantSize;
  const seed = Number(flag(args, "--seed") ?? "1");
  const latencyMs = Number(flag(args, "--latency-ms") ?? "0");
  const ruQuota = Number(flag(args, "--ru-quota") ?? "8000");
  const t0 = performance.now();
  const tenant = generateTenant(size, seed);
  const sim = await startGraphSim({ latencyMs, seed: toDirectorySeed(tenant), allowHttpNotificationUrls: true });
  const loadMs = performance.now() - t0;
  const chaos = addRandomGraphFaults(sim, seed + 101);

  // Resource-unit throttling from the outside (see the header comment).
  const windowMs = 10_000;
  const charges: Array<{ at: number; ru: number }> = [];
  let windowSum = 0;
  let peakPerWindow = 0;
  let throttling = false;
  let throttledResponses = 0;
  let clearTimer: NodeJS.Timeout | undefined;
  const drain = (now: number): void => {
    while (charges.length > 0 && charges[0]!.at <= now - windowMs) windowSum -= charges.shift()!.ru;
  };
  /** When the window's sum drops below the quota again, if nothing more is charged (the oldest charges expire). */
  const quotaFreesAt = (now: number): number => {
    let sum = windowSum;
    let at = now;
    for (const charge of charges) {
      if (sum < ruQuota) break;
      sum -= charge.ru;
      at = charge.at + windowMs;
    }
    return at;
  };
  // Every 429 says how long is left until then, as Graph's Retry-After does; a fixed value taken when throttling
  // began would send the client back too early or too late.
  let freesAt = 0;
  const stopThrottling = (): void => {
    const now = Date.now();
    drain(now);
    if (windowSum < ruQuota || charges.length === 0) {
      sim.faults.clear();
      throttling = false;
      clearTimer = undefined;
    } else {
      freesAt = quotaFreesAt(now);
      clearTimer = setTimeout(stopThrottling, Math.max(10, freesAt - now));
    }
  };
  const record = sim.requests.record.bind(sim.requests);
  sim.requests.record = (entry) => {
    record(entry);
    if (entry.status === 429) throttledResponses++;
    if (entry.resourceUnits <= 0) return;
    const now = Date.now();
    charges.push({ at: now, ru: entry.resourceUnits });
    windowSum += entry.resourceUnits;
    drain(now);
    peakPerWindow = Math.max(peakPerWindow, windowSum);
    if (ruQuota > 0 && !throttling && windowSum >= ruQuota) {
      throttling = true;
      freesAt = quotaFreesAt(now);
      sim.faults.inject({
        status: 429,
        retryAfter: () => (Math.ceil(Math.max(100, freesAt - Date.now()) / 100) / 10).toFixed(1),
        times: Number.MAX_SAFE_INTEGER,
        throttleHeaders: true,
        match: /^\/v1\.0/,
      });
      clearTimer = setTimeout(stopThrottling, Math.max(10, freesAt - now));
    }
  };

  const control = await serveControl({
    "GET /requests": () => ({
      total: sim.requests.total,
      batchedRequests: sim.requests.batchedRequests,
      resourceUnits: sim.requests.resourceUnits,
      byRoute: sim.requests.byRoute,
      throttledResponses,
      peakResourceUnitsPer10s: peakPerWindow,
      ruQuotaPer10s: ruQuota,
    }),
    "POST /reset": () => {
      sim.requests.reset();
      throttledResponses = 0;
      peakPerWindow = windowSum;
      return {};
    },
    "POST /churn": (body) => {
      const changes = applyChurn(tenant, Number(body.fraction), Number(body.seed));
      for (const c of changes) {
        if (c.op === "add") sim.directory.addMember(c.groupId, c.userId);
        else sim.directory.removeMember(c.groupId, c.userId);
      }
      return { changes: changes.length };
    },
    "POST /member": (body) => {
      if (body.op === "add") sim.directory.addMember(String(body.groupId), String(body.userId));
      else sim.directory.removeMember(String(body.groupId), String(body.userId));
      return { at: Date.now() };
    },
    "POST /members": (body) => {
      for (const c of body.changes as Array<{ op: string; groupId: string; userId: string }>) {
        if (c.op === "add") sim.directory.addMember(c.groupId, c.userId);
        else sim.directory.removeMember(c.groupId, c.userId);
      }
      return { at: Date.now() };
    },
    "POST /profiles": (body) => {
      for (const c of body.changes as Array<{ userId: string; givenName: string; surname: string }>) {
        sim.directory.updateUser(c.userId, { givenName: c.givenName, surname: c.surname });
      }
      return { at: Date.now() };
    },
    ...chaosRoutes(chaos, () => undefined),
    // A set-up the bench does not measure (the reconcile that fills MI) can run without the injected latency.
    "POST /latency": (body) => {
      sim.faults.setLatency(Number(body.ms));
      return {};
    },
    "GET /deliveries": () => ({
      subscriptions: sim.subscriptions().length,
      // Notification POSTs made to the webhooks (every attempt, validation handshakes included).
      posts: sim.notifications.deliveries.length,
    }),
  });
  const { url, tenantId, clientId, clientSecret, certPath } = sim;
  return {
    info: { role: "graph", url, control, tenantId, clientId, clientSecret, certPath, loadMs },
    close: async () => {
      if (clearTimer) clearTimeout(clearTimer);
      await sim.close();
    },
  };
}

async function startMiChild(args: string[]): Promise<{ info: SimChildInfo; close: () => Promise<void> }> {
  const latencyMs = Number(flag(args, "--latency-ms") ?? "0");
  const cap = flag(args, "--mi-concurrency-cap");
  const sim = await startMiSim({
    latencyMs,
    ...(cap !== undefined && Number(cap) > 0 ? { maxConcurrentRequests: Number(cap) } : {}),
  });
  const chaos = addRandomMiFaults(sim, Number(flag(args, "--seed") ?? "1") + 202);
  const control = await serveControl({
    "GET /requests": () => {
      const entries = sim.requests.entries;
      return {
        reads: sim.requests.reads,
        writes: sim.requests.writes,
        tokenRequests: sim.requests.tokenRequests,
        byRoute: sim.requests.byRoute,
        unavailable503: entries.filter((e) => e.status === 503).length,
        // Membership writes that changed MI (a row created or deleted), and those MI answered "already so".
        membershipChanges: entries.filter(
          (e) =>
            (e.route === "POST /api/user_group_member" && e.status === 201) ||
            (e.route === "DELETE /api/user_group_member/id/:id" && e.status === 200),
        ).length,
        membershipNoOps: entries.filter(
          (e) =>
            (e.route === "POST /api/user_group_member" && e.status === 400) ||
            (e.route === "DELETE /api/user_group_member/id/:id" && e.status === 404),
        ).length,
      };
    },
    "POST /reset": () => {
      sim.requests.reset();
      return {};
    },
    "GET /summary": () => {
      return {
        users: sim.state.users().length,
        groups: sim.state.groups().length,
        memberships: sim.state.memberships().length,
      };
    },
    "POST /check": (body) => {
      const cache = new Map<string, Set<string>>();
      const present = (body.items as Array<{ group: string; username: string }>).map(({ group, username }) => {
        let members = cache.get(group);
        if (!members) {
          members = new Set(sim.state.membersOfGroup(group).map((m) => m.toLowerCase()));
          cache.set(group, members);
        }
        return members.has(username.toLowerCase());
      });
      return { present };
    },
    ...chaosRoutes(chaos, () => sim.faults.expireTokens()),
    "POST /latency": (body) => {
      sim.setLatency(Number(body.ms));
      return {};
    },
    "GET /duplicates": () => {
      const seen = new Map<string, number>();
      for (const u of sim.state.users())
        seen.set(u.username.toLowerCase(), (seen.get(u.username.toLowerCase()) ?? 0) + 1);
      return { duplicateUsernames: [...seen].filter(([, n]) => n > 1).map(([name]) => name) };
    },
    "POST /has-members": (body) => {
      const members = new Set(sim.state.membersOfGroup(String(body.group)).map((m) => m.toLowerCase()));
      return { members: (body.usernames as string[]).map((u) => members.has(u.toLowerCase())) };
    },
  });
  return {
    info: {
      role: "mi",
      url: sim.url,
      control,
      applicationId: "sim-app",
      applicationKey: "sim-app-key",
      adminUsername: "admin",
    },
    close: () => sim.close(),
  };
}

async function main(): Promise<void> {
  const [role, ...args] = process.argv.slice(2);
  const child = role === "graph" ? await startGraphChild(args) : await startMiChild(args);
  process.stdout.write(`${JSON.stringify(child.info)}\n`);
  const stop = (): void => {
    void child.close().finally(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  // The parent going away ends the child too.
  process.stdin.on("end", stop);
  process.stdin.resume();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench sim child: ${String(error)}\n`);
  process.exit(1);
});
