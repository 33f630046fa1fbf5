// The Flex Consumption plan (FC1, Linux) and the Function App: Node 22, a system-assigned managed identity, the
// deployment package in a blob container read with that identity, and always-ready instances for the HTTP functions.
//
// Microsoft.Web/sites@2024-04-01: `functionAppConfig` (deployment, runtime, scaleAndConcurrency) exists from
// 2023-12-01; 2024-04-01 is the version Microsoft's Flex Consumption samples (Azure-Samples/
// azure-functions-flex-consumption-samples) deploy with. On Flex Consumption the runtime is set here, not through
// FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION / WEBSITE_NODE_DEFAULT_VERSION (those app settings are not
// supported on this plan and must not be set), and there is no WEBSITE_RUN_FROM_PACKAGE or content share.
//
// FTP and basic (user name + password) publishing are off: code is published with an Entra token through Flex
// Consumption's deployment API (docs/deploy.md), so no long-lived publishing password exists to leak.

@description('Azure region (one that offers Flex Consumption: `az functionapp list-flexconsumption-locations`).')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Function App name; also the host name <name>.azurewebsites.net.')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('URL of the blob container holding the deployment package.')
param deploymentContainerUrl string

@description('App settings, name to value (written as the site\'s whole app-settings collection).')
param appSettings object

@description('Always-ready instances for the HTTP functions (the `http` group: graph-notifications and graph-lifecycle).')
@minValue(0)
param alwaysReadyHttpInstances int = 1

@description('Upper bound on instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 10

@description('Memory per instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      runtime: {
        name: 'node'
        version: '22'
      }
      scaleAndConcurrency: {
        // `http` is the group of every HTTP-triggered function. An always-ready instance is running before Graph
        // sends its validation request, so the 10-second handshake never waits for a cold start.
        alwaysReady: alwaysReadyHttpInstances > 0
          ? [
              {
                name: 'http'
                instanceCount: alwaysReadyHttpInstances
              }
            ]
          : []
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
    }
  }
}

resource ftp 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scm 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: appSettings
}

output name string = site.name
output id string = site.id
output principalId string = site.identity.principalId
output defaultHostName string = site.properties.defaultHostName
