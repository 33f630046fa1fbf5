import assert from "node:assert/strict";
import { test } from "node:test";
import { liveSettingsFromAppSettings } from "../../src/config/app-settings.js";
import { UsageError } from "../../src/errors/sync-error.js";

test("liveSettingsFromAppSettings: the state follows the host's storage, by connection string or by managed identity", () => {
  const byKey = liveSettingsFromAppSettings({ AzureWebJobsStorage: "UseDevelopmentStorage=true" });
  assert.deepEqual(byKey.storage, { kind: "connectionString", connectionString: "UseDevelopmentStorage=true" });
  const byIdentity = liveSettingsFromAppSettings({
    AzureWebJobsStorage__accountName: "stmisync",
    AzureWebJobsStorage__clientId: "00000000-0000-0000-0000-000000000001",
  });
  assert.deepEqual(byIdentity.storage, {
    kind: "identity",
    accountName: "stmisync",
    clientId: "00000000-0000-0000-0000-000000000001",
  });
  const own = liveSettingsFromAppSettings({
    SYNC_STATE_CONNECTION: "UseDevelopmentStorage=true",
    AzureWebJobsStorage__accountName: "x",
  });
  assert.equal(own.storage.kind, "connectionString", "SYNC_STATE_CONNECTION wins");
  assert.throws(
    () => liveSettingsFromAppSettings({}),
    (error: unknown) => error instanceof UsageError && /AzureWebJobsStorage__accountName/.test(error.message),
  );
});
