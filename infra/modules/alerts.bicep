// What tells the admin that something is wrong: an action group that e-mails them, five log search alert rules over
// the app's Application Insights, and a workbook (runs, changes applied, latency, failures).
//
// Every rule reads the app's own log lines (`{"event":"mi-sync.run",...}` once per run, infra/alerts/*.kql), which
// the Functions host sends to Application Insights under the app's identity. The queries live in infra/alerts/ so
// that docs/operate.md quotes them word for word (test/infra/alerts.test.ts checks both). Thresholds are in the
// criteria, not in the queries. Microsoft.Insights/scheduledQueryRules@2023-12-01 is the current GA version.

@description('Azure region of the rules and the workbook.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Prefix of every rule name.')
param namePrefix string

@description('Resource id of the Application Insights component the rules query.')
param applicationInsightsId string

@description('Who gets the e-mails; empty creates the rules without an action group (they still show in the portal).')
param alertEmail string = ''

@description('No successful reconcile in this many hours fires an alert (twice the reconcile schedule\'s interval).')
@minValue(1)
@maxValue(48)
param reconcileAlertHours int = 8

@description('A Graph subscription with fewer hours than this left fires an alert.')
@minValue(1)
param subscriptionExpiryAlertHours int = 24

@description('Notification-to-MI latency whose 95th percentile over an hour above this many milliseconds fires an alert.')
@minValue(1000)
param latencyAlertMs int = 60000

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: '${namePrefix}-admins'
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'mi-sync'
    enabled: true
    emailReceivers: [
      {
        name: 'admin'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var actions = empty(alertEmail)
  ? {}
  : {
      actionGroups: [
        actionGroup.id
      ]
    }

// One entry per rule: the query file, how often it runs over which window, and when it fires.
var rules = [
  {
    name: 'poison-message'
    displayName: 'mi-sync: a message reached the poison queue'
    description: 'The worker gave up on a sync message (five failed attempts, or a message no attempt can process); it now waits in mi-sync-poison. docs/operate.md#poison-queue-not-empty'
    severity: 1
    query: loadTextContent('../alerts/poison-message.kql')
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criterion: {
      timeAggregation: 'Count'
      operator: 'GreaterThan'
      threshold: 0
    }
  }
  {
    name: 'run-failed'
    displayName: 'mi-sync: a run failed'
    description: 'A reconcile, subscriptions upkeep or lifecycle run failed, was refused by the removal guard, or left some changes unapplied. docs/operate.md#a-run-failed'
    severity: 2
    query: loadTextContent('../alerts/run-failed.kql')
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criterion: {
      timeAggregation: 'Count'
      operator: 'GreaterThan'
      threshold: 0
    }
  }
  {
    name: 'no-successful-reconcile'
    displayName: 'mi-sync: no successful reconcile in ${reconcileAlertHours} hours'
    description: 'The full reconcile has not succeeded for twice its schedule. docs/operate.md#no-successful-reconcile'
    severity: 1
    query: loadTextContent('../alerts/no-successful-reconcile.kql')
    evaluationFrequency: 'PT1H'
    windowSize: 'PT${reconcileAlertHours}H'
    criterion: {
      timeAggregation: 'Count'
      operator: 'LessThan'
      threshold: 1
    }
  }
  {
    name: 'subscription-expiring'
    displayName: 'mi-sync: a Graph subscription expires within ${subscriptionExpiryAlertHours} hours'
    description: 'Subscription upkeep did not renew a subscription; when it expires, changes reach MI only at the next reconcile. docs/operate.md#subscription-expiring'
    severity: 2
    query: loadTextContent('../alerts/subscription-expiring.kql')
    evaluationFrequency: 'PT1H'
    windowSize: 'PT2H'
    criterion: {
      timeAggregation: 'Minimum'
      metricMeasureColumn: 'hoursLeft'
      operator: 'LessThan'
      threshold: subscriptionExpiryAlertHours
    }
  }
  {
    name: 'notification-latency'
    displayName: 'mi-sync: notification-to-MI latency p95 above ${latencyAlertMs} ms'
    description: 'Changes take too long from Graph\'s notification to MI. docs/operate.md#notification-latency'
    severity: 3
    query: loadTextContent('../alerts/notification-latency.kql')
    evaluationFrequency: 'PT15M'
    windowSize: 'PT1H'
    criterion: {
      timeAggregation: 'Maximum'
      metricMeasureColumn: 'p95LatencyMs'
      operator: 'GreaterThan'
      threshold: latencyAlertMs
    }
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in rules: {
    name: '${namePrefix}-${rule.name}'
    location: location
    tags: tags
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        applicationInsightsId
      ]
      evaluationFrequency: rule.evaluationFrequency
      windowSize: rule.windowSize
      criteria: {
        allOf: [
          union(rule.criterion, {
            query: rule.query
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          })
        ]
      }
      autoMitigate: true
      actions: actions
    }
  }
]

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(applicationInsightsId, 'mi-sync-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'mi-o365-usersync: runs, changes, latency, failures'
    category: 'workbook'
    sourceId: applicationInsightsId
    serializedData: loadTextContent('../workbook.json')
  }
}
