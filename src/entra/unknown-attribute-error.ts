import { UsageError } from "../errors/sync-error.js";
import type { GraphAttribute } from "./graph-attribute.js";
import type { GraphFailure } from "./map-graph-failure.js";

/**
 * A 400 on a user read that `$select`s an attribute Graph may not know (an unknown name or a directory extension) is
 * a usage error: Graph rejects `$select` of a property it does not have. Returns that UsageError, or undefined when
 * the failure is something else.
 */
export function unknownAttributeError(
  failure: GraphFailure,
  attributes: readonly GraphAttribute[],
  customAttrAppId: string | undefined,
): UsageError | undefined {
  const suspects = attributes.filter((a) => a.source === "unknown" || a.source === "directoryExtension");
  if (failure.status !== 400 || suspects.length === 0) return undefined;
  const names = suspects.map((a) => `"${a.requested}"${a.select === a.requested ? "" : ` (${a.select})`}`).join(", ");
  const next =
    customAttrAppId === undefined
      ? "A custom attribute held in a directory extension needs --custom-attr-app-id <id of the app that owns the extension>."
      : `Check --custom-attr-app-id ${customAttrAppId} and that the extension is registered on that app.`;
  return new UsageError(
    "entra.unknown_attribute",
    `Microsoft Graph does not know the user attribute ${names} (${failure.status}${failure.code ? ` ${failure.code}` : ""}). ${next}`,
    { hint: next },
  );
}
