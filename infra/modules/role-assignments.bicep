// What the Function App's system-assigned identity may do, each role on the one resource that needs it, and why.
// test/infra/template-and-app.test.ts fails when a role here has no use, or a use has no role.
//
// Storage (identity-based host storage: AzureWebJobsStorage__accountName + __credential=managedidentity):
// - Storage Blob Data Owner: the host's function keys, timer schedule status and singleton leases
//   (azure-webjobs-* containers), and the deployment package Flex Consumption runs from
//   (functionAppConfig.deployment.storage, SystemAssignedIdentity).
// - Storage Queue Data Contributor: the `mi-sync` queue trigger (read, update, delete, write to mi-sync-poison) and
//   the webhook functions' output binding, both on the `AzureWebJobsStorage` connection
//   (src/functions/queue-binding.ts); with stateStorageAuth = identity also the app's own queue client.
// - Storage Table Data Contributor: the host's diagnostic events (AZFD0003: the host writes them to Table Storage
//   through AzureWebJobsStorage); with stateStorageAuth = identity also the app's state tables.
// Key Vault: Key Vault Secrets User, to resolve the app settings' Key Vault references.
// Application Insights: Monitoring Metrics Publisher, for Entra-authenticated telemetry
// (APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD; local auth is off, monitoring.bicep).

@description('principalId of the Function App\'s system-assigned identity.')
param principalId string

param storageAccountName string
param keyVaultName string
param applicationInsightsName string

var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

var storageRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource storageAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in storageRoles: {
    name: guid(storage.id, principalId, role)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource vaultAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource telemetryAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalId, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
