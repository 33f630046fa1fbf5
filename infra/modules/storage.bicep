// The one storage account of the app: the Functions host's own storage (keys, timer and queue leases), the
// deployment package container Flex Consumption runs from, the work queue `mi-sync` (+ the host's `mi-sync-poison`)
// and the app's state tables (`<prefix>DeltaChains`, `...Subscriptions`, `...Leases`, `...IdMap`, `...Runs`, created
// by the app on first use). Queue and state must share one account: the webhook functions enqueue through the host's
// binding (AzureWebJobsStorage) and the worker's own code enqueues through SYNC_STATE_CONNECTION.

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Storage account name: 3-24 lowercase letters and digits, globally unique.')
@minLength(3)
@maxLength(24)
param name string

@description('Blob container Flex Consumption deploys the app package to.')
param deploymentContainerName string = 'app-package'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    // Shared keys stay enabled: the app's own state store and queue client take a connection string today
    // (SYNC_STATE_CONNECTION, a Key Vault reference). The host itself uses the managed identity.
    allowSharedKeyAccess: true
    defaultToOAuthAuthentication: true
    publicNetworkAccess: 'Enabled'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

// Created here so that alerts and dashboards can point at them before the first message; the app and the host
// would create them on first use anyway.
resource syncQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: 'mi-sync'
}

resource poisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: 'mi-sync-poison'
}

output name string = account.name
output id string = account.id
output blobEndpoint string = account.properties.primaryEndpoints.blob
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer.name}'
