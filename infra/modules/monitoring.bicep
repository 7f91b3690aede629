// Log Analytics workspace (shared-key access off) + workspace-based Application Insights with
// local (instrumentation key) authentication disabled: telemetry is accepted only with an Entra ID token, which the
// Functions host gets for the app identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING).

param location string
param tags object
param logAnalyticsName string
param appInsightsName string

@description('Principal id of the Function App identity (granted Monitoring Metrics Publisher).')
param appPrincipalId string

@description('Daily ingestion cap of the workspace in GB (-1 = no cap).')
param dailyCapGb int = 1

@description('Days the workspace keeps data (30 is included in the ingestion price).')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

// Built-in role: Monitoring Metrics Publisher.
var monitoringMetricsPublisherRoleId = '3913510d-42f4-4e42-8a64-420c390055eb'

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    workspaceCapping: {
      dailyQuotaGb: dailyCapGb
    }
    // Queries and ingestion with Entra ID only: no workspace shared key.
    features: {
      disableLocalAuth: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: true
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, appPrincipalId, monitoringMetricsPublisherRoleId)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisherRoleId)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output appInsightsName string = appInsights.name
output logAnalyticsId string = logs.id
