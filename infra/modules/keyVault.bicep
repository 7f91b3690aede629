// Key Vault (RBAC authorization, soft delete) holding the Teams Workflows webhook URL. The
// Function App reads it through a Key Vault reference resolved with its user-assigned
// identity; the URL itself never appears in an app setting, a parameter, an output or a log.
// The secret is written once by the postprovision hook through Azure Resource Manager (the
// control plane, which network rules do not block), so nobody holds a standing data-plane role.

param location string
param tags object

@description('Key Vault name (3-24 characters, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Principal id of the Function App identity (granted Key Vault Secrets User).')
param appPrincipalId string

@description('True once the secret teams-webhook-url holds the Teams Workflows webhook URL (written by the postprovision hook).')
param teamsWebhookConfigured bool = false

@description('Purge protection cannot be turned off again once on; leave off for throw-away environments.')
param enablePurgeProtection bool = false

@description('recover: bring back the soft-deleted vault of the same name (after azd down without --purge) instead of failing on it.')
@allowed([
  'default'
  'recover'
])
param createMode string = 'default'

@description('Accept traffic from public networks; off = only the private endpoint (and trusted Azure services).')
param allowPublicNetworkAccess bool = false

@description('Subnet of the private endpoint.')
param privateEndpointSubnetId string

@description('Private DNS zone ids by service (network.bicep output).')
param privateDnsZoneIds object

// Built-in role: Key Vault Secrets User.
var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

var teamsWebhookSecretName = 'teams-webhook-url'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    createMode: createMode
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // The property may only be omitted or true.
    enablePurgeProtection: enablePurgeProtection ? true : null
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: allowPublicNetworkAccess ? 'Enabled' : 'Disabled'
    networkAcls: {
      defaultAction: allowPublicNetworkAccess ? 'Allow' : 'Deny'
      bypass: 'AzureServices'
    }
  }
}

resource privateEndpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: 'pe-${name}'
  location: location
  tags: tags
  properties: {
    subnet: {
      id: privateEndpointSubnetId
    }
    privateLinkServiceConnections: [
      {
        name: 'vault'
        properties: {
          privateLinkServiceId: vault.id
          groupIds: [
            'vault'
          ]
        }
      }
    ]
  }
}

resource privateDns 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {
  parent: privateEndpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: 'vault'
        properties: {
          privateDnsZoneId: privateDnsZoneIds.vault
        }
      }
    ]
  }
}

resource appSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, keyVaultSecretsUserRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output name string = vault.name
output id string = vault.id

// The app setting value: a versionless Key Vault reference (the app follows the latest version).
// Not a secret: it names where the secret is, and only the app identity may read it.
output teamsWebhookReference string = teamsWebhookConfigured
  ? '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${teamsWebhookSecretName})'
  : ''
