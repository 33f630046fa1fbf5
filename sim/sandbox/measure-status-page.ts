// How long the status page takes with a full audit trail (issue 13): `npm run build && node
// dist/sim/sandbox/measure-status-page.js [entries]`. The live lab syncs the test tenant, then the trail is filled with
// `entries` (default 10,000) more: 100 runs over the last 24 hours (the newest of 1,000 operations), one user in a
// tenth of them. In headless Chromium it times, five times each: the page from navigation to its verdict, chart and
// runs drawn; the run of 1,000 operations opened; a user's audit trail (the newest 200 of 1,000) shown. A
// measurement, not a test: it prints.

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { AuditItem } from "../../src/audit/audit-entry.js";
import { writeRun } from "../../src/audit/write-run.js";
import { tableClientFor } from "../../src/state/storage-target.js";
import { seedTenant } from "../../test/cli/tenant.js";
import { relaunchWithCertificate } from "../tls/relaunch-with-certificate.js";
import { percentile } from "./live-demo.js";
import { startLiveLab } from "./live-lab.js";
import { CHROMIUM, CHROMIUM_ARGS } from "./screenshot-status-page.js";

const RUNS = 100;
const REPEAT = 5;

function* items(run: number, count: number): Generator<AuditItem> {
  for (let i = 0; i < count; i++) {
    const user = run % 10 === 0 && i < 100 ? "ann@contoso.com" : `user${run}-${i}@contoso.com`;
    yield {
      op: i % 3 === 0 ? "removeMember" : "addMember",
      status: i % 50 === 0 ? "failed" : "applied",
      reason: i % 3 === 0 ? "no longer in the Entra group" : "member of the Entra group",
      description: `${i % 3 === 0 ? "remove" : "add"} ${user} ${i % 3 === 0 ? "from" : "to"} 'Group ${i % 40}'`,
      ...(i % 50 === 0 ? { error: "MI answered 500" } : {}),
      user: {
        name: user,
        miUserId: String(10_000 + i),
        entraUserId: `0a1b2c3d-0000-4000-8000-${String(i).padStart(12, "0")}`,
      },
      group: { name: `Group ${i % 40}`, miGroupId: String(i % 40) },
    };
  }
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is not installed`);
  const entries = Number(process.argv[2] ?? 10_000);
  const live = await startLiveLab({ sync: { SYNC_GROUPS: "Sales;Engineering", SYNC_AUTO_CREATE: "all" } });
  const profile = mkdtempSync(join(tmpdir(), "status-page-measure-"));
  try {
    seedTenant(live.lab);
    await live.reconcile();
    await live.runner.idle();
    const storage = live.deps.settings.storage;
    const table = tableClientFor(storage, `${live.deps.settings.SYNC_TABLE_PREFIX}Audit`);
    const now = Date.now();
    const BIG = 1_000;
    const rest = entries - BIG;
    const sizes = Array.from({ length: RUNS }, (_, run) =>
      run === RUNS - 1 ? BIG : Math.floor(rest / (RUNS - 1)) + (run < rest % (RUNS - 1) ? 1 : 0),
    );
    const runIds: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      const perRun = sizes[run] ?? 0;
      const runId = `measure-${run}`;
      const at = new Date(now - ((RUNS - run) * 24 * 3_600_000) / RUNS);
      await writeRun(
        table,
        items(run, perRun),
        {
          runId,
          path: run % 2 ? "notification" : "reconcile",
          triggeredAt: new Date(at.getTime() - 200 - run).toISOString(),
        },
        at,
      );
      await live.deps.state.recordRun({
        runId,
        kind: "worker",
        trigger: "queue",
        startedAt: at.toISOString(),
        finishedAt: at.toISOString(),
        status: "partial",
        counts: { membershipsAdded: perRun },
        errors: [],
      });
      runIds.push(runId);
    }
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      viewport: { width: 1200, height: 900 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const url = `${live.host.url}/api/status/page?code=${live.functionKey}`;
    const load: number[] = [];
    const open: number[] = [];
    const search: number[] = [];
    for (let i = 0; i < REPEAT; i++) {
      const t0 = performance.now();
      await page.goto(url);
      await page.locator("#verdict[data-level]").waitFor();
      await page.locator("#activity svg").waitFor();
      await page.locator("#runs tr[data-run]").first().waitFor();
      load.push(performance.now() - t0);
      const t1 = performance.now();
      await page.locator(`#runs tr[data-run="${runIds.at(-1)}"] button`).click();
      await page
        .locator("#runs tr.detail tbody tr")
        .nth(BIG - 1)
        .waitFor();
      open.push(performance.now() - t1);
      await page.fill("#find-q", "ann@contoso.com");
      const t2 = performance.now();
      await page.click("#find button[value=audit]");
      await page.locator("#find-result[data-kind=audit] tbody tr").nth(199).waitFor();
      search.push(performance.now() - t2);
    }
    await context.close();
    const line = (what: string, ms: number[]): string =>
      `${what}: median ${percentile(ms, 50).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms over ${ms.length}`;
    process.stdout.write(
      [
        `status page with ${sizes.reduce((a, b) => a + b, 0)} audit entries (${RUNS} runs over 24 hours) plus the lab's own:`,
        line("  page loaded (verdict, chart, runs drawn)", load),
        line(`  a run of ${BIG} operations opened`, open),
        line("  a user's audit trail (200 shown of 1,000)", search),
        "",
      ].join("\n"),
    );
  } finally {
    rmSync(profile, { recursive: true, force: true });
    await live.close();
  }
}

relaunchWithCertificate()
  .then((relaunched) => (relaunched ? undefined : main()))
  .catch((error: unknown) => {
    process.stderr.write(`measure-status-page: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
