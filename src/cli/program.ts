import { Command, Option } from "commander";
import { z } from "zod";
import type { Settings } from "../config/settings.js";
import { UsageError } from "../errors/sync-error.js";
import type { ExplainKind } from "../explain/explain.js";
import type { ServeFlags } from "../serve/serve-options.js";
import { createServeCommand } from "./serve-command.js";

/** The parsed command line: the settings it names, and which Entra credentials came as flags (see `--username`). */
export interface ParsedCommandLine {
  settings: Settings;
  entraCredentialFlags: string[];
  /** The Functions app's storage (`--audit-storage`, env SYNC_AUDIT_STORAGE): where the audit trail is. */
  auditStorage?: string;
}

/** `explain`: the sync's command line, and what to explain. */
export interface ParsedExplain extends ParsedCommandLine {
  subject: string;
  kind: ExplainKind;
}

export type Environment = Record<string, string | undefined>;

const ENV_NOTE =
  "Credentials are best given in the environment (O365_USERSYNC_TENANT, O365_USERSYNC_CLIENT_ID, " +
  "O365_USERSYNC_CLIENT_SECRET, MI_APPLICATION_KEY or MI_API_TOKEN): values on a command line are visible to other " +
  "users of the machine and stay in shell history. A flag wins over the environment.";

const EXIT_NOTE = `Exit status:
  0  done (or dry run done)
  1  finished, but some changes failed (the summary lists them)
  2  usage or configuration error, nothing written
  3  refused by --max-removals, nothing written
  4  authentication to Entra or MI refused, nothing written
  5  Entra or MI unreachable or failing before anything was written`;

function addSyncOptions(command: Command): Command {
  return command
    .argument("[group...]", "O365 groups to sync: display names (exact, case-insensitive) or object ids")
    .option("--tenant <tenant>", "directory tenant, GUID or domain (env O365_USERSYNC_TENANT)")
    .option("--client-id <id>", "app registration's application id (env O365_USERSYNC_CLIENT_ID)")
    .option("--client-secret <secret>", "its client secret; prefer env O365_USERSYNC_CLIENT_SECRET")
    .option(
      "--client-certificate <path>",
      "PEM file with certificate and private key, instead of a secret (env O365_USERSYNC_CLIENT_CERTIFICATE)",
    )
    .option("--graph-endpoint <url>", "Microsoft Graph endpoint (env O365_USERSYNC_GRAPH_ENDPOINT)", undefined)
    .option("--authority-host <url>", "Entra authority host (env O365_USERSYNC_AUTHORITY_HOST)")
    .option("--mi-url <url>", "base URL of the MI instance, e.g. https://mi.example.com (env MI_URL; required)")
    .option("--mi-application-id <id>", "MI External Application id (env MI_APPLICATION_ID)")
    .option("--mi-application-key <key>", "its key; prefer env MI_APPLICATION_KEY")
    .option(
      "--mi-user <username>",
      "MI administrator the API token acts as (env MI_API_USER); never modified by a sync",
    )
    .option(
      "--mi-token <token>",
      "MI personal API token (Bearer) instead of application id/key; prefer env MI_API_TOKEN",
    )
    .option("--mi-concurrency <n>", "requests MI may see at once, 1 to 32 (env MI_CONCURRENCY; default 4)")
    .option("--proxy <url>", "route Graph, token and MI traffic through this proxy (env HTTPS_PROXY, NO_PROXY)")
    .option("-v, --verbose", "log each step on stderr")
    .option("-n, --dry-run", "plan only, write nothing to MI; implies -v")
    .option("-q, --no-summary", "no summary at the end")
    .option("--full-summary", "list every affected user and group in the summary")
    .option("--json", "print the summary (or the plan, with --dry-run) as one JSON object on stdout")
    .addOption(
      new Option(
        "-t, --user-type <type>",
        "type of users created; with --force also applied to existing users",
      ).choices(["regular", "administrator", "power_user"]),
    )
    .option("--username-attr <attr>", "Graph user property used as MI username (default userPrincipalName)")
    .option("--first-name-attr <attr>", "Graph user property for the first name (default givenName)")
    .option("--last-name-attr <attr>", "Graph user property for the last name (default surname)")
    .option("--email-attr <attr>", "Graph user property for the email (default mail, then userPrincipalName)")
    .option("--skip-default-group", "do not add synced users to MI's Default Group")
    .option("--process-child-groups", "include members of nested groups (transitive membership)")
    .addOption(
      new Option(
        "-a, --auto-create [mode]",
        "no value or 'all': create missing MI groups and users; 'groups': create missing groups, update only existing " +
          "users; absent: only groups that already exist in MI are synced (their users are created and updated)",
      ).choices(["all", "groups"]),
    )
    .option("--force", "update related objects even when they look unchanged: user type, names, email, username")
    .option("--target-group <name>", "sync every selected O365 group into this one MI group; not with --username")
    .option(
      "--filter <prefix>",
      "also process O365 groups whose display name starts with this prefix (case-insensitive)",
    )
    .option(
      "--custom-user-attribute <a,b>",
      "custom attributes to sync (MI custom attributes whose External ID is the name)",
    )
    .option("--map-attr-to-group <a,b>", "add each user to the MI group(s) named by the value(s) of these attributes")
    .option(
      "--custom-attr-app-id <appId>",
      "app owning the directory extensions: attribute x is read from extension_<appId>_x",
    )
    .option(
      "--trusted-server-username-attr <attr>",
      "Graph property whose value becomes the MI trusted-server username",
    )
    .option("--username <username>", "sync this one user only; Entra credentials must then come from the environment")
    .option(
      "--attributes-transformation <rules>",
      "ordered rules applied to mapped values, e.g. [{'attr_name': 'username', 'action': '^([^@]+)@', 'method': 'match'}]",
    )
    .option("--process-users <list>", "only these users: u1,u2 or @file (one per line, # comments allowed)")
    .option(
      "--max-removals <limit>",
      "refuse a plan removing/disabling more than N or N% (default 10%, at least 25); 'none' lifts it",
    )
    .option(
      "--audit-storage <connection-string>",
      "the Functions app's storage account: runs record their operations in its audit trail, explain reads the " +
        "trail and the user ledger there; prefer env SYNC_AUDIT_STORAGE (table prefix: SYNC_TABLE_PREFIX)",
    )
    .addHelpText("after", `\n${ENV_NOTE}\n\n${EXIT_NOTE}\n`);
}

