/**
 * Returns a function that replaces every configured secret in a text with `***`. The CLI passes everything it prints
 * through it, as a last line of defence: no message is built with a secret in the first place.
 */
export function createRedactor(secrets: (string | undefined)[]): (text: string) => string {
  const values = secrets
    .filter((s): s is string => typeof s === "string" && s.length >= 4)
    .sort((a, b) => b.length - a.length);
  if (values.length === 0) return (text) => text;
  return (text) => values.reduce((acc, secret) => acc.split(secret).join("***"), text);
}
