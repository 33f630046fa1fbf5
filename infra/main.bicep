// mi-o365-usersync on Azure Functions (Flex Consumption, Node 22), into an existing resource group:
//
//   az deployment group create -g <resource group> -f infra/main.bicep -p @infra/main.parameters.json \
//     -p clientSecret="$O365_USERSYNC_CLIENT_SECRET" -p miApplicationKey="$MI_APPLICATION_KEY"
//
// (or the compiled infra/azuredeploy.json, which CI checks is exactly what this file compiles to).
//
// Resources: Log Analytics + workspace-based Application Insights, one storage account (host storage, deployment
// package, the `mi-sync` queue, the state tables), Key Vault (RBAC) with the secrets, the Flex Consumption plan and
// Function App with a system-assigned identity and its role assignments, alert rules and a workbook, then, once the
// code is published (appPublished), the function keys and the webhook URLs (modules/function-keys.bicep). Every app
// setting and its default: docs/app-settings.md. The whole procedure: docs/deploy.md. What each alert means:
// docs/operate.md. What is locked down and how it is tested: docs/security.md.

targetScope = 'resourceGroup'

// ---------------------------------------------------------------------------------------------------------------------
// Naming and hosting

@description('Short name used to build every resource name (lowercase letters and digits).')
@minLength(3)
@maxLength(10)
param baseName string = 'misync'

@description('Azure region; must offer Flex Consumption (`az functionapp list-flexconsumption-locations`).')
param location string = resourceGroup().location

@description('Tags applied to every resource.')
param tags object = {}

@description('Always-ready instances for the webhook functions (0 saves the baseline cost but lets a cold start miss Graph\'s 10 s validation).')
@minValue(0)
@maxValue(5)
param alwaysReadyHttpInstances int = 1

