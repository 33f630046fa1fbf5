import type * as Undici from "undici";

export interface ConfigureProxyOptions {
  /** Proxy URL (`--proxy`); without it `HTTPS_PROXY` / `HTTP_PROXY` from the environment are used. */
  proxyUrl?: string;
  /** Hosts that bypass the proxy, comma-separated (`NO_PROXY` syntax); default: `NO_PROXY` from the environment. */
  noProxy?: string;
}

/**
 * Routes every request made with the global `fetch` (MSAL 7, graph-client 3, axios with the fetch adapter) through an
 * HTTP proxy, by installing undici's `EnvHttpProxyAgent` as the global dispatcher. Node 20's fetch ignores
 * `HTTPS_PROXY` by itself. Does nothing when no proxy is given or set in the environment. Returns whether a proxy was
 * installed. Call once, at start-up, before the first request.
 */
export function configureProxy(options: ConfigureProxyOptions = {}): boolean {
  const env = process.env;
  const proxyUrl = nonEmpty(options.proxyUrl);
  const httpsProxy = proxyUrl ?? nonEmpty(env.HTTPS_PROXY) ?? nonEmpty(env.https_proxy);
  const httpProxy = proxyUrl ?? nonEmpty(env.HTTP_PROXY) ?? nonEmpty(env.http_proxy);
  if (httpsProxy === undefined && httpProxy === undefined) return false;
  const noProxy = nonEmpty(options.noProxy) ?? nonEmpty(env.NO_PROXY) ?? nonEmpty(env.no_proxy);
  // Loaded only when needed: importing undici installs its own Agent as the global dispatcher as a side effect.
  const { EnvHttpProxyAgent, setGlobalDispatcher } = require("undici") as typeof Undici;
  setGlobalDispatcher(
    new EnvHttpProxyAgent({
      ...(httpProxy === undefined ? {} : { httpProxy }),
      ...(httpsProxy === undefined ? {} : { httpsProxy }),
      ...(noProxy === undefined ? {} : { noProxy }),
    }),
  );
  return true;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}
