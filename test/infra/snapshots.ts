import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./repo-root.js";

/**
 * The compiler's own evaluation of infra/azuredeploy.json for one parameter file in infra/snapshots/: every resource
 * the deployment would create, with parameters and variables resolved. What only Azure knows at deploy time
 * (reference(), listKeys(), secure parameters) stays an ARM expression string, e.g. "[reference(...).vaultUri]".
 * bicep-compile.test.ts fails when a snapshot is not what the compiler produces from the committed template.
 */
export interface PredictedResource {
  type: string;
  name: string;
  /** Present when the compiler could not decide it (it depends on a secure parameter). */
  condition?: string;
  properties?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The parameter sets in infra/snapshots/, each a deployment an admin makes. */
export const SNAPSHOTS = ["first-deployment", "published", "identity-storage"] as const;
export type SnapshotName = (typeof SNAPSHOTS)[number];

export const root = repoRoot();

export function readSnapshot(name: SnapshotName): PredictedResource[] {
  const text = readFileSync(join(root, "infra", "snapshots", `${name}.snapshot.json`), "utf8");
  return (JSON.parse(text) as { predictedResources: PredictedResource[] }).predictedResources;
}

export function ofType(resources: PredictedResource[], type: string): PredictedResource[] {
  return resources.filter((r) => r.type.toLowerCase() === type.toLowerCase());
}

export function single(resources: PredictedResource[], type: string): PredictedResource {
  const found = ofType(resources, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]!;
}

/** The app settings as the deployment leaves them: the last write of `config/appsettings` wins. */
export function appSettings(resources: PredictedResource[]): Record<string, string> {
  const writes = ofType(resources, "Microsoft.Web/sites/config").filter((r) => r.name.endsWith("/appsettings"));
  const last = writes.at(-1);
  if (!last) throw new Error("the template writes no app settings");
  return last.properties as Record<string, string>;
}

const KEY_VAULT_REFERENCE =
  /^\[format\('@Microsoft\.KeyVault\(SecretUri=\{0\}secrets\/\{1\}\)', reference\('[^']*\/vaults\/([^']+)', '[^']+'\)\.vaultUri, '([^']+)'\)\]$/;

/** `{ vault, secret }` when an app-setting value is a Key Vault reference, else undefined. */
export function keyVaultReference(value: string): { vault: string; secret: string } | undefined {
  const match = KEY_VAULT_REFERENCE.exec(value);
  return match ? { vault: match[1]!, secret: match[2]! } : undefined;
}

export function readRepoFile(path: string): string {
  return readFileSync(join(root, path), "utf8");
}