/**
 * cli.md rule 12: `--auto-create` takes the next argument as its value only if it is `all` or `groups`; otherwise it
 * means `all` and the argument stays a group. Commander would swallow any value, so the argument list is normalised
 * first.
 */
export function normaliseAutoCreate(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--auto-create" || arg === "-a") {
      const next = argv[i + 1];
      if (next === "all" || next === "groups") {
        out.push(`--auto-create=${next}`);
        i++;
      } else {
        out.push("--auto-create=all");
      }
    } else {
      out.push(arg);
    }
  }
  return out;
}

type RawOptions = Record<string, string | boolean | undefined>;

function str(value: string | boolean | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Merges flags over the environment into settings (cli.md: a flag wins over the environment). */
export function toSettings(
  command: "provision" | "deprovision",
  groups: string[],
  o: RawOptions,
  env: Environment,
): Settings {
  const pick = (flag: string | boolean | undefined, envName: string): string | undefined => {
    const fromFlag = str(flag);
    if (fromFlag !== undefined) return fromFlag;
    const fromEnv = env[envName];
    return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
  };
  const settings: Settings = {
    command,
    groups,
    filter: str(o.filter),
    tenant: pick(o.tenant, "O365_USERSYNC_TENANT"),
    clientId: pick(o.clientId, "O365_USERSYNC_CLIENT_ID"),
    clientSecret: pick(o.clientSecret, "O365_USERSYNC_CLIENT_SECRET"),
    clientCertificate: pick(o.clientCertificate, "O365_USERSYNC_CLIENT_CERTIFICATE"),
    graphEndpoint: pick(o.graphEndpoint, "O365_USERSYNC_GRAPH_ENDPOINT"),
    authorityHost: pick(o.authorityHost, "O365_USERSYNC_AUTHORITY_HOST"),
    miUrl: pick(o.miUrl, "MI_URL"),
    miApplicationId: pick(o.miApplicationId, "MI_APPLICATION_ID"),
    miApplicationKey: pick(o.miApplicationKey, "MI_APPLICATION_KEY"),
    miUser: pick(o.miUser, "MI_API_USER"),
    miToken: pick(o.miToken, "MI_API_TOKEN"),
    miConcurrency: pick(o.miConcurrency, "MI_CONCURRENCY"),
    proxy: str(o.proxy) ?? env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy,
    noProxy: env.NO_PROXY ?? env.no_proxy,
    dryRun: o.dryRun === true,
    verbose: o.verbose === true,
    summary: o.summary === false ? "none" : o.fullSummary === true ? "full" : "counts",
    json: o.json === true,
    userType: str(o.userType) as Settings["userType"],
    usernameAttr: str(o.usernameAttr),
    firstNameAttr: str(o.firstNameAttr),
    lastNameAttr: str(o.lastNameAttr),
    emailAttr: str(o.emailAttr),
    skipDefaultGroup: o.skipDefaultGroup === true,
    processChildGroups: o.processChildGroups === true,
    autoCreate: (str(o.autoCreate) ?? (o.autoCreate === true ? "all" : "off")) as Settings["autoCreate"],
    force: o.force === true,
    targetGroup: str(o.targetGroup),
    customUserAttribute: str(o.customUserAttribute),
    mapAttrToGroup: str(o.mapAttrToGroup),
    customAttrAppId: str(o.customAttrAppId),
    trustedServerUsernameAttr: str(o.trustedServerUsernameAttr),
    username: str(o.username),
    attributesTransformation: str(o.attributesTransformation),
    processUsers: str(o.processUsers),
    maxRemovals: str(o.maxRemovals),
  };
  // Drop undefined keys so schema defaults apply.
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Settings;
}

/** `--audit-storage`, else SYNC_AUDIT_STORAGE; checked at the edge (its content is checked when it is opened). */
function auditStorageOf(o: RawOptions, env: Environment): string | undefined {
  const value = str(o.auditStorage) ?? (env.SYNC_AUDIT_STORAGE || undefined);
  if (value === undefined) return undefined;
  const parsed = z.string().trim().min(1).max(4_096).safeParse(value);
  if (!parsed.success) {
    throw new UsageError(
      "usage.invalid_option",
      "--audit-storage (SYNC_AUDIT_STORAGE) must be a storage connection string",
    );
  }
  return parsed.data;
}

const SUBJECT = z
  .string()
  .trim()
  .min(1, "say which user or group to explain")
  .max(256, "at most 256 characters")
  .refine((s) => !/\p{Cc}/u.test(s), "no control characters");

const EXPLAIN_NOTE = `The user or group: a UPN, an MI username or email, an Entra object id, an Entra or MI group name.
The groups (and --filter) and every sync option mean what they mean for provision: explain plans with them.

Reads Entra and MI live and writes nothing. With --audit-storage (the app's storage) it also shows the user's or
group's last audit entries and weighs the other users the app's ledger knows to claim the same names.

Exit status: 0 explained; 1 nothing of that name in Entra or MI; 2 usage; 4 credentials refused; 5 unreachable.`;

/**
 * Builds the commander program. `run` receives the parsed command line of a sync command, `serve` the flags of
 * `serve` and `explain` those of `explain`; tests pass their own to capture them without running anything.
 */
export function createProgram(
  version: string,
  env: Environment,
  run: (parsed: ParsedCommandLine) => Promise<void>,
  serve: (flags: ServeFlags) => Promise<void> = async () => {},
  explain: (parsed: ParsedExplain) => Promise<void> = async () => {},
): Command {
  const program = new Command("mi-o365-usersync")
    .description("Keep Metric Insights users and groups in step with Microsoft Entra ID (Office 365) groups.")
    .version(version, "--version", "print the version")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: () => {} });

  for (const name of ["provision", "deprovision"] as const) {
    const description =
      name === "provision"
        ? "make each MI group hold exactly the selected users of its O365 group, creating and updating users as allowed"
        : "disable MI users of the synced groups who left every selected O365 group or are disabled or deleted in Entra";
    const command = addSyncOptions(new Command(name).description(description))
      .exitOverride()
      .configureOutput({ outputError: () => {} })
      .action(async (groups: string[], options: RawOptions, cmd: Command) => {
        const entraCredentialFlags = ["tenant", "clientId", "clientSecret"]
          .filter((key) => cmd.getOptionValueSource(key) === "cli")
          .map((key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
        const auditStorage = auditStorageOf(options, env);
        await run({
          settings: toSettings(name, groups, options, env),
          entraCredentialFlags,
          ...(auditStorage ? { auditStorage } : {}),
        });
      });
    program.addCommand(command);
  }
  const explainCommand = addSyncOptions(
    new Command("explain")
      .description("why a user is (or is not) where it is in MI, or where a group stands; writes nothing")
      .argument("<user-or-group>", "a UPN, MI username or email, Entra object id, or an Entra or MI group name"),
  )
    .addOption(
      new Option("--kind <kind>", "what the first argument names (auto: a name with @ is a user)")
        .choices(["auto", "user", "group"])
        .default("auto"),
    )
    .addHelpText("after", `\n${EXPLAIN_NOTE}\n`)
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .action(async (subject: string, groups: string[], options: RawOptions) => {
      const checked = SUBJECT.safeParse(subject);
      if (!checked.success) {
        throw new UsageError("usage.command_line", `explain: ${checked.error.issues.map((i) => i.message).join("; ")}`);
      }
      const auditStorage = auditStorageOf(options, env);
      await explain({
        settings: toSettings("provision", groups, options, env),
        entraCredentialFlags: [],
        subject: checked.data,
        kind: (str(options.kind) ?? "auto") as ExplainKind,
        ...(auditStorage ? { auditStorage } : {}),
      });
    });
  program.addCommand(explainCommand);
  program.addCommand(createServeCommand(serve));
  return program;
}
