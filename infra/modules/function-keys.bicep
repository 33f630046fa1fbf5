// Second step, once the app's code is published: the function keys, the webhook URLs built from them, and the app
// settings rewritten with those URLs. It runs in a deployment with appPublished = true (docs/deploy.md, step 5).
//
// Keys (function-level, never the host or master key, which open every function and the admin API):
// - `mi-sync-graph` on graph-notifications and graph-lifecycle only: the key Graph calls with. It opens nothing else,
//   so a leaked subscription URL cannot reach the status routes or POST /api/status/resync?mode=apply.
// - `mi-sync-status` on the status functions only (status, status-page, status-resync, status-audit,
//   status-explain, status-names): the admins' key.
// The host refuses a key for a function it does not know (KeysController: 404), so these cannot be created before
// the code is published. A key parameter left empty keeps the key already there; a new value replaces it (Graph
// subscriptions then need the new URL: docs/operate.md).
//
// The URLs carry the key, so they go to Key Vault (`notification-url`, `lifecycle-notification-url`) and the app
// settings hold references: the key is not in plain app settings and not in the deployment history (it is read with
// listKeys inside this module, never passed as a parameter or output).

@description('Function App name.')
param functionAppName string

@description('Key Vault holding the webhook URLs.')
param keyVaultName string

@description('The base app settings (the same object functionapp.bicep wrote).')
param appSettings object

@secure()
@description('Value of the `mi-sync-graph` key; empty keeps the key already there.')
param webhookKey string = ''

@secure()
@description('Value of the `mi-sync-status` key; empty keeps the key already there.')
param statusKey string = ''

var webhookKeyName = 'mi-sync-graph'
var statusKeyName = 'mi-sync-status'
var webhookFunctions = [
  'graph-notifications'
  'graph-lifecycle'
]
var statusFunctions = [
  'status'
  'status-page'
  'status-resync'
  'status-audit'
  'status-explain'
  'status-names'
]

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource webhookKeys 'Microsoft.Web/sites/functions/keys@2024-04-01' = [
  for fn in webhookFunctions: if (!empty(webhookKey)) {
    name: '${functionAppName}/${fn}/${webhookKeyName}'
    value: webhookKey
  }
]

resource statusKeys 'Microsoft.Web/sites/functions/keys@2024-04-01' = [
  for fn in statusFunctions: if (!empty(statusKey)) {
    name: '${functionAppName}/${fn}/${statusKeyName}'
    value: statusKey
  }
]

resource notifications 'Microsoft.Web/sites/functions@2024-04-01' existing = {
  parent: site
  name: webhookFunctions[0]
}

resource lifecycle 'Microsoft.Web/sites/functions@2024-04-01' existing = {
  parent: site
  name: webhookFunctions[1]
}

var apiBase = 'https://${site.properties.defaultHostName}/api'

resource notificationUrl 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'notification-url'
  properties: {
    value: '${apiBase}/graph/notifications?code=${uriComponent(notifications.listKeys().properties[webhookKeyName])}'
    contentType: 'NOTIFICATION_URL: graph-notifications with its function key'
  }
  dependsOn: [
    webhookKeys
  ]
}

resource lifecycleUrl 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'lifecycle-notification-url'
  properties: {
    value: '${apiBase}/graph/lifecycle?code=${uriComponent(lifecycle.listKeys().properties[webhookKeyName])}'
    contentType: 'LIFECYCLE_NOTIFICATION_URL: graph-lifecycle with its function key'
  }
  dependsOn: [
    webhookKeys
  ]
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(appSettings, {
    NOTIFICATION_URL: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${notificationUrl.name})'
    LIFECYCLE_NOTIFICATION_URL: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${lifecycleUrl.name})'
  })
  dependsOn: [
    statusKeys
  ]
}
