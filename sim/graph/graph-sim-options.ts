import type { SimDirectorySeed } from "./directory-types.js";
import type { GraphFaults } from "./graph-faults.js";
import type { GraphNotifications, NotificationSettings } from "./graph-notifications.js";
import type { GraphRequestLog } from "./graph-request-log.js";
import type { SimDirectory } from "./sim-directory.js";

/** How to start the simulator. Every field is optional. */
export interface GraphSimOptions {
  /** Port to listen on; default 0 (ephemeral). The simulator listens on 127.0.0.1 (and ::1 when available). */
  port?: number;
  /** Tenant GUID accepted in authority paths; default `8c3f1e2a-5b6d-4e7f-9a0b-1c2d3e4f5a6b`. */
  tenantId?: string;
  /**
   * The tenant's domain, accepted in authority paths like its id (as Entra accepts any verified domain); default
   * `contoso.onmicrosoft.com`. The OpenID configuration read by domain names the tenant by id, as Entra's does.
   */
  tenantDomain?: string;
  /** App (client) id accepted by the token endpoint; default `0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b`. */
  clientId?: string;
  /** Client secret accepted by the token endpoint; default `sim-client-secret`. */
  clientSecret?: string;
  /** Public certificate (PEM) accepted for `client_assertion` auth (MSAL certificate credential). */
  clientCertificatePem?: string;
  /** `expires_in` of issued access tokens; default 3599. MSAL never caches a token living under 300 s. */
  tokenLifetimeSeconds?: number;
  /** Delay added before every HTTP response, ms; default 0. */
  latencyMs?: number;
  /** How that delay is waited; default real timers (a test may record it instead of sitting through it). */
  sleep?: (ms: number) => Promise<void>;
  /** Page size when no `$top` is given; default 100 (Graph's). Also the delta page and member-slice size. */
  defaultPageSize?: number;
  /** Cap on any page, even with a larger `$top`; default 999. */
  maxPageSize?: number;
  /** When true, some pages hold fewer items than `$top` (some none) while a nextLink follows; deterministic. */
  shortPages?: boolean;
  /** Simulator clock for delta-token age and change timestamps; default real time. */
  now?: () => Date;
  /** Initial directory. */
  seed?: SimDirectorySeed;
  /** Age after which a delta token answers 400 `syncStateNotFound`; default 7 days (contract §2). */
  deltaTokenLifetimeMs?: number;
  /** Changes younger than this (sim clock) stay invisible to delta rounds; default 0 (contract §2 "Processing delays"). */
  deltaVisibilityDelayMs?: number;
  /** Hide group-delta membership removals caused by deleting a user (issues #14708, #18628); default false. */
  hideMembershipRemovalsOfDeletedUsers?: boolean;
  /** Accept `http://` notification and lifecycle URLs (the sandbox's webhook); default false: https only (contract §3.1). */
  allowHttpNotificationUrls?: boolean;
  /** Live subscriptions per app+tenant before `POST /subscriptions` answers 403; default 100 (contract §3.1). */
  subscriptionQuota?: number;
  /** Change-notification delivery knobs (also settable later through `sim.notifications.settings`). */
  notifications?: Partial<NotificationSettings>;
  /** Directory for the TLS certificate; default `<repo>/.sandbox/tls`. */
  certificateDir?: string;
}

/** A running simulator. `url` is both the Graph endpoint (`<url>/v1.0`) and the authority host (`<url>/<tenant>`). */
export interface GraphSim {
  /** `https://localhost:<port>`, no trailing slash. */
  url: string;
  tenantId: string;
  /** The domain the authority also accepts for the tenant (lower case). */
  tenantDomain: string;
  clientId: string;
  clientSecret: string;
  /** The TLS certificate the server presents; trust it with `NODE_EXTRA_CA_CERTS`. */
  certPath: string;
  /** In-process mutation and inspection of the tenant. */
  directory: SimDirectory;
  /** Fault injection. */
  faults: GraphFaults;
  /** What was served. */
  requests: GraphRequestLog;
  /** The change-notification emitter: deliveries, knobs, lifecycle events, pause, flush (contract §3.3, §3.4). */
  notifications: GraphNotifications;
  /** The live (unexpired, undeleted) subscriptions, each as Graph serialises it (clientState included). */
  subscriptions(): Array<Record<string, unknown>>;
  /** Stops the servers and the emitter; undelivered notifications are abandoned. */
  close(): Promise<void>;
}