@description('Most instances the app scales out to (each worker instance may call MI concurrently).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 10

@description('Memory per instance, in MB. 512 carries tenants up to 100,000 users, 5,000 groups and 400,000 memberships (a full reconcile peaked at 335-379 MB with the heap limit of node-heap.json, 550-572 MB without); 2048 for larger ones (docs/deploy.md).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Days Log Analytics keeps logs.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Key Vault purge protection (cannot be turned off later; set false for a throw-away trial).')
param keyVaultPurgeProtection bool = true

@description('The app\'s code is published (docs/deploy.md, step 4). Then this deployment creates the function keys and sets NOTIFICATION_URL / LIFECYCLE_NOTIFICATION_URL. Leave false on the first deployment: the host refuses keys for functions that do not exist yet.')
param appPublished bool = false

@secure()
@description('With appPublished: the function key `mi-sync-graph` of graph-notifications and graph-lifecycle, the only key Graph gets (32 random bytes, base64url). Empty keeps the key already there.')
param webhookKey string = ''

@secure()
@description('With appPublished: the function key `mi-sync-status` of the status routes, for admins (a different value from webhookKey). Empty keeps the key already there.')
param statusKey string = ''

// ---------------------------------------------------------------------------------------------------------------------
// Security choices (docs/security.md)

@description('How the app reaches its state tables and queue. identity (default): the managed identity, shared-key access off. connectionString: a Key Vault reference to the account\'s connection string (shared-key access stays on), for app versions before identity support.')
@allowed([
  'connectionString'
  'identity'
])
param stateStorageAuth string = 'identity'

@description('Public network access of the storage account and Key Vault. Disabled needs VNet integration and private endpoints that this template does not create (docs/security.md); the webhook routes stay public either way, since Graph calls them from the internet.')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Enabled'

@description('Application Insights refuses telemetry sent with only its instrumentation key (every sender needs an Entra token).')
param disableAppInsightsLocalAuth bool = true

// ---------------------------------------------------------------------------------------------------------------------
// Alerts (docs/operate.md)

@description('E-mail address that receives the alerts; empty creates the alert rules without an action group.')
param alertEmail string = ''

@description('Alert when no reconcile succeeded for this many hours: twice the interval of reconcileSchedule (also the status page\'s STATUS_MAX_RECONCILE_AGE_HOURS).')
@minValue(1)
@maxValue(48)
param reconcileAlertHours int = 8

@description('Alert when a Graph subscription has fewer hours than this left (keep it at or below subscriptionRenewBeforeMinutes / 60).')
@minValue(1)
param subscriptionExpiryAlertHours int = 24

@description('Alert when the 95th percentile of notification-to-MI latency over an hour exceeds this many milliseconds.')
@minValue(1000)
param latencyAlertMs int = 60000

// ---------------------------------------------------------------------------------------------------------------------
// Entra (Microsoft Graph)

@description('Directory (tenant) id of the Entra tenant whose groups are synced (O365_USERSYNC_TENANT).')
param tenantId string = tenant().tenantId

@description('Application (client) id of the app registration (O365_USERSYNC_CLIENT_ID).')
param clientId string

@description('How the app authenticates to Entra: a client secret or a certificate (PEM with private key).')
@allowed([
  'secret'
  'certificate'
])
param entraCredential string = 'secret'

@secure()
@description('The client secret; stored in Key Vault. Empty keeps the secret already there.')
param clientSecret string = ''

@secure()
@description('PEM text holding the certificate and its private key; stored in Key Vault. Empty keeps the one already there.')
param clientCertificatePem string = ''

@description('Graph endpoint (O365_USERSYNC_GRAPH_ENDPOINT); empty means https://graph.microsoft.com.')
param graphEndpoint string = ''

@description('Authority host (O365_USERSYNC_AUTHORITY_HOST); empty means https://login.microsoftonline.com.')
param authorityHost string = ''

// ---------------------------------------------------------------------------------------------------------------------
// Metric Insights

@description('Base URL of the MI instance, e.g. https://mi.example.com (MI_URL).')
param miUrl string

@description('How the app authenticates to MI: an External Application (id + key + admin user) or a personal API token.')
@allowed([
  'application'
  'token'
])
param miAuth string = 'application'

@description('External Application id (MI_APPLICATION_ID); with miAuth = application.')
param miApplicationId string = ''

@secure()
@description('External Application key; stored in Key Vault. Empty keeps the key already there.')
param miApplicationKey string = ''

@description('MI administrator username the token acts as (MI_API_USER); never modified by a sync.')
param miUser string = ''

@secure()
@description('Personal API token (MI_API_TOKEN), with miAuth = token; stored in Key Vault. Empty keeps the one already there.')
param miApiToken string = ''

@description('Proxy for Graph, token and MI traffic (HTTPS_PROXY); empty for none.')
param httpsProxy string = ''

@description('Hosts that bypass the proxy (NO_PROXY).')
param noProxy string = ''

// ---------------------------------------------------------------------------------------------------------------------
// What to sync: every CLI option, as SYNC_<FLAG>. Empty strings leave the setting unset (the engine's default).

@description('Entra groups to sync: display names (exact, case-insensitive) or object ids (SYNC_GROUPS, joined with ;).')
param groups array = []

@description('Also sync every group whose display name starts with this prefix (SYNC_FILTER, --filter).')
param filter string = ''

@description('Plan only, write nothing to MI (SYNC_DRY_RUN, --dry-run).')
param dryRun bool = false

@description('Log each step (SYNC_VERBOSE, --verbose).')
param verbose bool = false

@description('Type of users created: regular, administrator or power_user (SYNC_USER_TYPE, --user-type); empty means regular.')
@allowed([
  ''
  'regular'
  'administrator'
  'power_user'
])
param userType string = ''

@description('Graph user property used as MI username (SYNC_USERNAME_ATTR, --username-attr).')
param usernameAttr string = 'userPrincipalName'

@description('SYNC_FIRST_NAME_ATTR (--first-name-attr).')
param firstNameAttr string = 'givenName'

@description('SYNC_LAST_NAME_ATTR (--last-name-attr).')
param lastNameAttr string = 'surname'

@description('SYNC_EMAIL_ATTR (--email-attr).')
param emailAttr string = 'mail'

@description('Do not add synced users to MI\'s Default Group (SYNC_SKIP_DEFAULT_GROUP, --skip-default-group).')
param skipDefaultGroup bool = false

@description('Include members of nested groups (SYNC_PROCESS_CHILD_GROUPS, --process-child-groups).')
param processChildGroups bool = false

@description('all: create missing groups and users; groups: create groups, update existing users only; off: only groups that exist in MI (SYNC_AUTO_CREATE, --auto-create).')
@allowed([
  'all'
  'groups'
  'off'
])
param autoCreate string = 'off'

@description('Update related objects even when they look unchanged (SYNC_FORCE, --force).')
param force bool = false

@description('The timer reconcile also disables users who left every synced group (SYNC_DEPROVISION).')
param deprovision bool = false

@description('Sync every selected group into this one MI group (SYNC_TARGET_GROUP, --target-group).')
param targetGroup string = ''

@description('Custom attributes to sync, comma-separated (SYNC_CUSTOM_USER_ATTRIBUTE, --custom-user-attribute).')
param customUserAttribute string = ''

@description('Attributes whose values name MI groups, comma-separated (SYNC_MAP_ATTR_TO_GROUP, --map-attr-to-group).')
param mapAttrToGroup string = ''

@description('App id whose directory extensions hold custom data (SYNC_CUSTOM_ATTR_APP_ID, --custom-attr-app-id).')
param customAttrAppId string = ''

@description('Graph property that becomes the trusted-server username (SYNC_TRUSTED_SERVER_USERNAME_ATTR).')
param trustedServerUsernameAttr string = ''

@description('Transformation rules, JSON or the original\'s Python-style list (SYNC_ATTRIBUTES_TRANSFORMATION).')
param attributesTransformation string = ''

@description('Only these users, comma-separated (SYNC_PROCESS_USERS, --process-users; @file is not available in Azure).')
param processUsers string = ''

@description('Removal guard: a count, N% or none (SYNC_MAX_REMOVALS, --max-removals); empty means 10% of managed memberships, never less than 25.')
param maxRemovals string = ''

// ---------------------------------------------------------------------------------------------------------------------
// The Functions app's own settings

@description('NCRONTAB (UTC, with seconds) of the full reconcile (RECONCILE_SCHEDULE).')
param reconcileSchedule string = '0 0 */4 * * *'

@description('NCRONTAB (UTC, with seconds) of subscription upkeep (SUBSCRIPTIONS_SCHEDULE).')
param subscriptionsSchedule string = '0 15 * * * *'

@description('Prefix of the state tables (SYNC_TABLE_PREFIX).')
param tablePrefix string = 'misync'

@description('Lifetime asked for Graph subscriptions, minutes (SUBSCRIPTION_LIFETIME_MINUTES).')
@minValue(45)
@maxValue(41760)
param subscriptionLifetimeMinutes int = 4320

@description('Renew subscriptions with less than this left, minutes (SUBSCRIPTION_RENEW_BEFORE_MINUTES).')
@minValue(15)
param subscriptionRenewBeforeMinutes int = 1440

@description('Directory subscriptions allowed per app and tenant (SUBSCRIPTION_QUOTA).')
@minValue(2)
param subscriptionQuota int = 100

@description('Above this many groups the reconcile fans out one queue message per group (RECONCILE_FANOUT_THRESHOLD).')
@minValue(0)
param reconcileFanoutThreshold int = 20

@description('Days the audit trail keeps each run\'s operations; the audit-prune timer deletes older ones (AUDIT_RETENTION_DAYS).')
@minValue(1)
@maxValue(3650)
param auditRetentionDays int = 90

@description('Any other app settings, name to value, applied last (for example STATUS_QUEUE_BACKLOG). This deployment owns the whole app-settings collection: a setting added by hand is removed by the next deployment unless it is here.')
param extraAppSettings object = {}

// ---------------------------------------------------------------------------------------------------------------------
// Names

var token = uniqueString(resourceGroup().id, baseName)
var names = {
  logAnalytics: 'log-${baseName}-${token}'
  applicationInsights: 'appi-${baseName}-${token}'
  storage: take(toLower('st${baseName}${token}'), 24)
  alerts: 'alert-${baseName}-${token}'
  keyVault: take(toLower('kv-${baseName}-${token}'), 24)
  plan: 'plan-${baseName}-${token}'
  functionApp: 'func-${baseName}-${token}'
}

// ---------------------------------------------------------------------------------------------------------------------
// Resources

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    retentionInDays: logRetentionInDays
    disableLocalAuth: disableAppInsightsLocalAuth
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: tags
    name: names.storage
    allowSharedKeyAccess: stateStorageAuth == 'connectionString'
    publicNetworkAccess: publicNetworkAccess
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    tags: tags
    name: names.keyVault
    storageAccountName: storage.outputs.name
    writeStateConnection: stateStorageAuth == 'connectionString'
    enablePurgeProtection: keyVaultPurgeProtection
    publicNetworkAccess: publicNetworkAccess
    clientSecret: entraCredential == 'secret' ? clientSecret : ''
    clientCertificatePem: entraCredential == 'certificate' ? clientCertificatePem : ''
    miApplicationKey: miAuth == 'application' ? miApplicationKey : ''
    miApiToken: miAuth == 'token' ? miApiToken : ''
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// App settings. Optional values are left out when empty, so the engine's own default applies.

var refs = keyVault.outputs.references

var hostSettings = union(
  {
    // The host's storage, identity-based (role-assignments.bicep). `AzureWebJobsStorage` is also the connection of
    // the `mi-sync` queue trigger and output binding.
    AzureWebJobsStorage__accountName: storage.outputs.name
    AzureWebJobsStorage__credential: 'managedidentity'
    APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
    STATUS_MAX_RECONCILE_AGE_HOURS: string(reconcileAlertHours)
  },
  // With stateStorageAuth = connectionString the app's own tables and queue client take a connection string: a Key
  // Vault reference. With identity the app finds the account through AzureWebJobsStorage__accountName.
  stateStorageAuth == 'connectionString' ? { SYNC_STATE_CONNECTION: refs.stateConnection } : {}
)

// The Node worker's heap limit for the instance size: without one V8 lets garbage grow well past what a 512 MB
// instance holds (a 100,000-user reconcile peaks at 570 MB with V8's defaults, 354 MB with 320 MB of old space).
var nodeHeap = loadJsonContent('node-heap.json')

var appHostSettings = {
  languageWorkers__node__arguments: nodeHeap[string(instanceMemoryMB)]
  SYNC_TABLE_PREFIX: tablePrefix
  RECONCILE_SCHEDULE: reconcileSchedule
  SUBSCRIPTIONS_SCHEDULE: subscriptionsSchedule
  SUBSCRIPTION_LIFETIME_MINUTES: string(subscriptionLifetimeMinutes)
  SUBSCRIPTION_RENEW_BEFORE_MINUTES: string(subscriptionRenewBeforeMinutes)
  SUBSCRIPTION_QUOTA: string(subscriptionQuota)
  RECONCILE_FANOUT_THRESHOLD: string(reconcileFanoutThreshold)
  AUDIT_RETENTION_DAYS: string(auditRetentionDays)
}

var entraSettings = union(
  {
    O365_USERSYNC_TENANT: tenantId
    O365_USERSYNC_CLIENT_ID: clientId
  },
  entraCredential == 'certificate'
    ? { O365_USERSYNC_CLIENT_CERTIFICATE: refs.clientCertificate }
    : { O365_USERSYNC_CLIENT_SECRET: refs.clientSecret },
  empty(graphEndpoint) ? {} : { O365_USERSYNC_GRAPH_ENDPOINT: graphEndpoint },
  empty(authorityHost) ? {} : { O365_USERSYNC_AUTHORITY_HOST: authorityHost }
)

var miSettings = union(
  { MI_URL: miUrl },
  miAuth == 'token'
    ? { MI_API_TOKEN: refs.miApiToken }
    : {
        MI_APPLICATION_ID: miApplicationId
        MI_APPLICATION_KEY: refs.miApplicationKey
      },
  empty(miUser) ? {} : { MI_API_USER: miUser },
  empty(httpsProxy) ? {} : { HTTPS_PROXY: httpsProxy },
  empty(noProxy) ? {} : { NO_PROXY: noProxy }
)

var syncSettings = union(
  {
    SYNC_DRY_RUN: dryRun ? 'true' : 'false'
    SYNC_VERBOSE: verbose ? 'true' : 'false'
    SYNC_USERNAME_ATTR: usernameAttr
    SYNC_FIRST_NAME_ATTR: firstNameAttr
    SYNC_LAST_NAME_ATTR: lastNameAttr
    SYNC_EMAIL_ATTR: emailAttr
    SYNC_SKIP_DEFAULT_GROUP: skipDefaultGroup ? 'true' : 'false'
    SYNC_PROCESS_CHILD_GROUPS: processChildGroups ? 'true' : 'false'
    SYNC_AUTO_CREATE: autoCreate
    SYNC_FORCE: force ? 'true' : 'false'
    SYNC_DEPROVISION: deprovision ? 'true' : 'false'
  },
  empty(groups) ? {} : { SYNC_GROUPS: join(groups, ';') },
  empty(filter) ? {} : { SYNC_FILTER: filter },
  empty(userType) ? {} : { SYNC_USER_TYPE: userType },
  empty(targetGroup) ? {} : { SYNC_TARGET_GROUP: targetGroup },
  empty(customUserAttribute) ? {} : { SYNC_CUSTOM_USER_ATTRIBUTE: customUserAttribute },
  empty(mapAttrToGroup) ? {} : { SYNC_MAP_ATTR_TO_GROUP: mapAttrToGroup },
  empty(customAttrAppId) ? {} : { SYNC_CUSTOM_ATTR_APP_ID: customAttrAppId },
  empty(trustedServerUsernameAttr) ? {} : { SYNC_TRUSTED_SERVER_USERNAME_ATTR: trustedServerUsernameAttr },
  empty(attributesTransformation) ? {} : { SYNC_ATTRIBUTES_TRANSFORMATION: attributesTransformation },
  empty(processUsers) ? {} : { SYNC_PROCESS_USERS: processUsers },
  empty(maxRemovals) ? {} : { SYNC_MAX_REMOVALS: maxRemovals }
)

var appSettings = union(hostSettings, appHostSettings, entraSettings, miSettings, syncSettings, extraAppSettings)

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    tags: tags
    name: names.functionApp
    planName: names.plan
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appSettings: appSettings
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
}

