import { UsageError } from "../errors/sync-error.js";

/** Table names are 3–63 letters and digits starting with a letter; the longest suffix is 13 characters. */
const TABLE_PREFIX = /^[A-Za-z][A-Za-z0-9]{0,49}$/;

/** The prefix of the app's table names (`SYNC_TABLE_PREFIX`, default `misync`), checked: a bad one is a UsageError. */
export function tablePrefix(prefix: string | undefined): string {
  const value = prefix ?? "misync";
  if (!TABLE_PREFIX.test(value)) {
    throw new UsageError(
      "state.invalid_name",
      `Table prefix "${value}" is not valid: use 1–50 letters and digits, starting with a letter.`,
    );
  }
  return value;
}
