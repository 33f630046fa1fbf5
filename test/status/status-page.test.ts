import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { type LiveLab, startLiveLab } from "../../sim/sandbox/live-lab.js";
import { CHROMIUM, CHROMIUM_ARGS } from "../../sim/sandbox/screenshot-status-page.js";
import { miMembers, seedTenant, type TestTenant } from "../cli/tenant.js";
import { decodePng } from "./png-pixels.js";

// The status page in a real headless Chromium, used as an admin uses it, served by the real handlers through the
// sandbox's functions host (which checks the function key, so every API call the page makes must carry its `code`).
// The tests share one lab and run in order.

/** The repository root, whether this runs from test/ (tsx) or from dist/test/ (compiled). */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
const SHOTS = join(repoRoot(), ".sandbox");
const VIEWPORT = { width: 1200, height: 900 };
const PHONE = { width: 390, height: 844 };
const WAIT = { timeout: 15_000 };

const skip = !existsSync(CHROMIUM) && `${CHROMIUM} is not installed (Debian package chromium); the page is not tested`;
let live: LiveLab;
let tenant: TestTenant;
let context: BrowserContext;
let page: Page;
let profile: string;
const problems: string[] = [];

before(async () => {
  if (skip) return;
  live = await startLiveLab({ sync: { SYNC_GROUPS: "Sales;Engineering", SYNC_AUTO_CREATE: "all" } });
  tenant = seedTenant(live.lab);
  await live.reconcile();
  await live.runner.idle();
  // Playwright refuses --user-data-dir in launch() args; a persistent context on a fresh tmp directory is the same.
  profile = mkdtempSync(join(tmpdir(), "status-page-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: VIEWPORT,
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
});
after(async () => {
  if (skip) return;
  live.lab.graph.notifications.resume();
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
  await live.close();
});

const open = async (): Promise<void> => {
  await page.goto(`${live.host.url}/api/status/page?code=${live.functionKey}`);
  await page.locator("#verdict[data-level]").waitFor(WAIT);
};

/** Types the start of a name and waits for the page to suggest `expected`, then completes the field with it. */
async function typeAndPick(field: string, list: string, start: string, expected: string): Promise<void> {
  await page.fill(field, "");
  await page.locator(field).pressSequentially(start);
  await page.locator(`#${list} option[value="${expected}"]`).waitFor({ state: "attached", ...WAIT });
  await page.fill(field, expected);
}

test("the page shows the verdict, the last 24 hours and every group by name, its id on hover", { skip }, async () => {
  await open();
  const banner = page.locator("#verdict");
  assert.equal(await banner.getAttribute("data-level"), "healthy");
  assert.match(String(await banner.textContent()), /Healthy/, "the verdict is written out, not only coloured");
  const sales = page.locator(`#subscriptions tr[data-resource="groups/${tenant.groups.Sales}"] span[title]`);
  assert.equal(await sales.textContent(), "Sales", "a subscription by its group's name");
  assert.equal(await sales.getAttribute("title"), `groups/${tenant.groups.Sales}`, "its id on hover");
  const chain = page.locator("#chains tr", { hasText: "groups-0" });
  assert.equal(await chain.locator("td").nth(2).textContent(), "2", "the chain's two groups");
  assert.equal(await chain.locator(`span[title="${tenant.groups.Engineering}"]`).textContent(), "Engineering");
  const bars = page.locator("#activity svg g[data-applied]");
  assert.equal(await bars.count(), 24, "one bar per hour");
  assert.ok(Number(await bars.last().getAttribute("data-applied")) > 0, "this hour's reconcile is charted");
  assert.match(String(await page.locator("#activity-summary").textContent()), /\d+ change\(s\) applied/);
  assert.match(String(await page.locator("#runs").textContent()), /reconcile/);
});

test("an admin finds a user by name, reads why they are not in a group, resyncs them and sees it in the audit trail", {
  skip,
}, async () => {
  // Ann joins Engineering, and Graph's notification is lost: MI does not have her there.
  live.lab.graph.notifications.pause();
  live.lab.graph.directory.addMember(tenant.groups.Engineering!, tenant.users.ann!);
  await open();

  await typeAndPick("#find-q", "find-names", "an", "ann@contoso.com");
  await page.click("#find button[value=explain]");
  const engineering = page.locator('#find-result[data-kind=user] tr[data-group="Engineering"]');
  await engineering.waitFor(WAIT);
  assert.equal(await engineering.locator("td").nth(1).textContent(), "direct", "in Engineering in Entra");
  assert.equal(await engineering.locator("td").nth(2).textContent(), "no", "not in MI's Engineering");
  assert.equal(
    await engineering.locator("td.why").textContent(),
    "add ann@contoso.com to 'Engineering' (member of the Entra group)",
    "why: the planner's own operation and reason",
  );
  assert.match(
    String(await page.locator("#find-result .pending").textContent()),
    /add ann@contoso\.com to 'Engineering'/,
  );

  // Dan is in Engineering only through Platform, which this sync does not count.
  await page.fill("#find-q", "dan@contoso.com");
  await page.click("#find button[value=explain]");
  const nested = page.locator('#find-result[data-kind=user] tr[data-group="Engineering"] td.why');
  await nested.waitFor(WAIT);
  assert.match(String(await nested.textContent()), /only through a nested group.*--process-child-groups/);

  // Resync Ann from the page, by name with a suggestion: the plan first, then apply.
  await page.check("input[name=kind][value=user]");
  const writes = live.lab.mi.requests.writes;
  await typeAndPick("#subject", "resync-names", "an", "ann@contoso.com");
  await page.click("#resync button[type=submit]");
  const planned = page.locator("#operations li[data-op=addMember][data-status=planned]", { hasText: "Engineering" });
  await planned.waitFor(WAIT);
  assert.equal(live.lab.mi.requests.writes, writes, "showing the plan wrote nothing to MI");
  await page.click("#apply");
  await page
    .locator("#operations li[data-op=addMember][data-status=applied]", { hasText: "Engineering" })
    .waitFor(WAIT);
  assert.ok(miMembers(live.lab, "Engineering").includes("ann@contoso.com"), "MI changed");

  // The change in the audit trail: by the user's name, and under its run.
  await page.fill("#find-q", "ann@contoso.com");
  await page.click("#find button[value=audit]");
  const entry = page.locator("#find-result[data-kind=audit] tr[data-op=addMember][data-path=resync]", {
    hasText: "Engineering",
  });
  await entry.waitFor(WAIT);
  assert.match(
    String(await entry.textContent()),
    /applied.*add ann@contoso\.com to 'Engineering'.*member of the Entra group/,
  );
  const run = page.locator("#runs tr[data-run]", { hasText: "on-demand" }).first();
  await run.waitFor(WAIT);
  await run.locator("button").click();
  const operation = page.locator("#runs tr.detail tr[data-op=addMember][data-status=applied]", {
    hasText: "Engineering",
  });
  await operation.waitFor(WAIT);
  assert.equal(
    await operation.locator("span[title]", { hasText: "ann@contoso.com" }).getAttribute("title"),
    `Entra ${tenant.users.ann}, MI ${live.lab.mi.state.userByUsername("ann@contoso.com")?.id}`,
    "the user by name, its ids on hover",
  );
  live.lab.graph.notifications.resume();
  await live.runner.idle();

  mkdirSync(SHOTS, { recursive: true });
  await page.fill("#find-q", "ann@contoso.com");
  await page.click("#find button[value=explain]");
  await page.locator('#find-result[data-kind=user] tr[data-group="Engineering"]').waitFor(WAIT);
  const png = await page.screenshot({ fullPage: true });
  writeFileSync(join(SHOTS, "status-page.png"), png);
  const shot = decodePng(png);
  assert.equal(shot.width, VIEWPORT.width);
  assert.ok(shot.colours.size > 50, `the page shows text, tables and a chart (${shot.colours.size} colours)`);
  assert.deepEqual(problems, [], "no script error and no CSP violation");
});

test("resync a group by its name: plan first, then apply", { skip }, async () => {
  live.lab.graph.notifications.pause();
  live.lab.graph.directory.addMember(tenant.groups.Sales!, tenant.users.dan!);
  await open();
  await page.check("input[name=kind][value=group]");
  await typeAndPick("#subject", "resync-names", "sa", "Sales");
  await page.click("#resync button[type=submit]");
  const planned = page.locator("#operations li[data-op=addMember]", { hasText: "Sales" });
  await planned.waitFor(WAIT);
  assert.match(String(await planned.textContent()), /\[planned\].*dan@contoso\.com/);
  assert.ok(!miMembers(live.lab, "Sales").includes("dan@contoso.com"));
  await page.click("#apply");
  await page.locator("#operations li[data-op=addMember][data-status=applied]", { hasText: "Sales" }).waitFor(WAIT);
  assert.ok(miMembers(live.lab, "Sales").includes("dan@contoso.com"), "MI changed");
  live.lab.graph.notifications.resume();
  await live.runner.idle();
  assert.deepEqual(problems, [], "no script error and no CSP violation");
});

test("on a phone the page does not scroll sideways: wide tables scroll inside their boxes", { skip }, async () => {
  await page.setViewportSize(PHONE);
  await open();
  await page.fill("#find-q", "Sales");
  await page.click("#find button[value=explain]");
  await page.locator("#find-result[data-kind=group]").waitFor(WAIT);
  await page.locator("#runs tr[data-run]", { hasText: "on-demand" }).first().locator("button").click();
  await page.locator("#runs tr.detail table").first().waitFor(WAIT);
  const widths = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth,
    viewport: document.documentElement.clientWidth,
  }));
  assert.ok(widths.page <= widths.viewport, `page ${widths.page} px wide in a ${widths.viewport} px viewport`);
  const fontPx = await page
    .locator("#activity svg text")
    .first()
    .evaluate((t) => (t as SVGTextElement).getBoundingClientRect().height);
  assert.ok(fontPx >= 9, `the chart's labels stay readable (${fontPx.toFixed(1)} px)`);
  writeFileSync(join(SHOTS, "status-page-phone.png"), await page.screenshot({ fullPage: true }));
  await page.setViewportSize(VIEWPORT);
  assert.deepEqual(problems, [], "no script error and no CSP violation");
});
