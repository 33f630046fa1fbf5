import type { GraphSim } from "../../sim/graph/index.js";
import { GraphEntraDirectory, type GraphEntraDirectoryOptions } from "../../src/entra/graph-entra-directory.js";

/** The production Graph adapter pointed at a Graph simulator (its token endpoint too), with 3 retries. */
export function directoryFor(sim: GraphSim, overrides: Partial<GraphEntraDirectoryOptions> = {}): GraphEntraDirectory {
  return new GraphEntraDirectory({
    tenantId: sim.tenantId,
    clientId: sim.clientId,
    credential: { kind: "secret", secret: sim.clientSecret },
    graphEndpoint: sim.url,
    authorityHost: sim.url,
    maxRetries: 3,
    ...overrides,
  });
}
