import { ConfidentialClientApplication, type Configuration } from "@azure/msal-node";
import type { AuthenticationProvider } from "@microsoft/microsoft-graph-client";
import { AuthError } from "../errors/sync-error.js";
import type { EntraEndpoints } from "./entra-endpoints.js";
import { mapMsalError } from "./map-msal-error.js";
import { parseCertificatePem } from "./parse-certificate-pem.js";

export type EntraCredential = { kind: "secret"; secret: string } | { kind: "certificate"; pem: string };

export interface EntraTokenProviderOptions {
  tenantId: string;
  clientId: string;
  credential: EntraCredential;
  endpoints: EntraEndpoints;
}

/**
 * App-only tokens for Graph through one MSAL `ConfidentialClientApplication` (client credentials). MSAL caches the
 * token in this instance and renews it 5 minutes before expiry, so keep one provider per directory. A failure throws a
 * typed error (`AuthError`, `ServiceError`, `UsageError`) whose message never holds the secret or the assertion.
 */
export class EntraTokenProvider implements AuthenticationProvider {
  private readonly application: ConfidentialClientApplication;
  private readonly scopes: string[];

  constructor(private readonly options: EntraTokenProviderOptions) {
    const { endpoints, credential } = options;
    const auth: Configuration["auth"] = {
      clientId: options.clientId,
      authority: `${endpoints.authorityHost}/${encodeURIComponent(options.tenantId)}`,
      ...(endpoints.knownAuthority === undefined ? {} : { knownAuthorities: [endpoints.knownAuthority] }),
    };
    if (credential.kind === "secret") auth.clientSecret = credential.secret;
    else auth.clientCertificate = parseCertificatePem(credential.pem);
    this.application = new ConfidentialClientApplication({ auth });
    this.scopes = [`${endpoints.graphEndpoint}/.default`];
  }

  private inFlight: Promise<string> | undefined;

  /** Concurrent first requests share one token request (MSAL does not coalesce them). */
  getAccessToken(): Promise<string> {
    if (this.inFlight === undefined) {
      this.inFlight = this.acquire().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  private async acquire(): Promise<string> {
    let token: string | undefined;
    try {
      const result = await this.application.acquireTokenByClientCredential({ scopes: this.scopes });
      token = result?.accessToken;
    } catch (error) {
      throw await mapMsalError(error, {
        tenantId: this.options.tenantId,
        clientId: this.options.clientId,
        authorityHost: this.options.endpoints.authorityHost,
        credentialKind: this.options.credential.kind,
      });
    }
    if (token === undefined || token === "") {
      throw new AuthError(
        "entra",
        "entra.auth_failed",
        `Entra returned no access token for client ${this.options.clientId} in tenant ${this.options.tenantId}.`,
      );
    }
    return token;
  }
}
