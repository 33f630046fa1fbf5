import type { MaxRemovals } from "./max-removals.js";
import type { MiUserType } from "./model.js";
import type { MembershipMode } from "./ports/entra-directory.js";
import type { TransformationRule } from "./transformations/parse-transformation-rules.js";

/**
 * Everything that decides WHAT a sync does. Every CLI flag and (later) every app setting resolves once, in
 * src/config, into this object; only the planner reads it. Adapters never see it.
 */
export interface SyncOptions {
  /** `provision` mirrors memberships and creates/updates users; `deprovision` only disables users who left. */
  command: "provision" | "deprovision";
  /**
   * With `provision`: `disable` also disables who left every synced group, planned from the same snapshot under the
   * same guard (the app's SYNC_DEPROVISION; only a full reconcile does it). `keep`: provision never disables anyone.
   * `deprovision` always disables who left.
   */
  leavers: "keep" | "disable";
  /**
   * `all`: create missing MI groups and users. `groups`: create missing groups, update only existing users.
   * `off` (flag absent): only MI groups that already exist are synced; their users are created and updated.
   */
  autoCreate: "all" | "groups" | "off";
  /** Type given to new users, and with `updateMode: "force"` to existing non-administrators. */
  userType: MiUserType;
  /** True when `--user-type` was given explicitly: only then does `--force` retype existing users. */
  userTypeExplicit: boolean;
  /** `changed`: write only what differs. `force`: rewrite profile fields of every matched user (`--force`). */
  updateMode: "changed" | "force";
  membership: MembershipMode;
  /** `add`: synced users are added to MI's Default Group. `skip`: `--skip-default-group`. */
  defaultGroup: "add" | "skip";
  /** Graph user properties mapped to MI's profile fields. */
  attributeMap: { username: string; firstName: string; lastName: string; email: string };
  /** MI custom attributes (by External ID) to fill from the Entra attribute of the same name. */
  customAttributes: string[];
  /** Entra attributes whose values name MI groups each user belongs to (`--map-attr-to-group`). */
  mapAttrToGroup: string[];
  /** App whose directory extensions hold custom attributes: `x` is read from `extension_<appId>_x`. */
  customAttrAppId: string | undefined;
  /** Entra attribute whose value becomes the MI trusted-server username. */
  trustedServerUsernameAttr: string | undefined;
  /** Ordered value rules (`--attributes-transformation`). */
  transformations: TransformationRule[];
  /** Sync every selected Entra group into this one MI group (`--target-group`). */
  targetGroup: string | undefined;
  /**
   * Restrict the run to these users (`--process-users`, `--username`), matched case-insensitively against the
   * user's userPrincipalName, mail or final MI username. Undefined: every user.
   */
  selectUsers: string[] | undefined;
  maxRemovals: MaxRemovals;
}

/** The Graph attributes a run must read for each user, derived from the options. */
export function requiredAttributes(options: SyncOptions): string[] {
  const names = [
    options.attributeMap.username,
    options.attributeMap.firstName,
    options.attributeMap.lastName,
    options.attributeMap.email,
    ...options.customAttributes,
    ...options.mapAttrToGroup,
    ...(options.trustedServerUsernameAttr ? [options.trustedServerUsernameAttr] : []),
  ];
  return [...new Set(names)];
}
