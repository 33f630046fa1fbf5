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
 * Opens the status page in headless Chromium, waits for its verdict, and saves a full-page screenshot. Returns the
 * verdict text, or undefined when Chromium is not installed.
 */
export async function screenshotStatusPage(pageUrl: string, file: string): Promise<string | undefined> {
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
    await page.goto(pageUrl);
    const verdict = page.locator("#verdict[data-level]");
    await verdict.waitFor({ timeout: 15_000 });
    await page.locator("#runs tr").first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: file, fullPage: true });
    return ((await verdict.locator("strong").first().textContent()) ?? "").trim();
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
