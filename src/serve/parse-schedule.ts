import { Cron } from "croner";
import { ServeError } from "./serve-error.js";

/** A timer schedule, ready to tell its next occurrence after a date (UTC); undefined when there is none. */
export type Schedule = (after: Date) => Date | undefined;

/**
 * A six-field NCRONTAB expression (`{second} {minute} {hour} {day} {month} {day-of-week}`), evaluated in UTC as the
 * Functions host does without WEBSITE_TIME_ZONE. `%NAME%` takes the expression from app setting NAME. Like NCrontab,
 * a day must match both day-of-month and day-of-week when both are restricted.
 */
export function parseSchedule(
  functionName: string,
  expression: string,
  settings: Record<string, string | undefined>,
): { expression: string; next: Schedule } {
  const resolved = expression.replace(/%([^%]+)%/g, (_, name: string) => {
    const value = settings[name];
    if (value === undefined || value === "") {
      throw new ServeError(
        2,
        `function ${functionName}: schedule %${name}% names app setting ${name}, which is not set`,
      );
    }
    return value;
  });
  let cron: Cron;
  try {
    cron = new Cron(resolved, { mode: "6-part", timezone: "UTC", domAndDow: true, paused: true });
  } catch (error) {
    throw new ServeError(
      2,
      `function ${functionName}: schedule "${resolved}" is not a six-field NCRONTAB expression (${error instanceof Error ? error.message : error})`,
    );
  }
  return { expression: resolved, next: (after) => cron.nextRun(after) ?? undefined };
}
