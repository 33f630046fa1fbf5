import { TableClient } from "@azure/data-tables";
import { QueueClient } from "@azure/storage-queue";
import { ServeError } from "./serve-error.js";

/** Queue and table clients on one storage account, made once per name. */
export interface StorageAccount {
  queue(name: string): QueueClient;
  table(name: string): TableClient;
}

export interface StorageAccountOptions {
  /** "quick": few, short tries, to tell at start whether the account answers at all. */
  retries?: "default" | "quick";
}

/**
 * Clients on the account a connection string names (Azure Storage, Azurite, `UseDevelopmentStorage=true`). `setting`
 * names where the string came from, for the one-line error when it does not parse; the string is never quoted.
 */
export function storageAccount(
  connectionString: string,
  setting: string,
  options: StorageAccountOptions = {},
): StorageAccount {
  const quick = options.retries === "quick";
  const queues = new Map<string, QueueClient>();
  const tables = new Map<string, TableClient>();
  const invalid = (error: unknown): ServeError =>
    new ServeError(2, `${setting} is not a valid storage connection string`, { cause: error });
  const account: StorageAccount = {
    queue(name) {
      let client = queues.get(name);
      if (!client) {
        try {
          client = new QueueClient(connectionString, name, {
            ...(quick ? { retryOptions: { maxTries: 2, tryTimeoutInMs: 5_000, retryDelayInMs: 500 } } : {}),
          });
        } catch (error) {
          throw invalid(error);
        }
        queues.set(name, client);
      }
      return client;
    },
    table(name) {
      let client = tables.get(name);
      if (!client) {
        try {
          client = TableClient.fromConnectionString(connectionString, name, {
            // data-tables refuses http endpoints unless told; Azurite and the development account are http.
            allowInsecureConnection: /UseDevelopmentStorage=true|DefaultEndpointsProtocol=http;|Endpoint=http:/i.test(
              connectionString,
            ),
            ...(quick ? { retryOptions: { maxRetries: 1, retryDelayInMs: 500 } } : {}),
          });
        } catch (error) {
          throw invalid(error);
        }
        tables.set(name, client);
      }
      return client;
    },
  };
  account.queue("probe-connection-string");
  return account;
}

/**
 * The app setting a binding's `connection` names, as the Functions host resolves it: empty means
 * `AzureWebJobsStorage`; otherwise the setting itself, then `AzureWebJobs<connection>`. Identity-based connections
 * (`<connection>__queueServiceUri`, ...) are not supported by `serve`.
 */
export function resolveConnection(
  settings: Record<string, string | undefined>,
  connection: string | undefined,
): { setting: string; connectionString: string } {
  const names = connection ? [connection, `AzureWebJobs${connection}`] : ["AzureWebJobsStorage"];
  for (const name of names) {
    const value = settings[name];
    if (value) return { setting: name, connectionString: value };
  }
  throw new ServeError(2, `app setting ${names[0]} (a storage connection string) is not set`);
}
