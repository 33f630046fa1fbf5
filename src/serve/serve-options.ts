import { z } from "zod";
import type { HostJsonPatch } from "./read-host-config.js";
import { ServeError } from "./serve-error.js";

/** `serve`'s options (contracts/serve.md "Options and settings"), resolved. */
export interface ServeOptions {
  port: number;
  host: string;
  /** A storage connection string; else app setting AzureWebJobsStorage; else embedded Azurite. */
  storage?: string;
  /** Embedded Azurite's data and the generated keys. */
  dataDir: string;
  functionKey?: string;
  masterKey?: string;
  /** A local.settings.json whose `Values` are app settings under the environment's; none when absent. */
  settingsFile?: string;
  /** Whether `settingsFile` was named (then it must exist). */
  settingsFileExplicit: boolean;
  /** The Functions app's folder (package.json, host.json); default app setting AzureWebJobsScriptRoot, else ours. */
  appRoot?: string;
  /** In-process callers only: host.json values laid over the file's (tests shorten the retry delay). */
  hostJson?: HostJsonPatch;
}

/** The command line's options as commander hands them over. */
export const serveFlagsSchema = z.object({
  port: z
    .string()
    .regex(/^\d{1,5}$/, "--port must be a port number, 0 to 65535")
    .transform(Number)
    .refine((port) => port <= 65535, "--port must be a port number, 0 to 65535")
    .default(7071),
  host: z.string().min(1, "--host must be an address such as 127.0.0.1 or 0.0.0.0").default("127.0.0.1"),
  storage: z.string().min(1, "--storage must be a storage connection string").optional(),
  dataDir: z.string().min(1, "--data-dir must be a folder").default(".serve/azurite"),
  functionKey: z
    .string()
    .min(16, "--function-key (or FUNCTIONS_DEFAULT_KEY) must be at least 16 characters")
    .optional(),
  masterKey: z.string().min(16, "--master-key (or FUNCTIONS_MASTER_KEY) must be at least 16 characters").optional(),
  settings: z.string().min(1, "--settings must name a file").optional(),
});

export type ServeFlags = z.input<typeof serveFlagsSchema>;

/** Flags over the environment (FUNCTIONS_DEFAULT_KEY, FUNCTIONS_MASTER_KEY), validated; a ServeError (2) names the option. */
export function resolveServeOptions(flags: ServeFlags, env: Record<string, string | undefined>): ServeOptions {
  const parsed = serveFlagsSchema.safeParse({
    ...flags,
    functionKey: flags.functionKey ?? (env.FUNCTIONS_DEFAULT_KEY || undefined),
    masterKey: flags.masterKey ?? (env.FUNCTIONS_MASTER_KEY || undefined),
  });
  if (!parsed.success) throw new ServeError(2, parsed.error.issues[0]?.message ?? "invalid options");
  const { settings, ...rest } = parsed.data;
  return {
    ...rest,
    ...(rest.storage === undefined ? {} : { storage: rest.storage }),
    settingsFile: settings ?? "local.settings.json",
    settingsFileExplicit: settings !== undefined,
  };
}
