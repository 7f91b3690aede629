// AKS Identity Auditor: the Azure deployment (azd convention: subscription scope, creates the
// resource group). See docs/deploy.md.
//
//   resource group  rg-<env>:  Function App (Flex Consumption, Node.js) + its user-assigned
//                              identity, storage (no shared keys), Log Analytics + Application
//                              Insights (Entra ID ingestion), Key Vault (Teams webhook),
//                              Communication Services Email (Azure-managed domain)
//   each audited subscription: a custom read-only role assigned to the app identity, and an
//                              Event Grid system topic on its ARM events delivering to armEvents
targetScope = 'subscription'

@description('Name of the environment (azd: AZURE_ENV_NAME); part of every resource name.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Azure region of the resources. It must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
@minLength(1)
param location string

@description('Resource group to create; default rg-<environmentName>.')
param resourceGroupName string = ''

@description('Subscriptions to audit, as an array of subscription ids. Merged with auditedSubscriptionIdsCsv; when both are empty, the deployment subscription is audited.')
param auditedSubscriptionIds array = []

@description('The same, comma-separated (what azd env substitution can supply: AUDITED_SUBSCRIPTION_IDS).')
param auditedSubscriptionIdsCsv string = ''

@description('Create the Event Grid event subscriptions. Event Grid checks that the armEvents function exists, so the first deployment (before the code is deployed) leaves this false; azd flips it in its postdeploy hook.')
param deployEventSubscriptions bool = false

@description('NCRONTAB schedule of the nightly audit (AUDIT_SCHEDULE).')
param auditSchedule string = '0 0 2 * * *'

@description('How the estate is read: per-subscription ARM calls, or Resource Graph (AUDIT_SOURCE_MODE).')
@allowed([
  'arm'
  'resourceGraph'
])
param auditSourceMode string = 'arm'

@description('Days of posture history kept (AUDIT_HISTORY_DAYS).')
@minValue(1)
@maxValue(36500)
param historyDays int = 400

@description('Lowest severity that pages (ALERT_MIN_SEVERITY).')
@allowed([
  'critical'
  'high'
  'medium'
  'low'
  'info'
])
param alertMinSeverity string = 'high'

@description('Comma-separated email recipients of the alerts (ALERT_EMAIL_TO); empty = no email alerts.')
param alertEmailTo string = ''

@description('Data location of Communication Services / Email (for example United States, Europe, UK).')
param emailDataLocation string = 'United States'

@description('Teams Workflows webhook URL. Stored in Key Vault only; empty = no Teams alerts.')
@secure()
param teamsWebhookUrl string = ''

@description('Put App Service Authentication (Entra ID) in front of /api (except /api/health).')
param enableAppServiceAuth bool = false

@description('Application (client) id of the Entra ID app registration of the API; required when enableAppServiceAuth is true.')
param authClientId string = ''

@description('Node.js major version of the Functions runtime.')
@allowed([
  '22'
])
param nodeVersion string = '22'

@description('Upper bound of Function App instances (Flex Consumption accepts 40 to 1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Daily ingestion cap of the Log Analytics workspace in GB (-1 = none).')
param logDailyCapGb int = 1

@description('Optional: the deploying user or pipeline (azd: AZURE_PRINCIPAL_ID), granted Key Vault Secrets Officer to rotate the Teams webhook.')
param principalId string = ''

@description('Type of principalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('Turn on Key Vault purge protection (irreversible).')
param enablePurgeProtection bool = false

var tags = {
  'azd-env-name': environmentName
  application: 'aks-identity-auditor'
}
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))

var csvSubscriptionIds = filter(map(split(auditedSubscriptionIdsCsv, ','), id => toLower(trim(id))), id => !empty(id))
var arraySubscriptionIds = filter(map(auditedSubscriptionIds, id => toLower(trim(string(id)))), id => !empty(id))
var requestedSubscriptionIds = union(arraySubscriptionIds, csvSubscriptionIds)
var auditedIds = empty(requestedSubscriptionIds) ? [subscription().subscriptionId] : requestedSubscriptionIds

// Authentication switched on without an audience would accept no token at all, or (worse, with
// a mistyped audience) the wrong one: stop the deployment before anything is created. A
// parameter-only variable is evaluated when ARM validates the template.
var appServiceAuthClientId = !enableAppServiceAuth || !empty(trim(authClientId))
  ? trim(authClientId)
  : fail('authClientId (azd: AUTH_CLIENT_ID) is required when enableAppServiceAuth (ENABLE_APP_SERVICE_AUTH) is true: the application (client) id of the Entra ID app registration of the API')