module roles 'modules/role-assignments.bicep' = {
  name: 'role-assignments'
  params: {
    principalId: functionApp.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

// Second step, once the code is published: function keys of their own for the webhook and status routes, and the
// webhook URLs built from them (Key Vault references in the app settings).
module functionKeys 'modules/function-keys.bicep' = if (appPublished) {
  name: 'function-keys'
  params: {
    functionAppName: functionApp.outputs.name
    keyVaultName: keyVault.outputs.name
    appSettings: appSettings
    webhookKey: webhookKey
    statusKey: statusKey
  }
  dependsOn: [
    roles
  ]
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    location: location
    tags: tags
    namePrefix: names.alerts
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    alertEmail: alertEmail
    reconcileAlertHours: reconcileAlertHours
    subscriptionExpiryAlertHours: subscriptionExpiryAlertHours
    latencyAlertMs: latencyAlertMs
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Outputs. The URLs are shown without their `?code=` key (outputs are kept in the deployment history); the Key Vault
// secrets behind NOTIFICATION_URL / LIFECYCLE_NOTIFICATION_URL hold the same URLs with the key.

output functionAppName string = functionApp.outputs.name
output functionAppHostName string = functionApp.outputs.defaultHostName
output notificationUrl string = 'https://${functionApp.outputs.defaultHostName}/api/graph/notifications'
output lifecycleUrl string = 'https://${functionApp.outputs.defaultHostName}/api/graph/lifecycle'
output keyVaultName string = keyVault.outputs.name
output storageAccountName string = storage.outputs.name
output applicationInsightsName string = monitoring.outputs.applicationInsightsName
