import { InputError } from '../src/core/errors';
import { clusterIdParts, parseResourceId } from '../src/core/resourceId';

const SUB = '00000000-0000-4000-a000-000000000001';
const CLUSTER = `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod`;

describe('parseResourceId', () => {
  it('takes a managed cluster id apart', () => {
    expect(parseResourceId(CLUSTER)).toEqual({
      subscriptionId: SUB,
      resourceGroup: 'rg-prod',
      provider: 'Microsoft.ContainerService',
      type: 'managedClusters',
      name: 'aks-prod',
    });
  });

  it.each(['resourcegroups', 'resourceGroups', 'RESOURCEGROUPS', 'ResourceGroups'])(
    'accepts the %s keyword',
    (keyword) => {
      expect(
        parseResourceId(
          `/subscriptions/${SUB}/${keyword}/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod`,
        ).resourceGroup,
      ).toBe('rg-prod');
    },
  );

  it('accepts SUBSCRIPTIONS and PROVIDERS in any case', () => {
    const parts = parseResourceId(
      `/SUBSCRIPTIONS/${SUB}/RESOURCEGROUPS/rg/PROVIDERS/Microsoft.ContainerService/managedClusters/aks`,
    );
    expect(parts).toMatchObject({
      subscriptionId: SUB,
      resourceGroup: 'rg',
      provider: 'Microsoft.ContainerService',
      name: 'aks',
    });
  });

  it('keeps the case of the values', () => {
    const parts = parseResourceId(
      `/subscriptions/${SUB.toUpperCase()}/resourceGroups/RG-Prod/providers/microsoft.containerservice/ManagedClusters/AKS-Prod`,
    );
    expect(parts).toEqual({
      subscriptionId: SUB.toUpperCase(),
      resourceGroup: 'RG-Prod',
      provider: 'microsoft.containerservice',
      type: 'ManagedClusters',
      name: 'AKS-Prod',
    });
  });

  it('tolerates trailing slashes', () => {
    expect(parseResourceId(`${CLUSTER}/`)).toEqual(parseResourceId(CLUSTER));
    expect(parseResourceId(`${CLUSTER}///`)).toEqual(parseResourceId(CLUSTER));
  });

  it('tolerates doubled slashes, surrounding blanks and a missing leading slash', () => {
    expect(
      parseResourceId(`  ${CLUSTER.replace('/resourceGroups/', '//resourceGroups//')}  `),
    ).toEqual(parseResourceId(CLUSTER));
    expect(parseResourceId(CLUSTER.slice(1))).toEqual(parseResourceId(CLUSTER));
  });

  it('parses a subscription id', () => {
    expect(parseResourceId(`/subscriptions/${SUB}`)).toEqual({ subscriptionId: SUB });
  });

  it('parses a resource group id', () => {
    expect(parseResourceId(`/subscriptions/${SUB}/resourceGroups/rg-prod`)).toEqual({
      subscriptionId: SUB,
      resourceGroup: 'rg-prod',
    });
  });

  it('parses a management group id', () => {
    expect(parseResourceId('/providers/Microsoft.Management/managementGroups/mg-contoso')).toEqual({
      provider: 'Microsoft.Management',
      type: 'managementGroups',
      name: 'mg-contoso',
    });
  });

  it('joins nested resource types and names the innermost resource', () => {
    expect(parseResourceId(`${CLUSTER}/agentPools/system`)).toMatchObject({
      provider: 'Microsoft.ContainerService',
      type: 'managedClusters/agentPools',
      name: 'system',
    });
  });

  it('reads an extension resource as the innermost provider', () => {
    expect(
      parseResourceId(
        `${CLUSTER}/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-9000-000000000001`,
      ),
    ).toEqual({
      subscriptionId: SUB,
      resourceGroup: 'rg-prod',
      provider: 'Microsoft.Authorization',
      type: 'roleAssignments',
      name: '00000000-0000-4000-9000-000000000001',
    });
  });

  it('leaves the name out when the id ends with a type', () => {
    expect(
      parseResourceId(
        `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters`,
      ),
    ).toEqual({
      subscriptionId: SUB,
      resourceGroup: 'rg',
      provider: 'Microsoft.ContainerService',
      type: 'managedClusters',
    });
  });

  it('returns nothing for the root scope, empty and unrelated strings', () => {
    expect(parseResourceId('/')).toEqual({});
    expect(parseResourceId('')).toEqual({});
    expect(parseResourceId('aks-prod')).toEqual({});
  });

  it('does not take a dangling keyword for a value', () => {
    expect(parseResourceId('/subscriptions/')).toEqual({});
    expect(parseResourceId(`/subscriptions/${SUB}/resourceGroups/`)).toEqual({
      subscriptionId: SUB,
    });
  });
});

describe('clusterIdParts', () => {
  it('returns subscription, resource group and name', () => {
    expect(clusterIdParts(CLUSTER)).toEqual({
      subscriptionId: SUB,
      resourceGroup: 'rg-prod',
      name: 'aks-prod',
    });
  });

  it('lower-cases the subscription id only', () => {
    expect(
      clusterIdParts(CLUSTER.replace(SUB, SUB.toUpperCase()).replace('rg-prod', 'RG-Prod')),
    ).toEqual({
      subscriptionId: SUB,
      resourceGroup: 'RG-Prod',
      name: 'aks-prod',
    });
  });

  it('accepts any case of provider, type and keywords, and a trailing slash', () => {
    const id = `/SUBSCRIPTIONS/${SUB}/resourcegroups/rg-prod/providers/microsoft.containerservice/MANAGEDCLUSTERS/aks-prod/`;
    expect(clusterIdParts(id)).toEqual({
      subscriptionId: SUB,
      resourceGroup: 'rg-prod',
      name: 'aks-prod',
    });
  });

  it.each([
    ['a resource group', `/subscriptions/${SUB}/resourceGroups/rg-prod`],
    ['a subscription', `/subscriptions/${SUB}`],
    [
      'another resource type',
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1`,
    ],
    ['an agent pool', `${CLUSTER}/agentPools/system`],
    [
      'a role assignment on a cluster',
      `${CLUSTER}/providers/Microsoft.Authorization/roleAssignments/x`,
    ],
    [
      'a cluster type without a name',
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters`,
    ],
    [
      'a cluster without a resource group',
      `/subscriptions/${SUB}/providers/Microsoft.ContainerService/managedClusters/aks`,
    ],
    ['an empty string', ''],
    ['a bare name', 'aks-prod'],
  ])('throws InputError for %s', (_what, id) => {
    expect(() => clusterIdParts(id)).toThrow(InputError);
    expect(() => clusterIdParts(id)).toThrow('not a managed cluster resource id');
  });

  it('keeps the error on one line even for an id with line breaks', () => {
    try {
      clusterIdParts('not\na\ncluster');
      throw new Error('expected an InputError');
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).not.toContain('\n');
    }
  });
});
