import { explainGroup } from "./explain-group.js";
import { explainUser } from "./explain-user.js";
import type { ExplainDeps, Explanation } from "./explanation.js";

/** What the query names: decided from the query (`auto`), or said by the caller. */
export type ExplainKind = "auto" | "user" | "group";

/**
 * `explain <user or group>`: why a user is (or is not) where it is in MI, or where a group stands, from the planner's
 * own reasons. `auto` reads a query with `@` as a user; anything else as a group first (an Entra object id or name,
 * an MI group name), then as a user (an Entra object id, an MI username). Reads Entra and MI live; writes nothing.
 */
export async function explain(deps: ExplainDeps, query: string, kind: ExplainKind = "auto"): Promise<Explanation> {
  await deps.mi.connect();
  if (kind === "group" || (kind === "auto" && !query.includes("@"))) {
    const group = await explainGroup(deps, query);
    if (group) return group;
    if (kind === "group") {
      return {
        kind: "none",
        query,
        generatedAt: deps.now().toISOString(),
        summary: [`No Entra group and no MI group is named '${query}'.`],
        operations: [],
        problems: [],
        notes: [],
        warnings: [],
        audit: null,
      };
    }
  }
  return explainUser(deps, query);
}
