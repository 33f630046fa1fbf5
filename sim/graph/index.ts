export type {
  ChangeNotification,
  LifecycleEvent,
  LifecycleNotification,
  NotificationResourceData,
} from "./change-notification.js";
export { buildDemoTenant, type DemoTenant, type DemoTenantOptions } from "./demo-tenant.js";
export type {
  DirectoryChange,
  ExtensionValue,
  MemberKind,
  NewSimGroup,
  NewSimUser,
  OnPremisesExtensionAttributes,
  RemovalReason,
  SimDirectorySeed,
  SimGroup,
  SimGroupPatch,
  SimUser,
  SimUserPatch,
} from "./directory-types.js";
export { type FaultSpec, type FaultStatus, GraphFaults } from "./graph-faults.js";
export type {
  DroppedNotifications,
  GraphNotifications,
  NotificationDelivery,
  NotificationSettings,
  WebhookPostKind,
} from "./graph-notifications.js";
export { GraphRequestLog, type GraphRequestLogEntry } from "./graph-request-log.js";
export type { GraphSim, GraphSimOptions } from "./graph-sim-options.js";
export { SimDirectory } from "./sim-directory.js";
export { startGraphSim } from "./start-graph-sim.js";
export { type RecordedPost, type ValidationBehaviour, WebhookRecorder } from "./webhook-recorder.js";
