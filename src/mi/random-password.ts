/**
 * A random password for users created over REST. MI requires one on `POST /api/user` (contract §2.1, §4 Q5) even for
 * users who sign in through SSO; nobody is told it, and it is never logged.
 */
import { randomInt } from "node:crypto";

const lower = "abcdefghijkmnopqrstuvwxyz";
const upper = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const digits = "23456789";
const symbols = "!#%+-.:=?@_";
const all = lower + upper + digits + symbols;

/** `length` characters (default 32) with at least one lower-case letter, upper-case letter, digit and symbol. */
export function randomPassword(length = 32): string {
  const pick = (set: string): string => set[randomInt(set.length)]!;
  const chars = [pick(lower), pick(upper), pick(digits), pick(symbols)];
  while (chars.length < length) chars.push(pick(all));
  for (let i = chars.length - 1; i > 0; i -= 1) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join("");
}
