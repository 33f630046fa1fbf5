import type { AppRegistry } from "./app-registry.js";
import {
  Disposable,
  type FunctionCallback,
  type FunctionMetadata,
  type HookCallback,
  type HookName,
  type ProgrammingModel,
  type RpcLogCategory,
  type RpcLogLevel,
} from "./functions-core-types.js";

/** The version `serve` reports as the worker's and the host's (`coreApi.version`, `coreApi.hostVersion`). */
export const SERVE_CORE_VERSION = "4.0.0-serve";

/**
 * The `@azure/functions-core` module object: what the `@azure/functions` package calls to register functions and
 * hooks and to set its programming model. Everything lands in `registry`; `log` is for logs outside an invocation.
 */
export function createCoreApi(
  registry: AppRegistry,
  log: (level: RpcLogLevel, category: RpcLogCategory, message: string) => void,
): Record<string, unknown> {
  return {
    version: SERVE_CORE_VERSION,
    hostVersion: SERVE_CORE_VERSION,
    registerFunction: (metadata: FunctionMetadata, callback: FunctionCallback) =>
      new Disposable(registry.registerFunction(metadata, callback)),
    registerHook: (name: HookName, callback: HookCallback) => new Disposable(registry.registerHook(name, callback)),
    setProgrammingModel: (model: ProgrammingModel) => {
      registry.model = model;
    },
    getProgrammingModel: () => registry.model,
    log,
    Disposable,
  };
}
