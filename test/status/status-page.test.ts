import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { type BrowserContext, chromium } from "playwright-core";
import { startLiveLab } from "../../sim/sandbox/live-lab.js";
import { CHROMIUM, CHROMIUM_ARGS } from "../../sim/sandbox/screenshot-status-page.js";
import { miMembers, seedTenant } from "../cli/tenant.js";
import { decodePng } from "./png-pixels.js";

// The status page in a real headless Chromium, served by the real handlers through the sandbox's functions host
// (which checks the function key, so every API call the page makes must carry the page's `code`).

/** The repository root, whether this runs from test/ (tsx) or from dist/test/ (compiled). */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
const SCREENSHOT = join(repoRoot(), ".sandbox", "status-page.png");
const VIEWPORT = { width: 1200, height: 900 };

/** The healthy banner's background (#dafbe1), give or take rendering. */
function hasColour(colours: Map<number, number>, rgb: [number, number, number], minPixels: number): boolean {
  let count = 0;
  for (const [c, n] of colours) {
    const [r, g, b] = [(c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff];
    if (Math.abs(r - rgb[0]) <= 3 && Math.abs(g - rgb[1]) <= 3 && Math.abs(b - rgb[2]) <= 3) count += n;
  }
  return count >= minPixels;
}

test("the status page shows the verdict and tables, and resyncs a group: plan first, then apply", async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is not installed (Debian package chromium); the page is not tested in a browser`);
    return;
  }
  const live = await startLiveLab({ sync: { SYNC_GROUPS: "Sales;Engineering", SYNC_AUTO_CREATE: "all" } });
  // Playwright refuses --user-data-dir in launch() args; a persistent context on a fresh tmp directory is the same.
  const profile = mkdtempSync(join(tmpdir(), "status-page-chromium-"));
  let context: BrowserContext | undefined;
  try {
    const tenant = seedTenant(live.lab);
    await live.reconcile();
    await live.runner.idle();
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      viewport: VIEWPORT,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });

    // A blank page first, for the screenshot comparison.
    await page.goto("about:blank");
    const blank = decodePng(await page.screenshot());

    await page.goto(`${live.host.url}/api/status/page?code=${live.functionKey}`);
    const banner = page.locator("#verdict[data-level]");
    await banner.waitFor({ timeout: 15_000 });
    assert.equal(await banner.getAttribute("data-level"), "healthy");
    assert.match(String(await banner.textContent()), /Healthy/, "the verdict is written out, not only coloured");
    const subscription = page.locator("#subscriptions tr", { hasText: `groups/${tenant.groups.Sales}` });
    assert.ok(await subscription.isVisible(), "the Sales subscription row is visible");
    const chain = page.locator("#chains tr", { hasText: "groups-0" });
    assert.ok(await chain.isVisible(), "the delta chain row is visible");
    assert.equal(await chain.locator("td").nth(2).textContent(), "2", "with its two groups");
    assert.match(String(await page.locator("#runs").textContent()), /reconcile/);
    assert.match(String(await page.locator("#figures").textContent()), /0\s*queued messages/);

    // Resync on demand: a change Entra has not notified yet.
    live.lab.graph.notifications.pause();
    live.lab.graph.directory.addMember(tenant.groups.Sales!, tenant.users.dan!);
    const writes = live.lab.mi.requests.writes;
    await page.fill("#subject", tenant.groups.Sales!);
    await page.click("#resync button[type=submit]");
    const planned = page.locator("#operations li[data-op=addMember]", { hasText: "Sales" });
    await planned.waitFor({ timeout: 15_000 });
    assert.match(String(await planned.textContent()), /\[planned\].*dan@contoso\.com/);
    assert.match(String(await page.locator("#resync-result").textContent()), /nothing has been written yet/);
    assert.equal(live.lab.mi.requests.writes, writes, "showing the plan wrote nothing to MI");
    assert.ok(!miMembers(live.lab, "Sales").includes("dan@contoso.com"));

    await page.click("#apply");
    const applied = page.locator("#operations li[data-op=addMember][data-status=applied]", { hasText: "Sales" });
    await applied.waitFor({ timeout: 15_000 });
    assert.match(String(await page.locator("#resync-result h3").textContent()), /^Applied$/);
    assert.ok(miMembers(live.lab, "Sales").includes("dan@contoso.com"), "MI changed");
    await page.locator("#runs tr", { hasText: "on-demand" }).first().waitFor({ timeout: 15_000 });
    live.lab.graph.notifications.resume();

    mkdirSync(join(SCREENSHOT, ".."), { recursive: true });
    const png = await page.screenshot({ fullPage: true });
    writeFileSync(SCREENSHOT, png);
    const shot = decodePng(png);
    assert.equal(png.readUInt32BE(16), shot.width, "IHDR width");
    assert.equal(shot.width, VIEWPORT.width);
    assert.ok(shot.height >= VIEWPORT.height, `full page, ${shot.height} px high`);
    assert.ok(blank.colours.size <= 2, `about:blank is blank (${blank.colours.size} colours)`);
    assert.ok(shot.colours.size > 50, `the page shows text and tables (${shot.colours.size} colours)`);
    assert.ok(png.length > 4 * (await blankSize(page)), "the page's PNG is far larger than a blank one");
    assert.ok(hasColour(shot.colours, [0xda, 0xfb, 0xe1], 5_000), "the green healthy banner is painted");
    assert.deepEqual(problems, [], "no script error and no CSP violation");
  } finally {
    live.lab.graph.notifications.resume();
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
    await live.close();
  }
});

async function blankSize(page: import("playwright-core").Page): Promise<number> {
  const other = await page.context().newPage();
  await other.setViewportSize(VIEWPORT);
  await other.goto("about:blank");
  const size = (await other.screenshot({ fullPage: true })).length;
  await other.close();
  return size;
}
