import { describeError, UsageError } from "../errors/sync-error.js";

const CODE = "usage.process_users";

/**
 * Parses `--process-users`: either `u1,u2,...` or `@path` naming a file with one user per line.
 *
 * - List form: entries are split at commas and trimmed; empty entries (`a,,b`, a trailing comma) are skipped.
 * - File form: a leading UTF-8 BOM is dropped, CRLF and LF both end a line, lines are trimmed, blank lines and lines
 *   starting with `#` are skipped, and ` # text` after an entry (a `#` preceded by whitespace) is a comment too.
 *   A `#` inside an entry (`a#b@contoso.com` is a valid address) is kept. Commas in a file line are not separators.
 * - Entries are returned trimmed, in first-seen order, without case-insensitive duplicates (the first spelling
 *   wins). Matching against users is case-insensitive: compare through `normaliseUserKey`.
 *
 * @param readFile reads a file as text; it may throw, for example when the file does not exist.
 * @throws UsageError (code `usage.process_users`) for `@` without a path, an unreadable file (naming the path), or
 * a value that lists no users.
 */
export function parseProcessUsers(value: string, readFile: (path: string) => string): string[] {
  if (!value.startsWith("@")) {
    const entries = unique(value.split(",").map((entry) => entry.trim()));
    if (entries.length === 0) throw new UsageError(CODE, "--process-users: no users given; use u1,u2 or @file");
    return entries;
  }
  const path = value.slice(1);
  if (path.trim() === "") throw new UsageError(CODE, "--process-users: '@' needs a file name, e.g. @users.txt");
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw new UsageError(CODE, `--process-users: cannot read '${path}' (${describeError(error)})`, { cause: error });
  }
  const entries = unique(
    text
      .replace(/^\uFEFF/, "")
      .split(/\r?\n/)
      .map((line) => line.replace(/\s#.*$/, "").trim())
      .filter((line) => !line.startsWith("#")),
  );
  if (entries.length === 0) throw new UsageError(CODE, `--process-users: '${path}' lists no users (one per line)`);
  return entries;
}

/** The key under which user names are compared: lower case (locale-independent). `--process-users` matching is
 * case-insensitive, so both sides go through this. */
export function normaliseUserKey(name: string): string {
  return name.toLowerCase();
}

function unique(entries: readonly string[]): string[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    const key = normaliseUserKey(entry);
    if (entry === "" || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
