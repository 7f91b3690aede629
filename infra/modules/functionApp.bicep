// The Function App on the Flex Consumption plan (Linux, Node.js), running as its user-assigned
// managed identity for everything: the Functions host storage, the deployment package, the
// posture tables and queue, Key Vault references, ARM reads, email and telemetry. No key, no
// connection string with a secret, no basic publishing credentials.

param location string
param tags object

@description('Flex Consumption plan name.')
param planName string

@description('Function App name (globally unique: <name>.azurewebsites.net).')
param appName string

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity.')
param identityClientId string

@description('Storage account for the Functions host, the deployment package and the posture store.')
param storageAccountName string

@description('Blob container holding the deployment package.')
param deploymentContainerName string

@description('Application Insights component receiving the telemetry.')
param appInsightsName string

@description('The product settings (docs/contracts.md "Settings"); the host and identity settings are added here.')
param appSettings object

@description('Node.js major version of the Functions runtime.')
@allowed([
  '22'
])
param nodeVersion string = '22'

@description('Upper bound of instances the plan scales out to (Flex Consumption accepts 40 to 1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of each instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Require an Entra ID token for the whole HTTP API (except the health probe and the Event Grid webhook).')
param enableAppServiceAuth bool = false

@description('Application (client) id of the Entra ID app registration representing the API. Given, App Service Authentication is on: for the browser routes (/api/dashboard...) only, or for the whole API with enableAppServiceAuth.')
param authClientId string = ''

@description('Subnet (delegated to Microsoft.App/environments) the app integrates with, to reach storage and Key Vault through their private endpoints.')
param appSubnetId string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  // azd deploys the `api` service of azure.yaml to the resource carrying this tag.
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    virtualNetworkSubnetId: appSubnetId
    httpsOnly: true
    clientCertEnabled: false
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

// Basic (user name + password) publishing is off: azd and CI deploy with Entra ID.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

// Settings of the host and of the identity-based connections. Flex Consumption takes the
// runtime from functionAppConfig and rejects FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION.
var hostSettings = {
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // Workspace-based Application Insights with local auth disabled: the connection string only
  // says where to send; ingestion needs the Entra ID token of the identity below.
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  AZURE_CLIENT_ID: identityClientId
  // Posture tables and the fan-out queue (connection `AUDIT_STORAGE` of the queue triggers).
  AUDIT_STORAGE__tableServiceUri: storage.properties.primaryEndpoints.table
  AUDIT_STORAGE__queueServiceUri: storage.properties.primaryEndpoints.queue
  AUDIT_STORAGE__blobServiceUri: storage.properties.primaryEndpoints.blob
  AUDIT_STORAGE__credential: 'managedidentity'
  AUDIT_STORAGE__clientId: identityClientId
  AUDIT_PUBLIC_BASE_URL: 'https://${site.properties.defaultHostName}'
}

resource siteSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(appSettings, hostSettings)
}

// App Service Authentication (Entra ID), on whenever a client id is given. Without
// enableAppServiceAuth it guards the routes a person uses (the dashboard, and exemptions, whose
// author is recorded from the signed-in identity): every route the app serves to programs
// (listed below, with the health probe and the Event Grid delivery endpoint, which the host
// protects with its system key) is excluded, so a route added later is guarded until it is
// listed here. With enableAppServiceAuth only the probe and the webhook are excluded.
// The function keys still apply behind it.
var machinePaths = [
  '/api/health'
  '/runtime/webhooks/eventgrid'
  '/runtime/webhooks/EventGrid'
]
var apiPaths = [
  '/api/clusters'
  '/api/clusters/*'
  '/api/regressions'
  '/api/openapi.json'
]

resource auth 'Microsoft.Web/sites/config@2024-04-01' = if (!empty(authClientId)) {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      // A person in a browser is sent to sign in; a program gets 401 when the whole API is guarded.
      unauthenticatedClientAction: enableAppServiceAuth ? 'Return401' : 'RedirectToLoginPage'
      redirectToProvider: 'azureactivedirectory'
      excludedPaths: enableAppServiceAuth ? machinePaths : concat(machinePaths, apiPaths)
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${authClientId}'
            authClientId
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

output name string = site.name
output id string = site.id
output defaultHostName string = site.properties.defaultHostName
