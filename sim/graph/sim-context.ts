import type { GraphFaults } from "./graph-faults.js";
import type { GraphRequestLog } from "./graph-request-log.js";
import type { RequestIds } from "./graph-response.js";
import type { NotificationEmitter } from "./notification-emitter.js";
import type { PageStore } from "./page-store.js";
import type { SimDirectory } from "./sim-directory.js";
import type { SubscriptionStore } from "./subscription-store.js";

/** Behaviour knobs the route handlers read (resolved from `GraphSimOptions`). */
export interface SimSettings {
  defaultPageSize: number;
  maxPageSize: number;
  shortPages: boolean;
  now: () => Date;
  /** Delta tokens older than this (sim clock) answer 400 `syncStateNotFound` (contract §2: seven days). */
  deltaTokenLifetimeMs: number;
  /** Changes younger than this (sim clock) are not yet visible to delta rounds (contract §2 "Processing delays"). */
  deltaVisibilityDelayMs: number;
  /** When true, membership removals caused by deleting a user do not appear in group delta (issues #14708, #18628). */
  hideMembershipRemovalsOfDeletedUsers: boolean;
  /** Accept `http://` notification and lifecycle URLs (the sandbox webhook); Graph accepts only https (contract §3.1). */
  allowHttpNotificationUrls: boolean;
  /** Live subscriptions allowed for the app in the tenant before `POST /subscriptions` answers 403 (contract §3.1). */
  subscriptionQuota: number;
  /** `creatorId` of every subscription: the simulated app's service principal object id. */
  creatorId: string;
}

/** Everything a route handler may touch. */
export interface SimContext {
  baseUrl: string;
  tenantId: string;
  clientId: string;
  directory: SimDirectory;
  pages: PageStore;
  faults: GraphFaults;
  /** Inner `$batch` requests are recorded here by the batch handler; outer HTTP requests by the server. */
  requests: GraphRequestLog;
  settings: SimSettings;
  subscriptions: SubscriptionStore;
  notifications: NotificationEmitter;
}

/** A Graph request after transport: `path` is below `/v1.0` (e.g. `/groups/{id}/members`), headers lowercased. */
export interface GraphRequest {
  method: string;
  path: string;
  params: URLSearchParams;
  headers: Record<string, string>;
  body: string;
  ids: RequestIds;
  batched: boolean;
}
