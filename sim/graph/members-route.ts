import { serveDirectoryObjects } from "./directory-object-list.js";
import type { MemberKind } from "./directory-types.js";
import { badRequest, type GraphResponse, unsupportedQuery } from "./graph-response.js";
import type { ODataQuery } from "./odata-query.js";
import type { GraphRequest, SimContext } from "./sim-context.js";

/** Which member list: `/members` (direct) or `/transitiveMembers` (flattened, nested groups included). */
export type MemberListKind = "members" | "transitiveMembers";

/**
 * `GET /groups/{id}/members|transitiveMembers[/microsoft.graph.user|group][/$count]` (contract §1.2).
 * Mixed lists carry `@odata.type`; cast lists do not. `$filter` on members needs advanced query parameters.
 */
export function listMembers(
  ctx: SimContext,
  req: GraphRequest,
  query: ODataQuery,
  target: { groupId: string; list: MemberListKind; cast: MemberKind | undefined; countOnly: boolean },
): GraphResponse {
  const { directory } = ctx;
  return serveDirectoryObjects(ctx, req, query, {
    ownerKey: target.groupId,
    cast: target.cast,
    countOnly: target.countOnly,
    references: () => {
      if (!directory.getGroup(target.groupId)) return undefined;
      return target.list === "members"
        ? directory.membersOf(target.groupId)
        : directory.transitiveMembersOf(target.groupId);
    },
  });
}

/** Maps a cast segment to a member kind; other directory types are unsupported member casts (contract §1.2). */
export function parseMemberCast(segment: string): MemberKind {
  const lower = segment.toLowerCase();
  if (lower === "microsoft.graph.user") return "user";
  if (lower === "microsoft.graph.group") return "group";
  if (/^microsoft\.graph\.(serviceprincipal|orgcontact|device|application)$/.test(lower)) {
    throw unsupportedQuery(`The type '${segment}' is not a supported member type for this request.`);
  }
  throw badRequest(`Resource not found for the segment '${segment}'.`, "BadRequest");
}
