/** A .NET TimeSpan as host.json writes durations: `[d.]hh:mm:ss[.fffffff]`. */
export const TIME_SPAN = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/;

/** Milliseconds of a TimeSpan string (see TIME_SPAN); undefined when it is not one. */
export function parseTimeSpanMs(text: string): number | undefined {
  const match = TIME_SPAN.exec(text);
  if (!match) return undefined;
  const [, days = "0", hours = "0", minutes = "0", seconds = "0", fraction = ""] = match;
  const ms = Number(`0.${fraction || "0"}`) * 1000;
  return ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds) * 1000 + ms;
}