var teamsWebhookConfigured = !empty(teamsWebhookUrl)
var emailConfigured = !empty(alertEmailTo)
var deadLetterContainerName = 'eventgrid-deadletter'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    location: location
    tags: tags
    appIdentityName: 'id-${resourceToken}'
    eventGridIdentityName: 'id-eg-${resourceToken}'
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-${resourceToken}'
    appInsightsName: 'appi-${resourceToken}'
    appPrincipalId: identity.outputs.appIdentityPrincipalId
    dailyCapGb: logDailyCapGb
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'st${resourceToken}'
    deploymentContainerName: 'app-package-${resourceToken}'
    deadLetterContainerName: deadLetterContainerName
    appPrincipalId: identity.outputs.appIdentityPrincipalId
    eventGridPrincipalId: identity.outputs.eventGridIdentityPrincipalId
  }
}

module keyVault 'modules/keyVault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'kv-${resourceToken}'
    appPrincipalId: identity.outputs.appIdentityPrincipalId
    teamsWebhookUrl: teamsWebhookUrl
    teamsWebhookConfigured: teamsWebhookConfigured
    secretsOfficerPrincipalId: principalId
    secretsOfficerPrincipalType: principalType
    enablePurgeProtection: enablePurgeProtection
  }
}

module email 'modules/email.bicep' = {
  name: 'email'
  scope: rg
  params: {
    tags: tags
    communicationServiceName: 'acs-${resourceToken}'
    emailServiceName: 'ecs-${resourceToken}'
    dataLocation: emailDataLocation
    appPrincipalId: identity.outputs.appIdentityPrincipalId
  }
}

// The product settings (CONTRACTS.md "Settings", read by src/config.ts). Storage, identity and
// telemetry settings are added by the functionApp module.
var productSettings = union(
  {
    AUDIT_SUBSCRIPTION_IDS: join(auditedIds, ',')
    AUDIT_SCHEDULE: auditSchedule
    AUDIT_SOURCE_MODE: auditSourceMode
    AUDIT_HISTORY_DAYS: string(historyDays)
    ALERT_MIN_SEVERITY: alertMinSeverity
  },
  emailConfigured
    ? {
        ALERT_EMAIL_ENDPOINT: email.outputs.endpoint
        ALERT_EMAIL_SENDER: email.outputs.senderAddress
        ALERT_EMAIL_TO: alertEmailTo
      }
    : {},
  teamsWebhookConfigured
    ? {
        ALERT_TEAMS_WEBHOOK_URL: keyVault.outputs.teamsWebhookReference
      }
    : {}
)

module functionApp 'modules/functionApp.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    location: location
    tags: tags
    planName: 'plan-${resourceToken}'
    appName: 'func-${resourceToken}'
    identityId: identity.outputs.appIdentityId
    identityClientId: identity.outputs.appIdentityClientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    appInsightsName: monitoring.outputs.appInsightsName
    appSettings: productSettings
    nodeVersion: nodeVersion
    maximumInstanceCount: maximumInstanceCount
    enableAppServiceAuth: enableAppServiceAuth
    authClientId: appServiceAuthClientId
  }
}

module audited 'modules/auditedSubscription.bicep' = [
  for subscriptionId in auditedIds: {
    name: '${take(environmentName, 20)}-audit-${subscriptionId}'
    scope: subscription(subscriptionId)
    params: {
      location: location
      tags: tags
      appPrincipalId: identity.outputs.appIdentityPrincipalId
      eventsResourceGroupName: 'rg-${environmentName}-arm-events'
      systemTopicName: 'evgt-${environmentName}-arm'
      functionAppId: functionApp.outputs.id
      deployEventSubscription: deployEventSubscriptions
      eventGridIdentityId: identity.outputs.eventGridIdentityId
      deadLetterStorageAccountId: storage.outputs.id
      deadLetterContainerName: storage.outputs.deadLetterContainerName
    }
  }
]

// Names and ids only: never a key, a connection string or a secret.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_APP_HOST_NAME string = functionApp.outputs.defaultHostName
output APP_IDENTITY_PRINCIPAL_ID string = identity.outputs.appIdentityPrincipalId
output APP_IDENTITY_CLIENT_ID string = identity.outputs.appIdentityClientId
output KEY_VAULT_NAME string = keyVault.outputs.name
output EVENT_SUBSCRIPTIONS_DEPLOYED bool = deployEventSubscriptions
