import { TableClient } from "@azure/data-tables";
import { ManagedIdentityCredential } from "@azure/identity";
import { QueueClient } from "@azure/storage-queue";
import { UsageError } from "../errors/sync-error.js";
import { allowsInsecureConnection } from "./allows-insecure-connection.js";

/**
 * Where the app's tables and queue live: a storage connection string (Azurite, or an account with shared-key access),
 * or an account reached with the app's managed identity (`AzureWebJobsStorage__accountName`, as the Functions host
 * itself reaches it; shared-key access can then be off). One place builds both kinds of client.
 */
export type StorageTarget =
  | { kind: "connectionString"; connectionString: string }
  | { kind: "identity"; accountName: string; clientId?: string };

const ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;

function credentialOf(target: Extract<StorageTarget, { kind: "identity" }>): ManagedIdentityCredential {
  if (!ACCOUNT_NAME.test(target.accountName)) {
    throw new UsageError(
      "state.invalid_name",
      "AzureWebJobsStorage__accountName is not a storage account name (3-24 lowercase letters and digits).",
    );
  }
  return target.clientId
    ? new ManagedIdentityCredential({ clientId: target.clientId })
    : new ManagedIdentityCredential();
}

const badConnectionString = (): UsageError =>
  // The SDK's message may quote the connection string; ours does not.
  new UsageError(
    "state.bad_connection_string",
    "The storage connection string is not valid: expected AccountName/AccountKey with endpoints, a SAS, or UseDevelopmentStorage=true.",
  );

export function tableClientFor(target: StorageTarget, tableName: string): TableClient {
  if (target.kind === "identity") {
    return new TableClient(`https://${target.accountName}.table.core.windows.net`, tableName, credentialOf(target));
  }
  try {
    return TableClient.fromConnectionString(target.connectionString, tableName, {
      allowInsecureConnection: allowsInsecureConnection(target.connectionString),
    });
  } catch {
    throw badConnectionString();
  }
}

export function queueClientFor(target: StorageTarget, queueName: string): QueueClient {
  if (target.kind === "identity") {
    return new QueueClient(`https://${target.accountName}.queue.core.windows.net/${queueName}`, credentialOf(target));
  }
  // Unlike data-tables, storage-queue talks to http endpoints (Azurite) without an allowInsecureConnection switch.
  try {
    return new QueueClient(target.connectionString, queueName);
  } catch {
    throw badConnectionString();
  }
}
