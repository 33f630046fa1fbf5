import { type Logger, silentLogger } from "../logging/logger.js";
import type {
  EntraDirectory,
  GroupMembersPage,
  GroupResolution,
  GroupSelector,
  ReadMembersOptions,
} from "./entra-directory.js";
import { resolveEntraEndpoints } from "./entra-endpoints.js";
import { type EntraCredential, EntraTokenProvider } from "./entra-token-provider.js";
import { GraphHttp } from "./graph-http.js";
import { listMembersOfGroups } from "./list-members-of-groups.js";
import type { EntraIdentity } from "./map-graph-failure.js";
import { resolveGroups } from "./resolve-groups.js";

export interface GraphEntraDirectoryOptions {
  /** Directory tenant: GUID or verified domain. */
  tenantId: string;
  /** The app registration's application (client) id. */
  clientId: string;
  /** A client secret, or one PEM holding the certificate and its private key. */
  credential: EntraCredential;
  /** Graph base URL, https only. Default `https://graph.microsoft.com` (national clouds, gateways, a local double). */
  graphEndpoint?: string;
  /** Entra authority host, https only. Default `https://login.microsoftonline.com`. */
  authorityHost?: string;
  logger?: Logger;
  /** Retries of a throttled or unavailable request (429/503/504), honouring Retry-After. Default 8, at most 10. */
  maxRetries?: number;
  /** Graph requests in flight at once while reading members. Default 4. */
  concurrency?: number;
}

/**
 * `EntraDirectory` over Microsoft Graph v1.0: app-only tokens from one MSAL confidential client per instance, requests
 * through graph-client 3 (retries 429/503/504 with Retry-After). Reads only; it never writes to Entra.
 *
 * The constructor checks its options (https endpoints, a readable certificate) and throws UsageError; it makes no
 * request. The first token request happens on the first read.
 */
export class GraphEntraDirectory implements EntraDirectory {
  private readonly http: GraphHttp;
  private readonly identity: EntraIdentity;
  private readonly logger: Logger;
  private readonly concurrency: number;

  constructor(options: GraphEntraDirectoryOptions) {
    const endpoints = resolveEntraEndpoints(
      options.graphEndpoint ?? "https://graph.microsoft.com",
      options.authorityHost ?? "https://login.microsoftonline.com",
    );
    this.logger = options.logger ?? silentLogger;
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
    this.identity = { tenantId: options.tenantId, clientId: options.clientId, graphEndpoint: endpoints.graphEndpoint };
    const tokenProvider = new EntraTokenProvider({
      tenantId: options.tenantId,
      clientId: options.clientId,
      credential: options.credential,
      endpoints,
    });
    this.http = new GraphHttp({
      endpoints,
      tokenProvider,
      maxRetries: Math.min(Math.max(Math.floor(options.maxRetries ?? 8), 0), 10),
      logger: this.logger,
    });
  }

  async resolveGroups(selector: GroupSelector, options: { abortSignal?: AbortSignal } = {}): Promise<GroupResolution> {
    const resolution = await resolveGroups(selector, {
      http: this.http,
      identity: this.identity,
      concurrency: this.concurrency,
      ...(options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal }),
    });
    this.logger.debug(
      `Entra: ${resolution.groups.length} group(s) selected, ${resolution.unresolved.length} selector(s) unresolved`,
    );
    return resolution;
  }

  listMembersOfGroups(groupIds: string[], options: ReadMembersOptions): AsyncIterable<GroupMembersPage> {
    return listMembersOfGroups(groupIds, options, {
      http: this.http,
      identity: this.identity,
      concurrency: this.concurrency,
      logger: this.logger,
    });
  }
}
