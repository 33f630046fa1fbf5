import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { AppRegistry, type RegisteredFunction } from "./app-registry.js";
import { createCoreApi } from "./create-core-api.js";
import { expandEntryPoints } from "./expand-entry-points.js";
import type { ProgrammingModel, RpcLogCategory, RpcLogLevel } from "./functions-core-types.js";
import { provideCoreModule } from "./provide-core-module.js";
import { ServeError } from "./serve-error.js";

export type SystemLog = (level: RpcLogLevel, category: RpcLogCategory, message: string) => void;

/** The Functions app, loaded: what it registered, through the programming model it set. */
export interface LoadedApp {
  root: string;
  /** package.json `name`: the host id that scopes timer singletons in storage. */
  name: string;
  version: string;
  registry: AppRegistry;
  model: ProgrammingModel | undefined;
  /** In registration order. */
  functions: RegisteredFunction[];
}

const packageJsonSchema = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  main: z.string().min(1, "package.json `main` must name the Functions entry points"),
});

/**
 * Loads the app the way the Functions Node worker does: provides `@azure/functions-core`, then `require`s every file
 * package.json `main` names (a glob), in order; whatever they register is the app. Registration closes afterwards,
 * and the `appStart` hooks run. One app per thread.
 */
export async function loadFunctionApp(root: string, log: SystemLog): Promise<LoadedApp> {
  const parsed = packageJsonSchema.safeParse(readJson(join(root, "package.json")));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ServeError(2, `package.json: ${issue?.message ?? "invalid"} (at ${issue?.path.join(".") || "root"})`);
  }
  const { name, version, main } = parsed.data;
  const files = expandEntryPoints(root, main);
  if (files.length === 0) {
    throw new ServeError(2, `package.json main "${main}" matches no file under ${root}: run npm run build first`);
  }
  const registry = new AppRegistry();
  provideCoreModule(createCoreApi(registry, log));
  for (const file of files) {
    const path = join(root, file);
    registry.currentEntryPoint = file;
    log("debug", "system", `loading entry point ${file}`);
    try {
      require(path);
    } catch (error) {
      if (error instanceof ServeError) throw error;
      throw new ServeError(1, `entry point ${file} failed to load: ${error instanceof Error ? error.message : error}`, {
        cause: error,
      });
    } finally {
      registry.currentEntryPoint = undefined;
    }
  }
  registry.lock();
  // The worker asks the model for its capabilities once the app is loaded; the package locks its setup() then.
  await registry.model?.getCapabilities?.({});
  await registry.runHooks("appStart", { hookData: {}, appHookData: {}, functionAppDirectory: root });
  return { root, name, version, registry, model: registry.model, functions: [...registry.functions.values()] };
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ServeError(2, `cannot read ${path}: ${error instanceof Error ? error.message : error}`);
  }
}
