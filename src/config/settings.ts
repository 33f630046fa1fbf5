import { z } from "zod";

/**
 * The flat settings a run is configured with. The CLI builds this from flags and environment variables; the
 * Functions app will build it from app settings. One schema validates both, so a flag and its app setting cannot
 * drift apart. Values are still text here (as flags and app settings are); `resolveRunConfig` turns them into types.
 */
export const settingsSchema = z
  .object({
    command: z.enum(["provision", "deprovision"]),
    groups: z.array(z.string().trim().min(1, "a group name cannot be empty")).default([]),
    filter: z.string().min(1, "must not be empty").optional(),

    tenant: z.string().trim().min(1).optional(),
    clientId: z.string().trim().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    clientCertificate: z.string().min(1).optional(),
    graphEndpoint: z.string().default("https://graph.microsoft.com"),
    authorityHost: z.string().default("https://login.microsoftonline.com"),

    miUrl: z.string().optional(),
    miApplicationId: z.string().min(1).optional(),
    miApplicationKey: z.string().min(1).optional(),
    miUser: z.string().min(1).optional(),
    miToken: z.string().min(1).optional(),
    miConcurrency: z
      .string()
      .regex(/^([1-9]|[12][0-9]|3[0-2])$/, "must be a whole number from 1 to 32")
      .optional(),
    proxy: z.string().optional(),
    noProxy: z.string().optional(),

    dryRun: z.boolean().default(false),
    verbose: z.boolean().default(false),
    summary: z.enum(["none", "counts", "full"]).default("counts"),
    json: z.boolean().default(false),

    userType: z.enum(["regular", "administrator", "power_user"]).optional(),
    usernameAttr: z.string().trim().min(1).default("userPrincipalName"),
    firstNameAttr: z.string().trim().min(1).default("givenName"),
    lastNameAttr: z.string().trim().min(1).default("surname"),
    emailAttr: z.string().trim().min(1).default("mail"),
    skipDefaultGroup: z.boolean().default(false),
    processChildGroups: z.boolean().default(false),
    autoCreate: z.enum(["all", "groups", "off"]).default("off"),
    force: z.boolean().default(false),
    targetGroup: z.string().trim().min(1, "must not be empty").optional(),
    customUserAttribute: z.string().optional(),
    mapAttrToGroup: z.string().optional(),
    customAttrAppId: z
      .string()
      .trim()
      .regex(
        /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/,
        "must be an application id (GUID)",
      )
      .optional(),
    trustedServerUsernameAttr: z.string().trim().min(1).optional(),
    username: z.string().trim().min(1).optional(),
    attributesTransformation: z.string().optional(),
    processUsers: z.string().optional(),
    maxRemovals: z.string().optional(),
    /** The app's SYNC_DEPROVISION: the timer reconcile also disables who left (the CLI runs `deprovision` instead). */
    disableLeavers: z.boolean().default(false),
  })
  .strict();

export type Settings = z.input<typeof settingsSchema>;
export type ParsedSettings = z.output<typeof settingsSchema>;

/** Renders zod issues as one line per issue: "✖ message → at path". */
export function describeSettingsIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `✖ ${issue.message}${issue.path.length > 0 ? ` → at ${issue.path.join(".")}` : ""}`)
    .join("; ");
}
