import Module from "node:module";

/** The module id the `@azure/functions` package `require`s to find the Functions runtime. */
export const CORE_MODULE_ID = "@azure/functions-core";

type RequireFunction = (this: NodeJS.Module, id: string) => unknown;

/** Marks the interception, so that a second app in the same thread is refused rather than silently mixed. */
const PROVIDED: unique symbol = Symbol.for("mi-o365-usersync.serve.core-module");

/**
 * Makes `require("@azure/functions-core")` return `coreApi` in this thread, the way the Functions Node worker makes
 * its built-in module available: the package looks it up with a plain `require` (its `tryGetCoreApiLazy`), and
 * without it switches to "test mode" and skips every registration. Returns a function that removes the
 * interception. One app per thread: a second call while one is installed is refused.
 */
export function provideCoreModule(coreApi: Record<string, unknown>): () => void {
  const prototype = Module.prototype as unknown as { require: RequireFunction & { [PROVIDED]?: true } };
  if (prototype.require[PROVIDED]) throw new Error(`${CORE_MODULE_ID} is already provided in this thread`);
  const original = prototype.require;
  const provided = Object.assign(
    function require(this: NodeJS.Module, id: string): unknown {
      return id === CORE_MODULE_ID ? coreApi : original.call(this, id);
    },
    { [PROVIDED]: true as const },
  );
  prototype.require = provided;
  return () => {
    if (prototype.require === provided) prototype.require = original;
  };
}
