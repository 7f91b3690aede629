// Everything the auditor needs in one audited subscription, deployed at that subscription's
// scope: a custom read-only role (only the reads the live ARM source makes) assigned to the
// app identity, and the Event Grid system topic on the subscription's ARM events that feeds
// the `armEvents` function.
targetScope = 'subscription'

@description('Azure region of the resource group holding the system topic (the topic itself is global).')
param location string

param tags object

@description('Principal id of the Function App identity.')
param appPrincipalId string

@description('Resource group created in this subscription for the Event Grid system topic.')
param eventsResourceGroupName string

@description('Name of the Event Grid system topic to create.')
param systemTopicName string

@description('Resource id of a system topic this subscription already has on its ARM events (only one is allowed per subscription); empty = create ours.')
param existingSystemTopicId string = ''

@description('Resource id of the Function App (the event subscription delivers to its armEvents function).')
param functionAppId string

@description('Create the event subscription. Event Grid validates the destination function, so this is false until the code has been deployed once (azd does it in two passes, see azure.yaml).')
param deployEventSubscription bool

@description('Assign the custom reader role to the app. A custom role created in the same deployment may not have propagated yet (RoleDefinitionDoesNotExist), so azd assigns it in the second pass, which retries (docs/deploy.md "What happens on a first run").')
param assignReaderRole bool

@description('Resource id of the user-assigned identity the system topic dead-letters with.')
param eventGridIdentityId string

@description('Resource id of the storage account holding the dead-letter container.')
param deadLetterStorageAccountId string

@description('Name of the dead-letter container.')
param deadLetterContainerName string

// What src/adapters/armSource.ts reads: clusters, role assignments and definitions (including
// those inherited from management groups), PIM eligibility schedule instances and deny
// assignments (who else can, or cannot, reach a cluster), user-assigned identities and their
// federated credentials (the cluster's reach into Azure), subscriptions, and Resource Graph:
// the optional Resource Graph mode and, in both modes, each subscription's management-group
// ancestry (`resourcecontainers` rows of subscriptions carry `managementGroupAncestorsChain`,
// read with subscriptions/read + ResourceGraph/resources/read; docs/deploy.md "Management-group
// exemptions" for the optional Management Group Reader at a management group, which a
// subscription-scoped role cannot grant). Never listClusterAdminCredential /
// listClusterUserCredential, never a write.
var readerActions = [
  'Microsoft.ContainerService/managedClusters/read'
  'Microsoft.Authorization/roleAssignments/read'
  'Microsoft.Authorization/roleDefinitions/read'
  'Microsoft.Authorization/roleEligibilityScheduleInstances/read'
  'Microsoft.Authorization/denyAssignments/read'
  'Microsoft.ManagedIdentity/userAssignedIdentities/read'
  'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read'
  'Microsoft.Resources/subscriptions/read'
  'Microsoft.ResourceGraph/resources/read'
]

// One role per subscription: custom role names are unique per tenant.
resource readerRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'aks-identity-auditor-reader')
  properties: {
    roleName: 'AKS Identity Auditor reader (${subscription().subscriptionId})'
    description: 'Read AKS clusters and Azure RBAC role assignments and definitions, for the AKS Identity Auditor. Read-only.'
    type: 'CustomRole'
    assignableScopes: [
      subscription().id
    ]
    permissions: [
      {
        actions: readerActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

resource readerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (assignReaderRole) {
  name: guid(subscription().id, appPrincipalId, readerRole.id)
  properties: {
    roleDefinitionId: readerRole.id
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'AKS Identity Auditor: read-only audit of this subscription.'
  }
}

var attachToExisting = !empty(existingSystemTopicId)

resource eventsResourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = if (!attachToExisting) {
  name: eventsResourceGroupName
  location: location
  tags: tags
}

// Our topic in our group, or the subscription's existing topic in its own group: only the event
// subscription is added to an existing one (another tool's topic is not changed).
module events 'armEventsTopic.bicep' = {
  name: 'arm-events-topic'
  scope: resourceGroup(attachToExisting ? split(existingSystemTopicId, '/')[4] : eventsResourceGroupName)
  dependsOn: [
    eventsResourceGroup
  ]
  params: {
    tags: tags
    systemTopicName: attachToExisting ? last(split(existingSystemTopicId, '/')) : systemTopicName
    createSystemTopic: !attachToExisting
    functionAppId: functionAppId
    deployEventSubscription: deployEventSubscription
    eventGridIdentityId: eventGridIdentityId
    deadLetterStorageAccountId: deadLetterStorageAccountId
    deadLetterContainerName: deadLetterContainerName
  }
}

output readerRoleDefinitionId string = readerRole.id
output systemTopicId string = events.outputs.systemTopicId
