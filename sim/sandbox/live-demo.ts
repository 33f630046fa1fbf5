import { join, relative } from "node:path";
import { MIN_ROUND_INTERVAL_MS } from "../../src/live/delta-chains.js";
import { buildDemoTenant } from "../graph/demo-tenant.js";
import { type LiveLab, startLiveLab } from "./live-lab.js";
import { screenshotStatusPage } from "./screenshot-status-page.js";

/** One measured change: from the change in Entra to the change being visible in MI. */
export interface MeasuredChange {
  change: string;
  latencyMs: number;
  graphRequests: number;
  miReads: number;
  miWrites: number;
  notificationPosts: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Percentile by nearest rank. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/**
 * The live half of the sandbox: the demo tenant synced by the timer reconcile, then `changes` membership changes in
 * Entra (alternately adding and removing users of "MI Sales"), each followed through notification → webhook → queue →
 * worker → MI, timed from the change in Entra until MI shows it, with the HTTP requests each one cost.
 */
export async function runLiveDemo(
  out: (line?: string) => void,
  changes = 20,
): Promise<{ measured: MeasuredChange[]; secrets: string[] }> {
  const live: LiveLab = await startLiveLab({
    sync: { SYNC_FILTER: "MI ", SYNC_AUTO_CREATE: "all" },
    log: (line) => out(`  (functions) ${line}`),
  });
  try {
    const demo = buildDemoTenant(live.lab.graph.directory);
    out(`  mi-o365-usersync serve (http): ${live.host.url}   Azurite tables and queue in-process`);
    const started = Date.now();
    await live.reconcile();
    await live.runner.idle();
    const [run] = await live.deps.state
      .listRuns({ limit: 5 })
      .then((runs) => runs.filter((r) => r.kind === "reconcile"));
    out(
      `  timer reconcile: ${run?.status} in ${Date.now() - started} ms, ${JSON.stringify(run?.counts ?? {})}; ` +
        `${live.lab.graph.subscriptions().length} subscription(s), ` +
        `${(await live.deps.state.listDeltaChains("groups")).length} delta chain(s)`,
    );

    const sales = demo.groups["MI Sales"]!;
    const inSales = new Set(live.lab.graph.directory.membersOf(sales).map((m) => m.id));
    const candidates = live.lab.graph.directory
      .listUsers()
      .filter((u) => u.accountEnabled && !inSales.has(u.id) && !u.userPrincipalName.includes("#EXT#"))
      .slice(0, Math.ceil(changes / 2));
    const measured: MeasuredChange[] = [];
    for (let i = 0; i < changes; i++) {
      const user = candidates[Math.floor(i / 2)]!;
      const adding = i % 2 === 0;
      await live.runner.idle();
      // One change at a time: past the worker's one-round-per-second interval per chain (closer changes are a burst,
      // whose notifications share the next round).
      await sleep(MIN_ROUND_INTERVAL_MS);
      live.lab.graph.requests.reset();
      live.lab.mi.requests.reset();
      const posts = live.lab.graph.notifications.deliveries.length;
      const t0 = performance.now();
      if (adding) live.lab.graph.directory.addMember(sales, user.id);
      else live.lab.graph.directory.removeMember(sales, user.id);
      const upn = user.userPrincipalName.toLowerCase();
      const visible = (): boolean =>
        live.lab.mi.state.membersOfGroup("MI Sales").some((m) => m.toLowerCase() === upn) === adding;
      const deadline = Date.now() + 15_000;
      while (!visible()) {
        if (Date.now() > deadline) throw new Error(`change ${i + 1} did not reach MI within 15 s`);
        await sleep(1);
      }
      const latencyMs = performance.now() - t0;
      await live.runner.idle();
      measured.push({
        change: `${adding ? "add" : "remove"} ${user.userPrincipalName} ${adding ? "to" : "from"} MI Sales`,
        latencyMs,
        graphRequests: live.lab.graph.requests.total,
        miReads: live.lab.mi.requests.reads,
        miWrites: live.lab.mi.requests.writes,
        notificationPosts: live.lab.graph.notifications.deliveries.length - posts,
      });
    }
    for (const [i, m] of measured.entries()) {
      out(
        `  ${String(i + 1).padStart(2)}. ${m.change}: ${m.latencyMs.toFixed(0)} ms; Graph ${m.graphRequests}, ` +
          `MI reads ${m.miReads}, MI writes ${m.miWrites}, notification POSTs ${m.notificationPosts}`,
      );
    }
    const latencies = measured.map((m) => m.latencyMs);
    out(
      `  latency from the change in Entra to the change in MI over ${measured.length} changes: ` +
        `median ${percentile(latencies, 50).toFixed(0)} ms, p95 ${percentile(latencies, 95).toFixed(0)} ms, ` +
        `max ${Math.max(...latencies).toFixed(0)} ms`,
    );
    const secrets = [
      ...(await live.deps.state.listSubscriptions()).map((s) => s.clientState),
      live.functionKey,
      live.appSettings.O365_USERSYNC_CLIENT_SECRET ?? "",
      live.appSettings.MI_APPLICATION_KEY ?? "",
    ].filter((s) => s !== "");
    // As Graph measured them: from its POST to the answer.
    const webhook = live.lab.graph.notifications.deliveries.filter((d) => d.kind !== "validation").map((d) => d.ms);
    out(
      `  webhook answers: ${webhook.length}, median ${percentile(webhook, 50).toFixed(0)} ms, ` +
        `max ${Math.max(...webhook).toFixed(0)} ms (Graph allows 3,000 ms)`,
    );

    // The admin's view: why is the last user changed (not) in MI Sales, and what happened to it.
    const last = candidates[Math.floor((changes - 1) / 2)]!.userPrincipalName;
    const args = ["explain", last, "--filter", "MI ", "--auto-create", "all"];
    out(`\n=== 6. Why is ${last} (not) in MI Sales? explain reads Entra, MI and the app's audit trail; writes nothing`);
    out(
      `$ mi-o365-usersync ${args.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(" ")}   (SYNC_AUDIT_STORAGE: the app's)`,
    );
    const explained = await live.lab.runCli(args, { SYNC_AUDIT_STORAGE: live.appSettings.AzureWebJobsStorage });
    for (const line of explained.stdout.trimEnd().split("\n")) out(`  ${line}`);
    if (explained.status !== 0) throw new Error(`explain exited ${explained.status}: ${explained.stderr}`);

    const screenshot = join(__dirname, "..", "..", "..", ".sandbox", "status-page.png");
    const verdict = await screenshotStatusPage(
      `${live.host.url}/api/status/page?code=${live.functionKey}`,
      screenshot,
      { explain: last },
    ).catch((error: unknown) => `not taken: ${error instanceof Error ? error.message : String(error)}`);
    out(
      verdict === undefined
        ? "  status page: no Chromium at /usr/bin/chromium, so no screenshot"
        : `  status page: verdict '${verdict}', ${last} explained, screenshot in ${relative(process.cwd(), screenshot)}`,
    );
    return { measured, secrets };
  } finally {
    await live.close();
  }
}
