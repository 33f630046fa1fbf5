// Storage reached only with the managed identity (shared-key access off), storage and Key Vault closed to the
// internet, leavers disabled by the timer reconcile, no alert e-mail.
using '../azuredeploy.json'

param clientId = '11111111-1111-1111-1111-111111111111'
param miUrl = 'https://mi.example.com'
param miApplicationId = 'mi-application-id'
param miUser = 'mi-admin'
param filter = 'MI-'
param appPublished = true
param stateStorageAuth = 'identity'
param publicNetworkAccess = 'Disabled'
param deprovision = true
