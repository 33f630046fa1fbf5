import type { RegisteredFunction } from "./app-registry.js";
import type { AuthLevel } from "./check-key.js";
import type { RpcBindingInfo } from "./functions-core-types.js";
import { parseSchedule, type Schedule } from "./parse-schedule.js";
import { ServeError } from "./serve-error.js";
import { resolveConnection } from "./storage-account.js";
import { SUPPORTED_OUTPUT_TYPES, stringProperty } from "./write-output-bindings.js";

interface Served {
  fn: RegisteredFunction;
  /** The trigger binding's name (the key its data is sent under). */
  triggerName: string;
  /** App setting `AzureWebJobs.<name>.Disabled`: not triggered, but still listed and runnable by the admin API. */
  disabled: boolean;
}

/** A registered function, read as the host reads its bindings. */
export type ServedFunction =
  | (Served & { kind: "http"; route: string; methods: string[]; authLevel: AuthLevel })
  | (Served & { kind: "timer"; expression: string; schedule: Schedule; runOnStartup: boolean })
  | (Served & { kind: "queue"; queueName: string; connectionSetting: string; connectionString: string });

type Settings = Record<string, string | undefined>;

/**
 * Reads each function's trigger and outputs, resolving `%NAME%` app-setting references and storage connections.
 * What `serve` cannot run (another trigger, input bindings, outputs other than queues) is a configuration error
 * naming the function, so that nothing registered is silently left unserved.
 */
export function servedFunctions(functions: RegisteredFunction[], settings: Settings): ServedFunction[] {
  return functions.map((fn) => {
    const entries = Object.entries(fn.bindings);
    const triggers = entries.filter(([, b]) => b.direction === "in" && /Trigger$/i.test(String(b.type)));
    const [trigger] = triggers;
    if (!trigger || triggers.length > 1) throw new ServeError(2, `function ${fn.name}: needs exactly one trigger`);
    const [triggerName, binding] = trigger;
    for (const [name, other] of entries) {
      if (name === triggerName) continue;
      if (other.direction !== "out") {
        throw new ServeError(2, `function ${fn.name}: input binding ${name} (${other.type}) is not supported by serve`);
      }
      const httpReturn = name === "$return" && other.type === "http" && binding.type === "httpTrigger";
      if (!httpReturn && !SUPPORTED_OUTPUT_TYPES.has(String(other.type))) {
        throw new ServeError(
          2,
          `function ${fn.name}: output binding ${name} (${other.type}) is not supported by serve`,
        );
      }
      if (other.type === "queue") {
        resolveConnection(settings, stringProperty(other, "connection"));
        resolveSettingReferences(fn.name, String(other.queueName ?? ""), settings);
      }
    }
    const base = { fn, triggerName, disabled: isDisabled(fn.name, settings) };
    switch (binding.type) {
      case "httpTrigger":
        return { ...base, kind: "http" as const, ...httpTrigger(fn.name, binding) };
      case "timerTrigger": {
        const { expression, next } = parseSchedule(fn.name, String(binding.schedule ?? ""), settings);
        return {
          ...base,
          kind: "timer" as const,
          expression,
          schedule: next,
          runOnStartup: binding.runOnStartup === true,
        };
      }
      case "queueTrigger": {
        const { setting, connectionString } = resolveConnection(settings, stringProperty(binding, "connection"));
        const queueName = resolveSettingReferences(fn.name, String(binding.queueName ?? ""), settings);
        return { ...base, kind: "queue" as const, queueName, connectionSetting: setting, connectionString };
      }
      default:
        throw new ServeError(2, `function ${fn.name}: trigger ${binding.type} is not supported by serve`);
    }
  });
}

function httpTrigger(
  name: string,
  binding: RpcBindingInfo,
): { route: string; methods: string[]; authLevel: AuthLevel } {
  const level = String(binding.authLevel ?? "function").toLowerCase();
  if (level !== "anonymous" && level !== "function" && level !== "admin") {
    throw new ServeError(2, `function ${name}: authLevel ${level} is not supported by serve`);
  }
  const methods = Array.isArray(binding.methods)
    ? binding.methods.map((m) => String(m).toUpperCase())
    : ["GET", "POST"];
  return { route: stringProperty(binding, "route") ?? name, methods, authLevel: level };
}

/** `%NAME%` in a binding property, replaced by app setting NAME (a binding expression). */
export function resolveSettingReferences(functionName: string, text: string, settings: Settings): string {
  return text.replace(/%([^%]+)%/g, (_, key: string) => {
    const value = settings[key];
    if (!value) throw new ServeError(2, `function ${functionName}: app setting ${key} is not set`);
    return value;
  });
}

/** The host's switch for one function: app setting `AzureWebJobs.<name>.Disabled` = true or 1. */
function isDisabled(name: string, settings: Settings): boolean {
  const value = settings[`AzureWebJobs.${name}.Disabled`] ?? settings[`AzureWebJobs__${name}__Disabled`];
  return value !== undefined && /^(true|1)$/i.test(value.trim());
}
