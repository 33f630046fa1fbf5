// Key Vault (Azure RBAC authorization, no access policies) holding every secret the app needs. The Function App
// reads them through Key Vault references (`@Microsoft.KeyVault(SecretUri=...)`) with its system-assigned identity
// ("Key Vault Secrets User", granted in role-assignments.bicep). References are versionless: a new secret version
// is picked up on the next app restart (or within 24 hours).
//
// A secret parameter left empty writes nothing: the secret already in the vault (from an earlier deployment or set
// with `az keyvault secret set`) stays as it is. The storage connection string, when the app still needs one, is
// rewritten on every deployment from the account's current key. The webhook URLs (`notification-url`,
// `lifecycle-notification-url`) are written by function-keys.bicep once the function keys exist.

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Key Vault name: 3-24 letters, digits and hyphens, globally unique.')
@minLength(3)
@maxLength(24)
param name string

@description('Storage account whose connection string becomes the `sync-state-connection` secret.')
param storageAccountName string

@description('Write the `sync-state-connection` secret (only while the app reaches its state with a connection string).')
param writeStateConnection bool

@description('Turn on purge protection (cannot be turned off again; a deleted vault then keeps its name for 90 days).')
param enablePurgeProtection bool = true

@description('Enabled: reachable from the internet (Entra auth and RBAC still required). Disabled: only through a private endpoint you add yourself.')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Enabled'

@secure()
@description('Entra client secret; empty keeps the stored one.')
param clientSecret string = ''

@secure()
@description('PEM text with the Entra certificate and its private key; empty keeps the stored one.')
param clientCertificatePem string = ''

@secure()
@description('MI External Application key; empty keeps the stored one.')
param miApplicationKey string = ''

@secure()
@description('MI personal API token; empty keeps the stored one.')
param miApiToken string = ''

var secretNames = {
  clientSecret: 'o365-client-secret'
  clientCertificate: 'o365-client-certificate'
  miApplicationKey: 'mi-application-key'
  miApiToken: 'mi-api-token'
  stateConnection: 'sync-state-connection'
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // The API accepts true or absent, never false.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: publicNetworkAccess == 'Enabled' ? 'Allow' : 'Deny'
    }
  }
}

resource clientSecretValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(clientSecret)) {
  parent: vault
  name: secretNames.clientSecret
  properties: {
    value: clientSecret
    contentType: 'Entra client secret'
  }
}

resource clientCertificateValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(clientCertificatePem)) {
  parent: vault
  name: secretNames.clientCertificate
  properties: {
    value: clientCertificatePem
    contentType: 'application/x-pem-file'
  }
}

resource miApplicationKeyValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(miApplicationKey)) {
  parent: vault
  name: secretNames.miApplicationKey
  properties: {
    value: miApplicationKey
    contentType: 'MI External Application key'
  }
}

resource miApiTokenValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(miApiToken)) {
  parent: vault
  name: secretNames.miApiToken
  properties: {
    value: miApiToken
    contentType: 'MI personal API token'
  }
}

resource stateConnectionValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (writeStateConnection) {
  parent: vault
  name: secretNames.stateConnection
  properties: {
    value: 'DefaultEndpointsProtocol=https;AccountName=${storage.name};AccountKey=${storage.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}'
    contentType: 'Azure Storage connection string (SYNC_STATE_CONNECTION)'
  }
}

output name string = vault.name
output id string = vault.id

@description('The app-setting value of each secret: a versionless Key Vault reference.')
output references object = {
  clientSecret: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${secretNames.clientSecret})'
  clientCertificate: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${secretNames.clientCertificate})'
  miApplicationKey: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${secretNames.miApplicationKey})'
  miApiToken: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${secretNames.miApiToken})'
  stateConnection: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${secretNames.stateConnection})'
}
