// Key Vault (RBAC authorization, soft delete) holding the Teams Workflows webhook URL. The
// Function App reads it through a Key Vault reference resolved with its user-assigned
// identity; the URL itself never appears in an app setting, an output or a log.

param location string
param tags object

@description('Key Vault name (3-24 characters, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Principal id of the Function App identity (granted Key Vault Secrets User).')
param appPrincipalId string

@description('The Teams Workflows webhook URL; empty = Teams alerts off, no secret is written.')
@secure()
param teamsWebhookUrl string = ''

@description('True when teamsWebhookUrl is not empty (kept apart so no output depends on the secret).')
param teamsWebhookConfigured bool = false

@description('Optional principal (the person or pipeline deploying) granted Key Vault Secrets Officer, to rotate the webhook with az keyvault secret set. Empty = none.')
param secretsOfficerPrincipalId string = ''

@description('Type of secretsOfficerPrincipalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param secretsOfficerPrincipalType string = 'User'

@description('Purge protection cannot be turned off again once on; leave off for throw-away environments.')
param enablePurgeProtection bool = false

// Built-in roles.
var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'
var keyVaultSecretsOfficerRoleId = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

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
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // The property may only be omitted or true.
    enablePurgeProtection: enablePurgeProtection ? true : null
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
  }
}

resource teamsWebhookSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (teamsWebhookConfigured) {
  parent: vault
  name: teamsWebhookSecretName
  properties: {
    value: teamsWebhookUrl
    contentType: 'Teams Workflows webhook URL'
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

resource operatorSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(secretsOfficerPrincipalId)) {
  name: guid(vault.id, secretsOfficerPrincipalId, keyVaultSecretsOfficerRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficerRoleId)
    principalId: secretsOfficerPrincipalId
    principalType: secretsOfficerPrincipalType
  }
}

output name string = vault.name

// The app setting value: a versionless Key Vault reference (the app follows the latest version).
// Not a secret: it names where the secret is, and only the app identity may read it.
output teamsWebhookReference string = teamsWebhookConfigured
  ? '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${teamsWebhookSecretName})'
  : ''
