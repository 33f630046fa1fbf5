// The one storage account of the app: the Functions host's own storage (keys, timer and queue leases, diagnostic
// events), the deployment package container Flex Consumption runs from, the work queue `mi-sync` (+ the host's
// `mi-sync-poison`) and the app's state tables (`<prefix>DeltaChains`, `...Subscriptions`, `...Leases`, `...IdMap`,
// `...Runs`, created by the app on first use). Queue and state share one account: the webhook functions enqueue
// through the host's binding (AzureWebJobsStorage) and the app's own code reads the same queue.

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

@description('Accept shared-key (account key and SAS) requests. Only the app\'s connection-string state store needs them; everything else uses the managed identity.')
param allowSharedKeyAccess bool

@description('Enabled: reachable from the internet (Entra auth still required). Disabled: only through private endpoints you add yourself (docs/security.md).')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Enabled'

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
    allowSharedKeyAccess: allowSharedKeyAccess
    defaultToOAuthAuthentication: true
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: publicNetworkAccess == 'Enabled' ? 'Allow' : 'Deny'
    }
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

// Created here so that the first message never waits on a create; the app and the host would create them anyway.
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
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer.name}'
