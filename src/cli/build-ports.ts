import type { RunConfig } from "../config/resolve-run-config.js";
import type { EntraChangeFeed } from "../entra/entra-change-feed.js";
import { GraphEntraDirectory } from "../entra/graph-entra-directory.js";
import type { Logger } from "../logging/logger.js";
import { MiRestDirectory } from "../mi/mi-rest-directory.js";
import { configureProxy } from "../net/configure-proxy.js";
import type { EntraDirectory } from "../sync/ports/entra-directory.js";
import type { SyncPorts } from "../sync/run-sync.js";

/** The CLI's ports: a sync's, with the Entra reads `explain` makes of one user too. */
export type CliPorts = SyncPorts & { entra: EntraDirectory & Pick<EntraChangeFeed, "readUserContext"> };

/** Builds the production adapters for one run from a resolved configuration. */
export function buildPorts(config: RunConfig, logger: Logger): CliPorts {
  configureProxy({
    ...(config.proxy.url ? { proxyUrl: config.proxy.url } : {}),
    ...(config.proxy.noProxy ? { noProxy: config.proxy.noProxy } : {}),
  });
  const entra = new GraphEntraDirectory({
    tenantId: config.entra.tenantId,
    clientId: config.entra.clientId,
    credential: config.entra.credential,
    graphEndpoint: config.entra.graphEndpoint,
    authorityHost: config.entra.authorityHost,
    logger,
  });
  const mi = new MiRestDirectory({
    baseUrl: config.mi.baseUrl,
    auth: config.mi.auth,
    maxConcurrency: config.mi.maxConcurrency,
    logger,
  });
  return { entra, mi, logger };
}
