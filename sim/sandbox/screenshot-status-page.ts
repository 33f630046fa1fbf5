import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

/** Debian's Chromium, which the CI installs; the sandbox skips the screenshot where it is missing. */
export const CHROMIUM = "/usr/bin/chromium";

/** Flags for a headless Chromium on a machine with no network beyond loopback. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Opens the status page in headless Chromium, waits for its verdict, opens the last run's operations (and with
 * `explain`, asks the page to explain that user or group), and saves a full-page screenshot, and the top of the page as a phone shows it beside it (`-phone.png`). Returns the
 * verdict text, or undefined when Chromium is not installed.
 */
export async function screenshotStatusPage(
  pageUrl: string,
  file: string,
  options: { explain?: string } = {},
): Promise<string | undefined> {
  if (!existsSync(CHROMIUM)) return undefined;
  // Playwright refuses --user-data-dir among the launch args; a persistent context on a fresh directory is the same.
  const profile = mkdtempSync(join(tmpdir(), "status-page-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 900 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const verdict = page.locator("#verdict[data-level]");
    const show = async (path: string, clipHeight?: number): Promise<void> => {
      await page.goto(pageUrl);
      await verdict.waitFor({ timeout: 15_000 });
      await page.locator("#runs tr").first().waitFor({ timeout: 15_000 });
      await page.locator("#runs tr[data-run] button").first().click();
      await page.locator("#runs tr.detail").first().waitFor({ timeout: 15_000 });
      if (options.explain) {
        await page.fill("#find-q", options.explain);
        await page.click("#find button[value=explain]");
        await page.locator("#find-result[data-kind]").waitFor({ timeout: 15_000 });
      }
      const clip = clipHeight === undefined ? {} : { clip: { x: 0, y: 0, width: 390, height: clipHeight } };
      await page.screenshot({ path, fullPage: true, ...clip });
    };
    await show(file);
    // Loaded again at a phone's width: the page lays itself out, and draws its chart, for the width it is shown at.
    await page.setViewportSize({ width: 390, height: 844 });
    await show(file.replace(/\.png$/, "-phone.png"), 2_000);
    return ((await verdict.locator("strong").first().textContent()) ?? "").trim();
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
