/**
 * Whether a storage connection string itself asks for plain http (Azurite, `UseDevelopmentStorage=true`). The Azure
 * SDKs refuse http endpoints unless `allowInsecureConnection` is set; we set it only when the operator wrote http, so
 * a production https string never downgrades.
 */
export function allowsInsecureConnection(connectionString: string): boolean {
  return connectionString
    .split(";")
    .map((part) => part.trim().toLowerCase())
    .some(
      (part) =>
        part === "usedevelopmentstorage=true" ||
        part === "defaultendpointsprotocol=http" ||
        (part.includes("endpoint=") && part.split("=")[1]?.startsWith("http:")) === true,
    );
}
