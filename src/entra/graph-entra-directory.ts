import { type Logger, silentLogger } from "../logging/logger.js";
import type {
  EntraDirectory,
  GroupMembersPage,
  GroupResolution,
  GroupSelector,
  ReadMembersOptions,
} from "../sync/ports/entra-directory.js";
import type {
  DeltaRound,
  EntraChangeFeed,
  GroupDeltaChange,
  UserContext,
  UserContextInput,
  UserDeltaChange,
} from "./entra-change-feed.js";
import { resolveEntraEndpoints } from "./entra-endpoints.js";
import type { CreateSubscriptionInput, EntraSubscriptions, GraphSubscription } from "./entra-subscriptions.js";
import { type EntraCredential, EntraTokenProvider } from "./entra-token-provider.js";
import { type GraphClock, GraphHttp } from "./graph-http.js";
import { GraphSubscriptionsClient } from "./graph-subscriptions-client.js";
import { listAncestorGroups } from "./list-ancestor-groups.js";
import { listMembersOfGroups } from "./list-members-of-groups.js";
import type { EntraIdentity } from "./map-graph-failure.js";
import type { DeltaRoundDeps } from "./read-delta-round.js";
import { type ReadGroupDeltaInput, readGroupDelta } from "./read-group-delta.js";
import { readUserContext } from "./read-user-context.js";
import { type ReadUserDeltaInput, readUserDelta } from "./read-user-delta.js";
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
  /** How long a request keeps obeying 429s before `maxRetries` counts them (GraphHttpOptions). Default 5 minutes. */
  throttlePatienceMs?: number;
  /** The time Graph's `Retry-After` is waited by (GraphHttpOptions). Default: the system clock. */
  clock?: GraphClock;
  /** Graph requests in flight at once while reading members. Default 4. */
  concurrency?: number;
}

/**
 * `EntraDirectory`, `EntraChangeFeed` and `EntraSubscriptions` over Microsoft Graph v1.0: app-only tokens from one MSAL
 * confidential client per instance, requests through graph-client 3 (retries 429/503/504 with Retry-After). It never
 * writes to the directory; its only writes are change-notification subscriptions.
 *
 * The constructor checks its options (https endpoints, a readable certificate) and throws UsageError; it makes no
 * request. The first token request happens on the first call. The work is done by `resolve-groups.ts`,
 * `list-members-of-groups.ts`, `list-ancestor-groups.ts`, `read-group-delta.ts`, `read-user-delta.ts` and
 * `graph-subscriptions-client.ts`.
 */
export class GraphEntraDirectory implements EntraDirectory, EntraChangeFeed, EntraSubscriptions {
  private readonly http: GraphHttp;
  private readonly identity: EntraIdentity;
  private readonly logger: Logger;
  private readonly concurrency: number;
  private readonly subscriptions: GraphSubscriptionsClient;

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
      ...(options.throttlePatienceMs === undefined ? {} : { throttlePatienceMs: options.throttlePatienceMs }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      logger: this.logger,
    });
    this.subscriptions = new GraphSubscriptionsClient({
      http: this.http,
      identity: this.identity,
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

  /** See `read-group-delta.ts`: ≤50 ids (RangeError otherwise), merged by group id, `DeltaResetError` on 400/410. */
  readGroupDelta(input: ReadGroupDeltaInput): Promise<DeltaRound<GroupDeltaChange>> {
    return readGroupDelta(input, this.deltaDeps());
  }

  /** See `read-user-delta.ts`: the member reads' `$select` and user mapping, `DeltaResetError` on 400/410. */
  readUserDelta(input: ReadUserDeltaInput): Promise<DeltaRound<UserDeltaChange>> {
    return readUserDelta(input, this.deltaDeps());
  }

  /** See `list-ancestor-groups.ts`: all pages, no ConsistencyLevel, `[]` for a group that no longer exists. */
  listAncestorGroups(groupId: string, options: { abortSignal?: AbortSignal } = {}): Promise<string[]> {
    return listAncestorGroups(groupId, options, this.deltaDeps());
  }

  /** See `read-user-context.ts`: users and the groups holding them, for a sync limited to some users. */
  readUserContext(input: UserContextInput): Promise<Map<string, UserContext>> {
    return readUserContext(input, this.deltaDeps());
  }

  createSubscription(input: CreateSubscriptionInput): Promise<GraphSubscription> {
    return this.subscriptions.createSubscription(input);
  }

  renewSubscription(id: string, expirationDateTime: Date): Promise<GraphSubscription> {
    return this.subscriptions.renewSubscription(id, expirationDateTime);
  }

  reauthorizeSubscription(id: string): Promise<void> {
    return this.subscriptions.reauthorizeSubscription(id);
  }

  deleteSubscription(id: string): Promise<void> {
    return this.subscriptions.deleteSubscription(id);
  }

  listSubscriptions(): Promise<GraphSubscription[]> {
    return this.subscriptions.listSubscriptions();
  }

  private deltaDeps(): DeltaRoundDeps {
    return { http: this.http, identity: this.identity, logger: this.logger };
  }
}
