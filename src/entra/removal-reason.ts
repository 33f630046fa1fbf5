/**
 * Reads a delta entry's `@removed` annotation (`{"reason": "changed" | "deleted"}`, contract §2): undefined when the
 * entry was not removed. `changed` is a soft delete (restorable); any other or missing reason counts as `deleted`.
 */
export function removalReason(annotation: unknown): "changed" | "deleted" | undefined {
  if (annotation === undefined || annotation === null) return undefined;
  if (typeof annotation === "object" && (annotation as Record<string, unknown>).reason === "changed") return "changed";
  return "deleted";
}
