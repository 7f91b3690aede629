// The app's own virtual network, so that storage and Key Vault can refuse public networks
// (docs/deploy.md "Network"): one subnet the Flex Consumption app integrates with (delegated to
// Microsoft.App/environments), one for the private endpoints of storage (blob, queue, table) and
// Key Vault, and the private DNS zones that make their usual host names resolve to those
// endpoints from inside the network.

param location string
param tags object

@description('Virtual network name.')
param name string

@description('Address space; the two subnets take its first two /24 blocks.')
param addressPrefix string = '10.42.0.0/16'

var appSubnetName = 'app'
var privateEndpointSubnetName = 'private-endpoints'

// Private Link DNS zones of the services the app reaches privately, keyed as the modules ask.
var privateDnsZoneNames = {
  blob: 'privatelink.blob.${environment().suffixes.storage}'
  queue: 'privatelink.queue.${environment().suffixes.storage}'
  table: 'privatelink.table.${environment().suffixes.storage}'
  vault: 'privatelink.vaultcore.azure.net'
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: appSubnetName
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 0)
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: privateEndpointSubnetName
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 1)
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2020-06-01' = [
  for zone in items(privateDnsZoneNames): {
    name: zone.value
    location: 'global'
    tags: tags
  }
]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = [
  for (zone, i) in items(privateDnsZoneNames): {
    parent: zones[i]
    name: name
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnet.id
      }
    }
  }
]

output appSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, appSubnetName)
output privateEndpointSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, privateEndpointSubnetName)
output privateDnsZoneIds object = {
  blob: resourceId('Microsoft.Network/privateDnsZones', privateDnsZoneNames.blob)
  queue: resourceId('Microsoft.Network/privateDnsZones', privateDnsZoneNames.queue)
  table: resourceId('Microsoft.Network/privateDnsZones', privateDnsZoneNames.table)
  vault: resourceId('Microsoft.Network/privateDnsZones', privateDnsZoneNames.vault)
}
