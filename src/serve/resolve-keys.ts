import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { ServeError } from "./serve-error.js";

/** The host's keys: the function key opens `authLevel: "function"`; the master key opens everything. */
export interface HostKeys {
  functionKey: string;
  masterKey: string;
}

const keysFileSchema = z.object({ functionKey: z.string().min(16), masterKey: z.string().min(16) });

/** Where generated keys are kept, in the data dir. */
export const KEYS_FILE = "host-keys.json";

/**
 * The keys given (option or environment), else those kept in `<dataDir>/host-keys.json`, else new ones (32 random
 * bytes each) written there with mode 0600, so that URLs handed to Graph stay valid across restarts.
 */
export function resolveKeys(given: Partial<HostKeys>, dataDir: string): HostKeys {
  if (given.functionKey !== undefined && given.masterKey !== undefined) {
    return { functionKey: given.functionKey, masterKey: given.masterKey };
  }
  const path = join(dataDir, KEYS_FILE);
  let kept: HostKeys | undefined;
  try {
    const parsed = keysFileSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
    if (!parsed.success) throw new ServeError(2, `${path}: not a keys file; delete it to have new keys made`);
    kept = parsed.data;
  } catch (error) {
    if (error instanceof ServeError) throw error;
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new ServeError(2, `--data-dir: cannot read ${path}: ${(error as Error).message}`);
    }
  }
  if (!kept) {
    kept = { functionKey: newKey(), masterKey: newKey() };
    try {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(path, `${JSON.stringify(kept, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return resolveKeys(given, dataDir);
      throw new ServeError(2, `--data-dir: cannot write ${path}: ${(error as Error).message}`);
    }
  }
  return { functionKey: given.functionKey ?? kept.functionKey, masterKey: given.masterKey ?? kept.masterKey };
}

const newKey = (): string => randomBytes(32).toString("base64url");
