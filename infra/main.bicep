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

import { compactName, resourceName } from 'modules/naming.bicep'

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

@description('The second pass: create the Event Grid event subscriptions and assign the custom roles to the app. Event Grid checks that the armEvents function exists, and a custom role created in the same deployment may not have propagated yet (RoleDefinitionDoesNotExist), so the first deployment (before the code is deployed) leaves this false; azd flips it in its postdeploy hook, which retries.')
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

@description('Comma-separated object ids of principals and groups approved to hold paths to cluster-admin on every cluster, e.g. the platform team and break-glass accounts (AUDIT_APPROVED_ADMINS); empty = only each cluster\'s admin groups.')
param approvedAdminsCsv string = ''

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

@description('True once the Teams Workflows webhook URL is in the Key Vault (secret teams-webhook-url): the app then gets its Key Vault reference. The URL itself never passes through a parameter: the postprovision hook prompts for it once and writes it to the vault (docs/deploy.md).')
param teamsWebhookConfigured bool = false

@description('Require an Entra ID token for the whole API (except /api/health and the Event Grid webhook). Needs authClientId.')
param enableAppServiceAuth bool = false

@description('Application (client) id of the Entra ID app registration of the API. Given, App Service Authentication is on for the browser routes (/api/dashboard...); required when enableAppServiceAuth is true.')
param authClientId string = ''

@description('Let storage and Key Vault accept traffic from public networks. Off by default: the app reaches them through private endpoints in its own virtual network.')
param allowPublicNetworkAccess bool = false

@description('Address space of the virtual network the app is integrated with (two /24 subnets are carved from it).')
param virtualNetworkAddressPrefix string = '10.42.0.0/16'

@description('default, or recover: a soft-deleted Key Vault of this environment (azd down without --purge) is recovered instead of colliding with it. The preprovision hook sets it (KEY_VAULT_CREATE_MODE).')
@allowed([
  'default'
  'recover'
])
param keyVaultCreateMode string = 'default'

@description('Subscriptions that already have an Event Grid system topic on their ARM events (one is allowed per subscription), as subscriptionId=topicResourceId pairs separated by commas: the event subscription is attached to that topic instead of creating one. The preprovision hook fills it (EXISTING_SYSTEM_TOPICS).')
param existingSystemTopicsCsv string = ''

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

@description('Turn on Key Vault purge protection (irreversible).')
param enablePurgeProtection bool = false

var tags = {
  'azd-env-name': environmentName
  application: 'aks-identity-auditor'
}
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))

// Length limits of each resource type's name (docs/deploy.md "Names").
var nameLimits = {
  resourceGroup: 90
  deployment: 64
  identity: 128
  logAnalytics: 63
  appInsights: 255
  storage: 24
  keyVault: 24
  communication: 63
  plan: 60
  functionApp: 60
  virtualNetwork: 64
  systemTopic: 128
}

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

var emailConfigured = !empty(alertEmailTo)
var deadLetterContainerName = 'eventgrid-deadletter'

// subscriptionId=topicId pairs → { subscriptionId: topicId } (lower-case keys).
var existingSystemTopics = toObject(
  filter(map(split(existingSystemTopicsCsv, ','), pair => split(trim(pair), '=')), pair => length(pair) == 2),
  pair => toLower(trim(pair[0])),
  pair => trim(pair[1])
)

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: empty(resourceGroupName) ? resourceName('rg', environmentName, '', nameLimits.resourceGroup) : resourceGroupName
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    location: location
    tags: tags
    appIdentityName: resourceName('id', resourceToken, '', nameLimits.identity)
    eventGridIdentityName: resourceName('id-eg', resourceToken, '', nameLimits.identity)
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: resourceName('log', resourceToken, '', nameLimits.logAnalytics)
    appInsightsName: resourceName('appi', resourceToken, '', nameLimits.appInsights)
    appPrincipalId: identity.outputs.appIdentityPrincipalId
    dailyCapGb: logDailyCapGb
  }
}

