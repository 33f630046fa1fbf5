import type {
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  HookName,
  ProgrammingModel,
  RpcBindingInfo,
} from "./functions-core-types.js";
import { ServeError } from "./serve-error.js";

/** A function as the app registered it: the bindings the host would see, and the callback the package wraps. */
export interface RegisteredFunction {
  name: string;
  bindings: Record<string, RpcBindingInfo>;
  callback: FunctionCallback;
  /** The entry point file that registered it (for messages). */
  entryPoint: string | undefined;
}

/**
 * What the app hands the core module while its entry points load: functions, hooks and the programming model.
 * Registration closes once the entry points are loaded, as in the worker ("only during app startup").
 */
export class AppRegistry {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks = new Map<HookName, HookCallback[]>();
  model: ProgrammingModel | undefined;
  currentEntryPoint: string | undefined;
  private locked = false;

  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): () => void {
    if (this.locked) throw new ServeError(1, `function "${metadata.name}" registered after the app started`);
    const id = metadata.functionId ?? metadata.name;
    if (this.functions.has(id)) throw new ServeError(2, `two functions are registered as "${id}"`);
    this.functions.set(id, {
      name: metadata.name,
      bindings: metadata.bindings,
      callback,
      entryPoint: this.currentEntryPoint,
    });
    return () => {
      if (!this.locked) this.functions.delete(id);
    };
  }

  registerHook(name: HookName, callback: HookCallback): () => void {
    const list = this.hooks.get(name) ?? [];
    list.push(callback);
    this.hooks.set(name, list);
    return () => {
      const index = list.indexOf(callback);
      if (index >= 0) list.splice(index, 1);
    };
  }

  /** Runs the hooks of one kind in registration order; a hook that throws stops the rest, as in the worker. */
  async runHooks(name: HookName, context: Record<string, unknown>): Promise<void> {
    for (const hook of [...(this.hooks.get(name) ?? [])]) await hook(context);
  }

  lock(): void {
    this.locked = true;
  }
}
