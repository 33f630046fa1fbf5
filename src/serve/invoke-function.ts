import { randomUUID } from "node:crypto";
import type { RegisteredFunction } from "./app-registry.js";
import type {
  CoreInvocationContext,
  RpcInvocationResponse,
  RpcLogCategory,
  RpcLogLevel,
  RpcParameterBinding,
  RpcTypedData,
} from "./functions-core-types.js";
import type { LoadedApp } from "./load-function-app.js";

/** What the host sends the worker for one invocation: the trigger's (and inputs') data and the trigger metadata. */
export interface InvocationInput {
  inputData: RpcParameterBinding[];
  triggerMetadata?: Record<string, RpcTypedData>;
}

export type InvocationLog = (
  invocation: { functionName: string; invocationId: string },
  level: RpcLogLevel,
  category: RpcLogCategory,
  message: string,
) => void;

export interface InvokeFunctionOptions {
  log: InvocationLog;
  /** host.json `functionTimeout`: past it the invocation counts as failed (the handler itself cannot be stopped). */
  timeoutMs: number;
}

/** The invocation ran past host.json's `functionTimeout`. */
export class FunctionTimeoutError extends Error {
  override readonly name = "FunctionTimeoutError";
}

/**
 * Runs one invocation as the worker does: the programming model turns the host's data into the handler's arguments
 * (its own HttpRequest, InvocationContext, camel-cased trigger metadata), the pre- and post-invocation hooks run
 * around the handler, and the model turns the result and `context.extraOutputs` into output data and a return
 * value. Rejects when the handler throws or times out.
 */
export async function invokeFunction(
  app: LoadedApp,
  fn: RegisteredFunction,
  input: InvocationInput,
  options: InvokeFunctionOptions,
): Promise<RpcInvocationResponse> {
  const model = app.model;
  if (!model) throw new Error(`function "${fn.name}" was registered without the @azure/functions programming model`);
  const invocationId = randomUUID();
  const where = { functionName: fn.name, invocationId };
  const core: CoreInvocationContext = {
    invocationId,
    request: { invocationId, functionId: fn.name, inputData: input.inputData, triggerMetadata: input.triggerMetadata },
    metadata: { name: fn.name, functionId: fn.name, bindings: fn.bindings },
    log: (level, category, message) => options.log(where, level, category, message),
  };
  const run = async (): Promise<RpcInvocationResponse> => {
    const invocation = await model.getInvocationModel(core);
    const { context, inputs } = await invocation.getArguments();
    const hookData: Record<string, unknown> = {};
    const pre = { hookData, appHookData: {}, invocationContext: context, inputs, functionCallback: fn.callback };
    core.state = "preInvocationHooks";
    await app.registry.runHooks("preInvocation", pre);
    core.state = "invocation";
    const post: Record<string, unknown> = { hookData, appHookData: {}, invocationContext: context, inputs: pre.inputs };
    try {
      post.result = await invocation.invokeFunction(context, pre.inputs, pre.functionCallback);
      post.error = null;
    } catch (error) {
      post.result = null;
      post.error = error;
    }
    core.state = "postInvocationHooks";
    await app.registry.runHooks("postInvocation", post);
    core.state = undefined;
    if (post.error !== null && post.error !== undefined) throw post.error;
    return invocation.getResponse(context, post.result);
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    if (!Number.isFinite(options.timeoutMs)) return;
    timer = setTimeout(
      () => reject(new FunctionTimeoutError(`${fn.name} ran past functionTimeout (${options.timeoutMs} ms)`)),
      options.timeoutMs,
    );
  });
  try {
    return await Promise.race([run(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
