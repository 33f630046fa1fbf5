/**
 * Polls `check` every 20 ms until it holds. Fails only after `limitMs` (default ten minutes: a hung run, not a slow
 * one), so callers wait for states, never for a time.
 */
export async function waitUntil(check: () => Promise<boolean>, what: string, limitMs = 600_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
