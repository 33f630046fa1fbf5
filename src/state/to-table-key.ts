import { StateRejectedError } from "./state-errors.js";

/** Characters kept as they are. Excludes `/ \ # ?` and control characters (forbidden in keys), `'` and `%` (URL
 * quoting trouble) and `~` (marks an encoded key, so an encoded key never equals a plain one). */
const PLAIN_KEY = /^[A-Za-z0-9:._@=+,;!$()*-]+$/;
/** Keys are at most 1 KiB of UTF-16. */
const MAX_KEY_CHARS = 512;

/**
 * A PartitionKey/RowKey for `value`: the value itself when it is plain (GUIDs, `group:<id>`, `groups-0`), otherwise
 * `~` + base64url of its UTF-8. Injective, so distinct values never share a row. Not meant to be decoded: every
 * entity also stores its natural id as a property.
 */
export function toTableKey(value: string): string {
  const key = PLAIN_KEY.test(value) ? value : `~${Buffer.from(value, "utf8").toString("base64url")}`;
  if (key.length > MAX_KEY_CHARS) {
    throw new StateRejectedError(
      "state.too_large",
      `A table key of ${key.length} characters is over the ${MAX_KEY_CHARS}-character limit; use a shorter id.`,
    );
  }
  return key;
}
