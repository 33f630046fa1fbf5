import { limitedUserError, toDirectoryUser } from "./directory-user.js";
import type { DeltaRound, UserDeltaChange } from "./entra-change-feed.js";
import { resolveGraphAttribute, userSelect } from "./graph-attribute.js";
import { type DeltaRoundDeps, readDeltaRound } from "./read-delta-round.js";
import { removalReason } from "./removal-reason.js";
import { unknownAttributeError } from "./unknown-attribute-error.js";

export interface ReadUserDeltaInput {
  attributes: readonly string[];
  customAttrAppId?: string;
  deltaLink?: string;
  start?: "latest" | "full";
  abortSignal?: AbortSignal;
}

/**
 * One users delta round (`EntraChangeFeed.readUserDelta`).
 *
 * Without `deltaLink`: `GET /users/delta?$select=<id,userPrincipalName,mail,accountEnabled + the attributes>` (the
 * same `$select` as member reads, built by `graph-attribute.ts`; no `$filter`), plus `$deltatoken=latest` for
 * `start: "latest"`. With `deltaLink`: that URL whole (its `$select` lives in the token); `attributes` are then only
 * used to read the values back, so they must be those the chain was started with.
 *
 * Entries with `@removed` become `{userId, removed}`; others `{userId, user}` with the user built exactly as member
 * reads build it (`toDirectoryUser`). A user entry repeated within a round keeps the last one. An entry without
 * `userPrincipalName` or `accountEnabled` throws AuthError `entra.forbidden` (the app may not read users).
 *
 * Caveat (contract §2): Graph does not document whether `onPremisesExtensionAttributes` and `extension_*` properties
 * are tracked by users delta; properties stored outside the main store are not. They are selected anyway (the
 * simulator tracks them) so values are present on entries that surface; a change to such a property alone may not
 * surface the user in real Graph, so a periodic full reconcile stays necessary for them.
 *
 * Errors as `readDeltaRound`; a 400 naming an unknown attribute or directory extension is UsageError
 * `entra.unknown_attribute`, as for member reads.
 */
export async function readUserDelta(
  input: ReadUserDeltaInput,
  deps: DeltaRoundDeps,
): Promise<DeltaRound<UserDeltaChange>> {
  const attributes = input.attributes.map((name) => resolveGraphAttribute(name, input.customAttrAppId));
  const url =
    input.deltaLink ??
    `/users/delta?$select=${userSelect(attributes).join(",")}${input.start === "latest" ? "&$deltatoken=latest" : ""}`;
  const users = new Map<string, UserDeltaChange>();

  const deltaLink = await readDeltaRound(
    {
      url,
      what: input.deltaLink === undefined ? "the users delta" : "a users delta link",
      ...(input.abortSignal === undefined ? {} : { abortSignal: input.abortSignal }),
      mapFailure: (failure) => unknownAttributeError(failure, attributes, input.customAttrAppId),
      onEntry: (entry) => {
        const { id } = entry;
        if (typeof id !== "string") return;
        const removed = removalReason(entry["@removed"]);
        if (removed !== undefined) {
          users.set(id, { userId: id, removed });
          return;
        }
        const user = toDirectoryUser(entry, attributes);
        if (user === undefined) throw limitedUserError(id, " in the users delta", deps.identity);
        users.set(id, { userId: id, user });
      },
    },
    deps,
  );
  return { changes: [...users.values()], deltaLink };
}
