import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { ServeError } from "./serve-error.js";

const settingsFileSchema = z.looseObject({
  IsEncrypted: z.boolean().optional(),
  Values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});

/**
 * The `Values` of a local.settings.json, as strings (app settings always are). `explicit` says whether the file was
 * named (`--settings`): a named file must exist; the default one may be absent. Encrypted files are refused: only
 * the Core Tools can decrypt them.
 */
export function readSettingsFile(path: string, explicit: boolean): Record<string, string> {
  if (!existsSync(path)) {
    if (explicit) throw new ServeError(2, `--settings: ${path} does not exist`);
    return {};
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ServeError(2, `--settings: ${path} is not JSON: ${error instanceof Error ? error.message : error}`);
  }
  const parsed = settingsFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ServeError(2, `--settings: ${path}: ${issue?.path.join(".") || "(root)"} ${issue?.message ?? "invalid"}`);
  }
  if (parsed.data.IsEncrypted) {
    throw new ServeError(2, `--settings: ${path} is encrypted (IsEncrypted: true); decrypt it or use the environment`);
  }
  return Object.fromEntries(Object.entries(parsed.data.Values ?? {}).map(([key, value]) => [key, String(value)]));
}
