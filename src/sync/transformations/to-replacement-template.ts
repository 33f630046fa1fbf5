import type { CompiledPattern } from "./compile-pattern.js";

export type ReplacementTemplateResult = { ok: true; template: string } | { ok: false; error: string };

type Part = { text: string } | { group: number } | { name: string };

/**
 * Turns the REPLACEMENT of a `sub` rule, as the user wrote it, into a JavaScript `String.prototype.replace` template
 * whose meaning is exactly:
 * - `\1`..`\99` (Python) and `$1`..`$99` (JavaScript) are group references. Two digits name a group only when the
 *   pattern has that many groups; otherwise the first digit is the group and the second is text (`\10` with one
 *   group is group 1, then `0`). A reference to a group the pattern lacks is an error.
 * - `\g<N>` and `\g<name>` (Python) and `$<name>` (JavaScript) name a group; `\g<0>` is the whole match. An unknown
 *   name is an error (for `$<name>` only when the pattern has named groups; otherwise it is text).
 * - `\\` is one backslash. Every other backslash and every other `$` is literal text: `$$` gives `$$`, `$&` gives
 *   `$&` (the template escapes them as `$$$$` and `$$&`).
 * Never throws; an error comes back as `{ ok: false, error }`.
 */
export function toReplacementTemplate(replacement: string, pattern: CompiledPattern): ReplacementTemplateResult {
  const parts: Part[] = [];
  const text = (t: string) => {
    const last = parts.at(-1);
    if (last && "text" in last) last.text += t;
    else parts.push({ text: t });
  };
  let i = 0;
  while (i < replacement.length) {
    const c = replacement[i]!;
    const rest = replacement.slice(i + 1);
    if (c === "\\" && rest.startsWith("\\")) {
      text("\\");
      i += 2;
      continue;
    }
    const digits = c === "\\" || c === "$" ? /^[1-9]\d?/.exec(rest)?.[0] : undefined;
    if (digits !== undefined) {
      const two = Number(digits);
      const group = digits.length === 2 && two <= pattern.groupCount ? two : Number(digits[0]);
      if (group > pattern.groupCount) return missingGroup(`${c}${group}`, pattern);
      parts.push({ group });
      i += 1 + String(group).length;
      continue;
    }
    const named = c === "\\" ? /^g<([^>]*)>/.exec(rest) : c === "$" ? /^<([^>]*)>/.exec(rest) : null;
    if (named !== null) {
      const ref = named[1]!;
      const spelled = `${c}${named[0]}`;
      if (/^\d+$/.test(ref) && c === "\\") {
        const group = Number(ref);
        if (group > pattern.groupCount) return missingGroup(spelled, pattern);
        parts.push({ group });
      } else if (pattern.groupNames.has(ref)) {
        parts.push({ name: ref });
      } else if (c === "\\" || pattern.groupNames.size > 0) {
        return { ok: false, error: `replacement refers to group '${spelled}', which the pattern does not have` };
      } else {
        text(spelled);
      }
      i += 1 + named[0].length;
      continue;
    }
    text(c);
    i += 1;
  }
  return { ok: true, template: render(parts) };
}

function missingGroup(spelled: string, pattern: CompiledPattern): ReplacementTemplateResult {
  const has = pattern.groupCount === 1 ? "1 group" : `${pattern.groupCount} groups`;
  return { ok: false, error: `replacement refers to group '${spelled}', but the pattern has ${has}` };
}

function render(parts: readonly Part[]): string {
  return parts
    .map((part, index) => {
      if ("text" in part) return part.text.replaceAll("$", "$$$$");
      if ("name" in part) return `$<${part.name}>`;
      if (part.group === 0) return "$&";
      const next = parts[index + 1];
      // `$1` followed by a digit would read as `$1N`; the two-digit form `$01` cannot.
      const followedByDigit = next !== undefined && "text" in next && /^\d/.test(next.text);
      return part.group < 10 && followedByDigit ? `$0${part.group}` : `$${part.group}`;
    })
    .join("");
}