module network 'modules/network.bicep' = {
  name: 'network'
  scope: rg
  params: {
    location: location
    tags: tags
    name: resourceName('vnet', resourceToken, '', nameLimits.virtualNetwork)
    addressPrefix: virtualNetworkAddressPrefix
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    name: compactName('st', resourceToken, nameLimits.storage)
    deploymentContainerName: resourceName('app-package', resourceToken, '', 63)
    deadLetterContainerName: deadLetterContainerName
    appPrincipalId: identity.outputs.appIdentityPrincipalId
    eventGridPrincipalId: identity.outputs.eventGridIdentityPrincipalId
    allowPublicNetworkAccess: allowPublicNetworkAccess
    privateEndpointSubnetId: network.outputs.privateEndpointSubnetId
    privateDnsZoneIds: network.outputs.privateDnsZoneIds
  }
}

module keyVault 'modules/keyVault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    location: location
    tags: tags
    name: resourceName('kv', resourceToken, '', nameLimits.keyVault)
    appPrincipalId: identity.outputs.appIdentityPrincipalId
    teamsWebhookConfigured: teamsWebhookConfigured
    enablePurgeProtection: enablePurgeProtection
    createMode: keyVaultCreateMode
    allowPublicNetworkAccess: allowPublicNetworkAccess
    privateEndpointSubnetId: network.outputs.privateEndpointSubnetId
    privateDnsZoneIds: network.outputs.privateDnsZoneIds
  }
}

module email 'modules/email.bicep' = {
  name: 'email'
  scope: rg
  params: {
    tags: tags
    communicationServiceName: resourceName('acs', resourceToken, '', nameLimits.communication)
    emailServiceName: resourceName('ecs', resourceToken, '', nameLimits.communication)
    dataLocation: emailDataLocation
    appPrincipalId: identity.outputs.appIdentityPrincipalId
    assignSenderRole: deployEventSubscriptions
  }
}

// The product settings (docs/contracts.md "Settings", read by src/config.ts). Storage, identity and
// telemetry settings are added by the functionApp module.
var productSettings = union(
  {
    AUDIT_SUBSCRIPTION_IDS: join(auditedIds, ',')
    AUDIT_SCHEDULE: auditSchedule
    AUDIT_SOURCE_MODE: auditSourceMode
    AUDIT_HISTORY_DAYS: string(historyDays)
    AUDIT_APPROVED_ADMINS: approvedAdminsCsv
    ALERT_MIN_SEVERITY: alertMinSeverity
    // Where Event Grid dead-letters what it could not deliver (docs/events.md "Not going blind").
    AUDIT_DEAD_LETTER_CONTAINER: storage.outputs.deadLetterContainerName
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
    planName: resourceName('plan', resourceToken, '', nameLimits.plan)
    appName: resourceName('func', resourceToken, '', nameLimits.functionApp)
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
    appSubnetId: network.outputs.appSubnetId
  }
}

module audited 'modules/auditedSubscription.bicep' = [
  for subscriptionId in auditedIds: {
    name: resourceName('audit', environmentName, subscriptionId, nameLimits.deployment)
    scope: subscription(subscriptionId)
    params: {
      location: location
      tags: tags
      appPrincipalId: identity.outputs.appIdentityPrincipalId
      eventsResourceGroupName: resourceName('rg', environmentName, 'arm-events', nameLimits.resourceGroup)
      systemTopicName: resourceName('evgt', environmentName, 'arm', nameLimits.systemTopic)
      existingSystemTopicId: existingSystemTopics[?subscriptionId] ?? ''
      functionAppId: functionApp.outputs.id
      deployEventSubscription: deployEventSubscriptions
      assignReaderRole: deployEventSubscriptions
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
output EVENT_GRID_IDENTITY_ID string = identity.outputs.eventGridIdentityId
