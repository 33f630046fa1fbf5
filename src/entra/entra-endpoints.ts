import { UsageError } from "../errors/sync-error.js";

/** Graph hosts graph-client 3 attaches tokens to by itself (its GRAPH_URLS); any other host goes in `customHosts`. */
const GRAPH_HOSTS = new Set([
  "graph.microsoft.com",
  "graph.microsoft.us",
  "dod-graph.microsoft.us",
  "graph.microsoft.de",
  "microsoftgraph.chinacloudapi.cn",
  "canary.graph.microsoft.com",
]);

/**
 * Authority hosts msal-common 16 knows (hardcoded metadata or instance-discovery aliases). Any other host is put in
 * `knownAuthorities`, so MSAL reads `/{tenant}/v2.0/.well-known/openid-configuration` from that host itself instead of
 * asking login.microsoftonline.com's instance discovery (which fails for private hosts).
 */
const MSAL_KNOWN_AUTHORITY_HOSTS = new Set([
  "login.microsoftonline.com",
  "login.windows.net",
  "login.microsoft.com",
  "sts.windows.net",
  "login.partner.microsoftonline.cn",
  "login.chinacloudapi.cn",
  "login.microsoftonline.de",
  "login.microsoftonline.us",
  "login.usgovcloudapi.net",
  "login-us.microsoftonline.com",
  "login.sovcloud-identity.fr",
  "login.sovcloud-identity.de",
  "login.sovcloud-identity.sg",
]);

export interface EntraEndpoints {
  /** Graph base URL without trailing slash, e.g. `https://graph.microsoft.com`. */
  graphEndpoint: string;
  /** Host name only (no port), for graph-client's `customHosts`; undefined for Graph's own hosts. */
  graphCustomHost: string | undefined;
  /** Authority host URL without trailing slash, e.g. `https://login.microsoftonline.com`. */
  authorityHost: string;
  /** `host[:port]` for MSAL's `knownAuthorities`; undefined for hosts MSAL knows. */
  knownAuthority: string | undefined;
}

/** Checks and normalises the two endpoints. Throws UsageError for a URL that is not https. */
export function resolveEntraEndpoints(graphEndpoint: string, authorityHost: string): EntraEndpoints {
  const graph = httpsUrl(graphEndpoint, "--graph-endpoint");
  const authority = httpsUrl(authorityHost, "--authority-host");
  return {
    graphEndpoint: withoutTrailingSlash(graph),
    graphCustomHost: GRAPH_HOSTS.has(graph.hostname) ? undefined : graph.hostname,
    authorityHost: withoutTrailingSlash(authority),
    knownAuthority: MSAL_KNOWN_AUTHORITY_HOSTS.has(authority.hostname) ? undefined : authority.host,
  };
}

function httpsUrl(value: string, option: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError("entra.invalid_endpoint", `${option} "${value}" is not a URL; it must be an https URL.`);
  }
  if (url.protocol !== "https:") {
    throw new UsageError(
      "entra.insecure_endpoint",
      `${option} "${value}" must be https: tokens are only sent over TLS.`,
    );
  }
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw new UsageError(
      "entra.invalid_endpoint",
      `${option} "${value}" must be a plain https URL without query or credentials.`,
    );
  }
  return url;
}

function withoutTrailingSlash(url: URL): string {
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}
