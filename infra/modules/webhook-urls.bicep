// Second step: NOTIFICATION_URL and LIFECYCLE_NOTIFICATION_URL. Both carry the host's default function key
// (`?code=`), which exists only once the Function App's host runs, so it cannot be part of the site's first
// app-settings write without a cycle (site -> key -> settings -> site). This module runs after the site and its
// role assignments, reads the key with listKeys on `host/default`, and rewrites the app settings as the base set plus
// the two URLs. The key is read inside this module and never passed as a parameter or output, so it does not appear
// in the deployment history. The key is stable across deployments (the host keeps it in its storage), so
// subscriptions created with these URLs stay valid.

@description('Function App name.')
param functionAppName string

@description('The base app settings (the same object functionapp.bicep wrote).')
param appSettings object

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

var functionKey = listKeys(resourceId('Microsoft.Web/sites/host', functionAppName, 'default'), '2024-04-01').functionKeys.default
var apiBase = 'https://${site.properties.defaultHostName}/api'

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(appSettings, {
    NOTIFICATION_URL: '${apiBase}/graph/notifications?code=${uriComponent(functionKey)}'
    LIFECYCLE_NOTIFICATION_URL: '${apiBase}/graph/lifecycle?code=${uriComponent(functionKey)}'
  })
}
