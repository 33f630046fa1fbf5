import { ServeError } from "./serve-error.js";
import type * as AzuriteModule from "./start-azurite.js";

/**
 * Azurite's tables and queues in this process, their data in `dataDir`, on free loopback ports. Azurite is a
 * development dependency (about 190 MB, which the Functions deployment package must not carry), so it is loaded
 * only here; where it is not installed, `serve` needs a storage connection string.
 */
export async function startEmbeddedStorage(dataDir: string): Promise<AzuriteModule.RunningAzurite> {
  let azurite: typeof AzuriteModule;
  try {
    azurite = require("./start-azurite.js") as typeof AzuriteModule;
  } catch (error) {
    throw new ServeError(
      2,
      "AzureWebJobsStorage is not set and Azurite (embedded for development) is not installed: give --storage or AzureWebJobsStorage",
      { cause: error },
    );
  }
  try {
    return await azurite.startAzurite({ location: dataDir });
  } catch (error) {
    throw new ServeError(5, `embedded Azurite could not start in ${dataDir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
