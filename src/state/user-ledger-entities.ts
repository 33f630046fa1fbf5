/**
 * The row layout of the user ledger, in the `<p>IdMap` table beside the group mappings:
 *
 * | PartitionKey | RowKey                                  | properties |
 * |--------------|-----------------------------------------|------------|
 * | `user`       | entraId                                 | entraId, miId?, username, email, claims ("Y"/"N"), updatedAt |
 * | `claim-u`    | sha256(lowercased username)[0..32] `-` entraId | entraId, key |
 * | `claim-e`    | sha256(lowercased email)[0..32] `-` entraId    | entraId, key |
 * | `touch`      | ISO time `|` entraId                    | entraId (a sync limited to users read it then) |
 *
 * The claim rows index who claims a username or an email: all claimants of one key share a RowKey prefix, so one
 * range query finds them. They are written after the entry and deleted after it changes; a reader trusts the entry,
 * never the claim row alone (a crash between the two leaves a stale claim row, which the entry contradicts).
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { StateCorruptError } from "./state-errors.js";
import type { UserLedgerEntry } from "./sync-state-store.js";
import { toTableKey } from "./to-table-key.js";

export const USER_PARTITION = "user";
export const TOUCH_PARTITION = "touch";
export type ClaimKind = "username" | "email";
export const CLAIM_PARTITION: Record<ClaimKind, string> = { username: "claim-u", email: "claim-e" };

const UserEntryRow = z.object({
  entraId: z.string().min(1),
  miId: z.string().optional(),
  // Rows written before the ledger (the id map) have neither: they claim nothing.
  username: z.string().default(""),
  email: z.string().default(""),
  claims: z.enum(["Y", "N"]).default("N"),
  updatedAt: z.string(),
  etag: z.string().optional(),
});

/** The first 32 hex digits of the SHA-256 of the lowercased key: fixed length, any characters. */
export function claimHash(key: string): string {
  return createHash("sha256").update(key.toLowerCase(), "utf8").digest("hex").slice(0, 32);
}

export function claimRowKey(key: string, entraId: string): string {
  return `${claimHash(key)}-${toTableKey(entraId)}`;
}

/** RowKey bounds of every claim row of `key`: `ge` inclusive, `lt` exclusive (`.` follows `-`). */
export function claimRange(key: string): { ge: string; lt: string } {
  const hash = claimHash(key);
  return { ge: `${hash}-`, lt: `${hash}.` };
}

export function encodeUserEntry(
  entry: UserLedgerEntry,
): { partitionKey: string; rowKey: string } & Record<string, string> {
  return {
    partitionKey: USER_PARTITION,
    rowKey: toTableKey(entry.entraId),
    kind: "user",
    entraId: entry.entraId,
    ...(entry.miId === undefined ? {} : { miId: entry.miId, miName: "" }),
    username: entry.username,
    email: entry.email,
    claims: entry.claims ? "Y" : "N",
    updatedAt: entry.updatedAt,
  };
}

export function decodeUserEntry(table: string, row: Record<string, unknown>): UserLedgerEntry {
  const parsed = UserEntryRow.safeParse(row);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(row)"} ${i.message}`).join("; ");
    const key = (name: string): string => (typeof row[name] === "string" ? (row[name] as string) : "?");
    throw new StateCorruptError(
      table,
      key("partitionKey"),
      key("rowKey"),
      `Table "${table}" holds a user ledger row that is not valid (${problems}).`,
    );
  }
  const { miId, claims, etag, ...rest } = parsed.data;
  // An id-map row of old may hold an empty miId: it names no MI user.
  return { ...rest, claims: claims === "Y", miId: miId === "" ? undefined : miId };
}

export function encodeClaim(
  kind: ClaimKind,
  key: string,
  entraId: string,
): Record<string, string> & {
  partitionKey: string;
  rowKey: string;
} {
  return { partitionKey: CLAIM_PARTITION[kind], rowKey: claimRowKey(key, entraId), entraId, key: key.toLowerCase() };
}

/** A note that a sync limited to users read `entraId` at `at`: RowKeys sort by time. */
export function touchEntity(entraId: string, at: string): { partitionKey: string; rowKey: string; entraId: string } {
  return { partitionKey: TOUCH_PARTITION, rowKey: `${at}|${toTableKey(entraId)}`, entraId };
}
