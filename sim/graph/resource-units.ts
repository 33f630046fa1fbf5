/**
 * The `x-ms-resource-unit` cost of a request (contract §1.2, throttling-limits.md identity section): members 3,
 * transitiveMembers 5, user and group lists 2, single objects and `$count` 1; delta 5, memberOf 3 and
 * transitiveMemberOf 5 (priced like the member lists they mirror) are [Inference]. `$select` lowers the cost by 1,
 * `$expand` raises it by 1, `$top` below 20 lowers it by 1; never below 1. The outer `$batch` costs nothing itself:
 * its inner requests are charged.
 */
export function resourceUnits(route: string, params: URLSearchParams): number {
  if (route === "POST /$batch") return 0;
  let cost = baseCost(route);
  const names = new Set([...params.keys()].map((name) => name.toLowerCase()));
  if (names.has("$select")) cost -= 1;
  if (names.has("$expand")) cost += 1;
  const top = Number(params.get("$top") ?? params.get("$Top") ?? Number.NaN);
  if (Number.isFinite(top) && top < 20) cost -= 1;
  return Math.max(1, cost);
}

function baseCost(route: string): number {
  if (route.endsWith("/$count")) return 1;
  if (/\/transitiveMember(s|Of)\b/.test(route)) return 5;
  if (/\/member(s|Of)\b/.test(route)) return 3;
  if (route.endsWith("/delta")) return 5;
  if (route === "GET /users" || route === "GET /groups") return 2;
  return 1;
}
