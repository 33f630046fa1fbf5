import { z } from "zod";
import { ServiceError, UsageError } from "../errors/sync-error.js";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMEOUT_MS = 5_000;

/** The part of Entra's OpenID configuration that names the tenant: its issuer, `https://<host>/<tenant id>/v2.0`. */
const openIdConfigurationSchema = z.object({ issuer: z.string().url() });

export interface ResolveTenantIdOptions {
  /** The Entra authority host, e.g. `https://login.microsoftonline.com` (no trailing slash). */
  authorityHost: string;
  fetch?: typeof fetch;
}

const resolved = new Map<string, Promise<string>>();

/**
 * The tenant's id (a lower-case GUID) for a tenant configured by id or by one of its domains
 * (`contoso.onmicrosoft.com`). A domain is resolved once per process from Entra's OpenID configuration
 * (`GET {authorityHost}/{domain}/v2.0/.well-known/openid-configuration`), whose issuer names the tenant by id
 * whatever name the request used; no credential is needed. A failure is not cached: the next call tries again.
 *
 * @throws UsageError when the tenant is empty or Entra does not know it; ServiceError when Entra cannot be reached or
 * answers something else.
 */
export function resolveTenantId(tenant: string, options: ResolveTenantIdOptions): Promise<string> {
  const name = tenant.trim();
  if (name === "") {
    return Promise.reject(
      new UsageError("usage.missing_setting", "O365_USERSYNC_TENANT is required: the directory (tenant) id or domain"),
    );
  }
  if (GUID.test(name)) return Promise.resolve(name.toLowerCase());
  const key = `${options.authorityHost.toLowerCase()} ${name.toLowerCase()}`;
  let lookup = resolved.get(key);
  if (!lookup) {
    lookup = fetchTenantId(name, options);
    resolved.set(key, lookup);
    lookup.catch(() => resolved.delete(key));
  }
  return lookup;
}

async function fetchTenantId(domain: string, options: ResolveTenantIdOptions): Promise<string> {
  const url = `${options.authorityHost.replace(/\/+$/, "")}/${encodeURIComponent(domain)}/v2.0/.well-known/openid-configuration`;
  const what = `the id of tenant '${domain}' (Entra's OpenID configuration)`;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    throw new ServiceError("entra", "entra.unreachable", `Could not read ${what}: Entra did not answer.`, undefined, {
      cause: error,
      retryable: true,
    });
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (response.status === 400 || response.status === 404) {
    throw new UsageError(
      "usage.unknown_tenant",
      `O365_USERSYNC_TENANT: Entra knows no tenant '${domain}' (${response.status}); give the tenant id or one of its verified domains`,
    );
  }
  const parsed = openIdConfigurationSchema.safeParse(body);
  if (!response.ok || !parsed.success) {
    throw new ServiceError(
      "entra",
      "entra.protocol",
      `Could not read ${what}: answer ${response.status}.`,
      response.status,
      {
        retryable: response.status >= 500 || response.status === 429,
      },
    );
  }
  const id = new URL(parsed.data.issuer).pathname.split("/").find((segment) => GUID.test(segment));
  if (id === undefined) {
    throw new ServiceError("entra", "entra.protocol", `Could not read ${what}: its issuer names no tenant id.`, 200);
  }
  return id.toLowerCase();
}
