// Azure Communication Services Email with an Azure-managed domain
// (DoNotReply@<guid>.azurecomm.net). The app sends with its managed identity (Entra ID): it
// holds a custom role with only the actions Microsoft documents for sending email with Entra
// ID, on this one Communication Services resource. No access key is read or stored.

param tags object

@description('Communication Services resource name (globally unique).')
param communicationServiceName string

@description('Email Communication Services resource name.')
param emailServiceName string

@description('Where the email data is stored at rest (Communication Services data location).')
param dataLocation string = 'United States'

@description('Principal id of the Function App identity.')
param appPrincipalId string

@description('Assign the email sender role to the app. A custom role created in the same deployment may not have propagated yet (RoleDefinitionDoesNotExist), so azd assigns it in the second pass, which retries (docs/deploy.md "What happens on a first run").')
param assignSenderRole bool

resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

resource managedDomain 'Microsoft.Communication/emailServices/domains@2023-04-01' = {
  parent: emailService
  name: 'AzureManagedDomain'
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'AzureManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource communicationService 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: communicationServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: [
      managedDomain.id
    ]
  }
}

// Custom role names are unique per tenant: the suffix ties this one to this resource group.
// The actions are the ones Azure Communication Services documents for sending email with an
// Entra ID identity (it authorizes a send against the resource's Write action); the role is
// assignable only on this one Communication Services resource and assigned nowhere else.
resource emailSenderRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'aks-identity-auditor-email-sender')
  properties: {
    roleName: 'AKS Identity Auditor email sender (${uniqueString(resourceGroup().id)})'
    description: 'Send email through Azure Communication Services with Entra ID. Nothing else.'
    type: 'CustomRole'
    assignableScopes: [
      communicationService.id
    ]
    permissions: [
      {
        actions: [
          'Microsoft.Communication/CommunicationServices/Read'
          'Microsoft.Communication/CommunicationServices/Write'
          'Microsoft.Communication/EmailServices/write'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

resource appEmailSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (assignSenderRole) {
  name: guid(communicationService.id, appPrincipalId, emailSenderRole.id)
  scope: communicationService
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', emailSenderRole.name)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output endpoint string = 'https://${communicationService.properties.hostName}'
output senderAddress string = 'DoNotReply@${managedDomain.properties.mailFromSenderDomain}'
