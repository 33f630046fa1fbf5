import type { HostKeys } from "./resolve-keys.js";
import type { ServedFunction } from "./served-functions.js";
import type { TimerListener } from "./timer-listener.js";

/**
 * One line per function, as `func start` lists them: an HTTP function's methods and URL (`?code=` with the function
 * key for function-level ones only), a timer's schedule and next occurrence (UTC), a queue trigger's queue.
 */
export function startupLines(
  served: ServedFunction[],
  context: { url: string; routePrefix: string; keys: HostKeys; timers: Map<string, TimerListener> },
): string[] {
  return served.map((f) => {
    const name = f.fn.name;
    if (f.disabled && f.kind !== "timer") return `${name}: disabled (AzureWebJobs.${name}.Disabled)`;
    switch (f.kind) {
      case "http": {
        const path = [context.routePrefix, f.route].filter(Boolean).join("/");
        const code = f.authLevel === "function" ? `?code=${context.keys.functionKey}` : "";
        const note = f.authLevel === "admin" ? " (master key)" : "";
        return `${name}: [${f.methods.join(",")}] ${context.url}/${path}${code}${note}`;
      }
      case "timer": {
        const next = context.timers.get(name)?.next();
        const when = f.disabled ? `disabled (AzureWebJobs.${name}.Disabled)` : `next ${next?.toISOString() ?? "never"}`;
        return `${name}: timerTrigger "${f.expression}" (UTC), ${when}`;
      }
      case "queue":
        return `${name}: queueTrigger ${f.queueName} (${f.connectionSetting})`;
    }
    return `${name}: unknown trigger`;
  });
}
