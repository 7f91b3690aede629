import fc from 'fast-check';
import { InputError } from '../src/core/errors';
import type { Cluster } from '../src/core/model';
import {
  normaliseCluster,
  normaliseRoleAssignment,
  normaliseRoleDefinition,
  roleDefinitionGuid,
} from '../src/core/normalise';
import { roleDefinitionGuidPlain } from '../src/core/roleGuid';
import armCluster from './fixtures/shapes/arm-managed-cluster.json';
import armAssignment from './fixtures/shapes/arm-role-assignment.json';
import armDefinition from './fixtures/shapes/arm-role-definition.json';
import sdkCluster from './fixtures/shapes/sdk-managed-cluster.json';

type Json = Record<string, unknown>;

const SUB = '00000000-0000-4000-a000-000000000001';
const ID = `/subscriptions/${SUB}/resourceGroups/rg-shapes/providers/Microsoft.ContainerService/managedClusters/aks-shapes`;
const UAI_ID = `/subscriptions/${SUB}/resourceGroups/rg-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aks`;
const GROUP = '00000000-0000-4000-c000-000000000001';
const WHERE = 'clusters.json[3]';

// ---------------------------------------------------------------------------------------------
// Building one logical cluster in each input shape
// ---------------------------------------------------------------------------------------------

/**
 * The shapes a cluster document arrives in. Fields are written once with ARM REST wire names and
 * rewritten per shape: ARM nests them under `properties`; the SDK flattens them and renames
 * `enableRBAC`/`enableAzureRBAC`; `az` flattens and camel-cases (`enableRbac`,
 * `adminGroupObjectIds`, `authorizedIpRanges`); the snake_case variant is `az` as older tooling
 * and hand-written exports spell it.
 */
type Shape = 'arm' | 'sdk' | 'az' | 'az-snake';
const SHAPES: Shape[] = ['arm', 'sdk', 'az', 'az-snake'];

const SDK_NAMES: Record<string, string> = {
  enableRBAC: 'enableRbac',
  enableAzureRBAC: 'enableAzureRbac',
};
const AZ_NAMES: Record<string, string> = {
  enableRBAC: 'enableRbac',
  enableAzureRBAC: 'enableAzureRbac',
  adminGroupObjectIDs: 'adminGroupObjectIds',
  authorizedIPRanges: 'authorizedIpRanges',
  issuerURL: 'issuerUrl',
  tenantID: 'tenantId',
};
/** Objects whose keys are data (resource ids, add-on names, config keys), never renamed. */
const MAP_KEYS = new Set(['userAssignedIdentities', 'addonProfiles', 'config', 'tags']);

function snake(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

function renameKey(key: string, shape: Shape): string {
  if (shape === 'sdk') return SDK_NAMES[key] ?? key;
  if (shape === 'az') return AZ_NAMES[key] ?? key;
  if (shape === 'az-snake') return snake(AZ_NAMES[key] ?? key);
  return key;
}

function rename(value: unknown, shape: Shape, keepKeys = false): unknown {
  if (Array.isArray(value)) return value.map((v) => rename(v, shape));
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value as Json)) {
    const key = keepKeys ? k : renameKey(k, shape);
    // A map's values are ordinary objects again (an add-on profile's `enabled`, `config`).
    out[key] = keepKeys ? rename(v, shape) : rename(v, shape, MAP_KEYS.has(k));
  }
  return out;
}

/**
 * A cluster document in `shape`. `properties` uses ARM wire names; `top` holds what sits outside
 * `properties` in ARM (`identity`, `location`). Always carries `provisioningState` so the document
 * is recognisably a cluster's configuration.
 */
function doc(shape: Shape, properties: Json = {}, top: Json = {}): Json {
  const props = { provisioningState: 'Succeeded', ...properties };
  if (shape === 'arm')
    return {
      id: ID,
      name: 'aks-shapes',
      type: 'Microsoft.ContainerService/ManagedClusters',
      ...top,
      properties: props,
    };
  const flat = rename({ ...props, ...top }, shape) as Json;
  return { id: ID, name: 'aks-shapes', ...flat };
}

function norm(raw: unknown): Cluster {
  return normaliseCluster(raw, WHERE);
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

// ---------------------------------------------------------------------------------------------
// Cluster fields, each in every shape
// ---------------------------------------------------------------------------------------------

describe.each(SHAPES)('normaliseCluster, %s shape', (shape) => {
  describe('enableRBAC', () => {
    it.each([
      [true, true],
      [false, false],
      ['true', true],
      ['false', false],
      ['False', false],
      [null, undefined],
    ])('%p becomes %p', (input, expected) => {
      expect(norm(doc(shape, { enableRBAC: input })).enableRbac).toBe(expected);
    });

    it('is undefined when absent', () => {
      expect('enableRbac' in norm(doc(shape))).toBe(false);
    });
  });

  describe('disableLocalAccounts', () => {
    it.each([
      [true, true],
      [false, false],
      ['true', true],
      [' TRUE ', true],
      [null, undefined],
    ])('%p becomes %p', (input, expected) => {
      expect(norm(doc(shape, { disableLocalAccounts: input })).disableLocalAccounts).toBe(expected);
    });

    it('is undefined when absent', () => {
      expect(norm(doc(shape)).disableLocalAccounts).toBeUndefined();
    });
  });

  describe('aadProfile', () => {
    it('reads managed Entra integration with Azure RBAC and admin groups', () => {
      const c = norm(
        doc(shape, {
          aadProfile: {
            managed: true,
            enableAzureRBAC: true,
            adminGroupObjectIDs: [GROUP],
            tenantID: 'x',
          },
        }),
      );
      expect(c.aadProfile).toEqual({
        managed: true,
        enableAzureRbac: true,
        adminGroupObjectIds: [GROUP],
      });
    });

    it('reads legacy (non-managed) integration', () => {
      const c = norm(
        doc(shape, {
          aadProfile: { managed: false, clientAppID: 'a', serverAppID: 'b', serverAppSecret: null },
        }),
      );
      expect(c.aadProfile).toEqual({ managed: false });
    });

    it('is null when null', () => {
      expect(norm(doc(shape, { aadProfile: null })).aadProfile).toBeNull();
    });

    it('is null when absent', () => {
      expect(norm(doc(shape)).aadProfile).toBeNull();
    });

    it('leaves out null admin groups and Azure RBAC', () => {
      expect(
        norm(
          doc(shape, {
            aadProfile: { managed: true, enableAzureRBAC: null, adminGroupObjectIDs: null },
          }),
        ).aadProfile,
      ).toEqual({
        managed: true,
      });
    });

    it('keeps an empty admin group list (configured, but empty)', () => {
      expect(
        norm(doc(shape, { aadProfile: { managed: true, adminGroupObjectIDs: [] } })).aadProfile,
      ).toEqual({
        managed: true,
        adminGroupObjectIds: [],
      });
    });

    it('reads string booleans', () => {
      expect(
        norm(doc(shape, { aadProfile: { managed: 'true', enableAzureRBAC: 'false' } })).aadProfile,
      ).toEqual({
        managed: true,
        enableAzureRbac: false,
      });
    });
  });

  describe('identity', () => {
    it('reads a system-assigned identity', () => {
      const c = norm(
        doc(shape, {}, { identity: { type: 'SystemAssigned', principalId: 'p-1', tenantId: 't' } }),
      );
      expect(c.identity).toEqual({
        type: 'SystemAssigned',
        principalId: 'p-1',
        userAssignedIdentities: [],
      });
    });

    it('turns the user-assigned identity map into an array', () => {
      const other = UAI_ID.replace('id-aks', 'id-other');
      const c = norm(
        doc(
          shape,
          {},
          {
            identity: {
              type: 'UserAssigned',
              userAssignedIdentities: {
                [UAI_ID]: { principalId: 'p-1', clientId: 'c-1' },
                [other]: { principalId: 'p-2', clientId: 'c-2' },
              },
            },
          },
        ),
      );
      expect(c.identity).toEqual({
        type: 'UserAssigned',
        userAssignedIdentities: [
          { resourceId: UAI_ID, principalId: 'p-1', clientId: 'c-1' },
          { resourceId: other, principalId: 'p-2', clientId: 'c-2' },
        ],
      });
    });

    it('keeps a user-assigned identity whose details are empty or null', () => {
      const other = UAI_ID.replace('id-aks', 'id-other');
      const c = norm(
        doc(
          shape,
          {},
          {
            identity: {
              type: 'UserAssigned',
              userAssignedIdentities: { [UAI_ID]: {}, [other]: null },
            },
          },
        ),
      );
      expect(c.identity?.userAssignedIdentities).toEqual([
        { resourceId: UAI_ID },
        { resourceId: other },
      ]);
    });

    it('is null when absent (a service principal cluster)', () => {
      expect(norm(doc(shape)).identity).toBeNull();
    });

    it('is null when null', () => {
      expect(norm(doc(shape, {}, { identity: null })).identity).toBeNull();
    });
  });

  describe('servicePrincipalProfile', () => {
    it('reads the client id', () => {
      const c = norm(
        doc(shape, {
          servicePrincipalProfile: { clientId: '00000000-0000-4000-d100-000000000001' },
        }),
      );
      expect(c.servicePrincipalClientId).toBe('00000000-0000-4000-d100-000000000001');
    });

    it('keeps "msi" as given (managed-identity clusters)', () => {
      expect(
        norm(doc(shape, { servicePrincipalProfile: { clientId: 'msi' } })).servicePrincipalClientId,
      ).toBe('msi');
    });

    it('is undefined when the profile is null or absent', () => {
      expect(
        norm(doc(shape, { servicePrincipalProfile: null })).servicePrincipalClientId,
      ).toBeUndefined();
      expect(norm(doc(shape)).servicePrincipalClientId).toBeUndefined();
    });
  });

  describe('kubelet identity', () => {
    it('reads identityProfile.kubeletidentity', () => {
      const kubelet = { objectId: 'o-1', clientId: 'c-1', resourceId: `${UAI_ID}-agentpool` };
      expect(
        norm(doc(shape, { identityProfile: { kubeletidentity: kubelet } })).kubeletIdentity,
      ).toEqual(kubelet);
    });

    it('finds the key whatever its case', () => {
      expect(
        norm(doc(shape, { identityProfile: { kubeletIdentity: { objectId: 'o-1' } } }))
          .kubeletIdentity,
      ).toEqual({ objectId: 'o-1' });
    });

    it('is null when identityProfile is null, empty or absent', () => {
      expect(norm(doc(shape, { identityProfile: null })).kubeletIdentity).toBeNull();
      expect(norm(doc(shape, { identityProfile: {} })).kubeletIdentity).toBeNull();
      expect(norm(doc(shape)).kubeletIdentity).toBeNull();
    });

    it('is null when kubeletidentity is null', () => {
      expect(
        norm(doc(shape, { identityProfile: { kubeletidentity: null } })).kubeletIdentity,
      ).toBeNull();
    });
  });

  describe('OIDC issuer, workload identity, pod identity', () => {
    it('reads oidcIssuerProfile.enabled', () => {
      expect(
        norm(
          doc(shape, {
            oidcIssuerProfile: { enabled: true, issuerURL: 'https://issuer.example/' },
          }),
        ).oidcIssuerEnabled,
      ).toBe(true);
      expect(norm(doc(shape, { oidcIssuerProfile: { enabled: false } })).oidcIssuerEnabled).toBe(
        false,
      );
      expect(norm(doc(shape, { oidcIssuerProfile: null })).oidcIssuerEnabled).toBeUndefined();
    });

    it('reads securityProfile.workloadIdentity.enabled', () => {
      expect(
        norm(doc(shape, { securityProfile: { workloadIdentity: { enabled: true } } }))
          .workloadIdentityEnabled,
      ).toBe(true);
      expect(
        norm(doc(shape, { securityProfile: { workloadIdentity: { enabled: 'false' } } }))
          .workloadIdentityEnabled,
      ).toBe(false);
      expect(
        norm(doc(shape, { securityProfile: { workloadIdentity: null } })).workloadIdentityEnabled,
      ).toBeUndefined();
      expect(norm(doc(shape, { securityProfile: null })).workloadIdentityEnabled).toBeUndefined();
    });

    it('reads podIdentityProfile.enabled', () => {
      expect(
        norm(doc(shape, { podIdentityProfile: { enabled: true, userAssignedIdentities: [] } }))
          .podIdentityEnabled,
      ).toBe(true);
      expect(norm(doc(shape, { podIdentityProfile: { enabled: false } })).podIdentityEnabled).toBe(
        false,
      );
      expect(norm(doc(shape, { podIdentityProfile: null })).podIdentityEnabled).toBeUndefined();
      expect(norm(doc(shape)).podIdentityEnabled).toBeUndefined();
    });
  });

  describe('apiServerAccessProfile', () => {
    it('reads a private cluster', () => {
      expect(
        norm(doc(shape, { apiServerAccessProfile: { enablePrivateCluster: true } }))
          .apiServerAccess,
      ).toEqual({ enablePrivateCluster: true });
    });

    it('reads authorised IP ranges', () => {
      const c = norm(
        doc(shape, {
          apiServerAccessProfile: {
            authorizedIPRanges: ['203.0.113.0/24', '0.0.0.0/0'],
            enablePrivateCluster: false,
          },
        }),
      );
      expect(c.apiServerAccess).toEqual({
        enablePrivateCluster: false,
        authorizedIpRanges: ['203.0.113.0/24', '0.0.0.0/0'],
      });
    });

    it('leaves null ranges out', () => {
      expect(
        norm(doc(shape, { apiServerAccessProfile: { authorizedIPRanges: null } })).apiServerAccess,
      ).toEqual({});
    });

    it('drops blank and null range entries', () => {
      const c = norm(
        doc(shape, {
          apiServerAccessProfile: { authorizedIPRanges: ['', '203.0.113.0/24', null, '  '] },
        }),
      );
      expect(c.apiServerAccess?.authorizedIpRanges).toEqual(['203.0.113.0/24']);
    });

    it('is null when null or absent', () => {
      expect(norm(doc(shape, { apiServerAccessProfile: null })).apiServerAccess).toBeNull();
      expect(norm(doc(shape)).apiServerAccess).toBeNull();
    });
  });

  describe('Defender', () => {
    it('reads securityProfile.defender.securityMonitoring.enabled', () => {
      const on = {
        securityProfile: {
          defender: { logAnalyticsWorkspaceResourceId: 'x', securityMonitoring: { enabled: true } },
        },
      };
      expect(norm(doc(shape, on)).defenderSecurityMonitoringEnabled).toBe(true);
      const off = { securityProfile: { defender: { securityMonitoring: { enabled: false } } } };
      expect(norm(doc(shape, off)).defenderSecurityMonitoringEnabled).toBe(false);
    });

    it('is undefined when defender or securityProfile is null or absent', () => {
      expect(
        norm(doc(shape, { securityProfile: { defender: null } })).defenderSecurityMonitoringEnabled,
      ).toBeUndefined();
      expect(
        norm(doc(shape, { securityProfile: { defender: { securityMonitoring: null } } }))
          .defenderSecurityMonitoringEnabled,
      ).toBeUndefined();
      expect(
        norm(doc(shape, { securityProfile: null })).defenderSecurityMonitoringEnabled,
      ).toBeUndefined();
      expect(norm(doc(shape)).defenderSecurityMonitoringEnabled).toBeUndefined();
    });

    it('reads the pre-2022 securityProfile.azureDefender.enabled', () => {
      expect(
        norm(doc(shape, { securityProfile: { azureDefender: { enabled: true } } }))
          .defenderSecurityMonitoringEnabled,
      ).toBe(true);
    });
  });

  describe('add-ons', () => {
    it('lower-cases add-on keys', () => {
      const c = norm(
        doc(shape, {
          addonProfiles: {
            azurePolicy: { enabled: true },
            azureKeyvaultSecretsProvider: {
              enabled: true,
              config: { enableSecretRotation: 'true' },
            },
            omsAgent: { enabled: false },
          },
        }),
      );
      expect(Object.keys(c.addons).sort()).toEqual([
        'azurekeyvaultsecretsprovider',
        'azurepolicy',
        'omsagent',
      ]);
      expect(c.addons.azurepolicy).toEqual({ enabled: true, config: {} });
    });

    it('keeps config values as strings, and their keys as given', () => {
      const c = norm(
        doc(shape, {
          addonProfiles: {
            azureKeyvaultSecretsProvider: {
              enabled: true,
              config: { enableSecretRotation: 'true', rotationPollInterval: '2m' },
            },
          },
        }),
      );
      expect(c.addons.azurekeyvaultsecretsprovider).toEqual({
        enabled: true,
        config: { enableSecretRotation: 'true', rotationPollInterval: '2m' },
      });
    });

    it('turns non-string config values into strings and drops null ones', () => {
      const c = norm(
        doc(shape, {
          addonProfiles: {
            azureKeyvaultSecretsProvider: {
              enabled: true,
              config: { enableSecretRotation: true, pollSeconds: 120, gone: null },
            },
          },
        }),
      );
      expect(c.addons.azurekeyvaultsecretsprovider.config).toEqual({
        enableSecretRotation: 'true',
        pollSeconds: '120',
      });
    });

    it('reads a string "true" as enabled', () => {
      expect(
        norm(doc(shape, { addonProfiles: { azurepolicy: { enabled: 'true' } } })).addons.azurepolicy
          .enabled,
      ).toBe(true);
    });

    it('reads a profile without "enabled", or a null profile, as not enabled', () => {
      const c = norm(
        doc(shape, { addonProfiles: { azurepolicy: { config: null }, omsagent: null } }),
      );
      expect(c.addons).toEqual({
        azurepolicy: { enabled: false, config: {} },
        omsagent: { enabled: false, config: {} },
      });
    });

    it('is empty when addonProfiles is null or absent', () => {
      expect(norm(doc(shape, { addonProfiles: null })).addons).toEqual({});
      expect(norm(doc(shape)).addons).toEqual({});
    });
  });

  it('reads the location', () => {
    expect(norm(doc(shape, {}, { location: 'westeurope' })).location).toBe('westeurope');
  });

  it('is not incomplete when it carries configuration', () => {
    expect(norm(doc(shape)).incomplete).toBeUndefined();
  });

  it('normalises a fully populated cluster to the same model as every other shape', () => {
    const properties = {
      aadProfile: {
        managed: true,
        enableAzureRBAC: true,
        adminGroupObjectIDs: [GROUP],
        tenantID: 't',
      },
      disableLocalAccounts: true,
      enableRBAC: true,
      servicePrincipalProfile: { clientId: 'msi' },
      identityProfile: { kubeletidentity: { objectId: 'o', clientId: 'c', resourceId: 'r' } },
      oidcIssuerProfile: { enabled: true, issuerURL: 'https://issuer.example/' },
      securityProfile: {
        workloadIdentity: { enabled: true },
        defender: { securityMonitoring: { enabled: true } },
      },
      podIdentityProfile: null,
      apiServerAccessProfile: {
        authorizedIPRanges: ['203.0.113.0/24'],
        enablePrivateCluster: false,
      },
      addonProfiles: {
        azurepolicy: { enabled: true, config: null },
        azureKeyvaultSecretsProvider: { enabled: true, config: { enableSecretRotation: 'true' } },
      },
    };
    const top = {
      location: 'westeurope',
      identity: {
        type: 'UserAssigned',
        userAssignedIdentities: { [UAI_ID]: { principalId: 'p', clientId: 'c' } },
      },
    };
    const expected: Cluster = {
      id: ID,
      name: 'aks-shapes',
      subscriptionId: SUB,
      resourceGroup: 'rg-shapes',
      location: 'westeurope',
      aadProfile: { managed: true, enableAzureRbac: true, adminGroupObjectIds: [GROUP] },
      disableLocalAccounts: true,
      enableRbac: true,
      identity: {
        type: 'UserAssigned',
        userAssignedIdentities: [{ resourceId: UAI_ID, principalId: 'p', clientId: 'c' }],
      },
      servicePrincipalClientId: 'msi',
      kubeletIdentity: { objectId: 'o', clientId: 'c', resourceId: 'r' },
      oidcIssuerEnabled: true,
      oidcIssuerUrl: 'https://issuer.example/',
      workloadIdentityEnabled: true,
      apiServerAccess: { enablePrivateCluster: false, authorizedIpRanges: ['203.0.113.0/24'] },
      defenderSecurityMonitoringEnabled: true,
      addons: {
        azurepolicy: { enabled: true, config: {} },
        azurekeyvaultsecretsprovider: { enabled: true, config: { enableSecretRotation: 'true' } },
      },
    };
    expect(norm(doc(shape, properties, top))).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// Cluster identity (id, subscription, resource group, name)
// ---------------------------------------------------------------------------------------------

describe('normaliseCluster: id, subscription, resource group, name', () => {
  const base = { provisioningState: 'Succeeded' };

  it('echoes the id exactly as given', () => {
    const id = `/subscriptions/${SUB.toUpperCase()}/resourcegroups/RG-Shapes/providers/Microsoft.ContainerService/managedClusters/AKS-Shapes`;
    expect(norm({ id, ...base }).id).toBe(id);
  });

  it('takes subscription, resource group and name from the id when not given', () => {
    const id = `/subscriptions/${SUB.toUpperCase()}/resourcegroups/RG-Shapes/providers/Microsoft.ContainerService/managedClusters/AKS-Shapes`;
    expect(norm({ id, ...base })).toMatchObject({
      subscriptionId: SUB,
      resourceGroup: 'RG-Shapes',
      name: 'AKS-Shapes',
    });
  });

  it('prefers the resource group and name given in the document (az prints resourceGroup)', () => {
    const c = norm({ id: ID, name: 'aks-shapes', resourceGroup: 'rg-shapes-given', ...base });
    expect(c.resourceGroup).toBe('rg-shapes-given');
    expect(c.name).toBe('aks-shapes');
  });

  it('lower-cases a given subscription id', () => {
    expect(norm({ id: ID, subscriptionId: SUB.toUpperCase(), ...base }).subscriptionId).toBe(SUB);
  });

  it('accepts an id with a trailing slash', () => {
    expect(norm({ id: `${ID}/`, ...base })).toMatchObject({
      id: `${ID}/`,
      name: 'aks-shapes',
      resourceGroup: 'rg-shapes',
    });
  });

  it('throws when the id names no cluster and nothing else does', () => {
    const error = errorOf(() => norm({ id: `/subscriptions/${SUB}`, ...base }));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(
      /^clusters\.json\[3\]: "id" is not a managed cluster resource id/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------

describe('normaliseCluster: bad input', () => {
  it.each([
    ['null', null],
    ['a string', 'aks-prod'],
    ['a number', 42],
    ['an array', [{ id: ID }]],
  ])('names the entry when it is %s', (_what, raw) => {
    const error = errorOf(() => norm(raw));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(/^clusters\.json\[3\]: entry has no "id"/);
  });

  it.each([
    ['absent', {}],
    ['empty', { id: '' }],
    ['blank', { id: '   ' }],
    ['not a string', { id: 12 }],
    ['null', { id: null }],
  ])('says the entry has no "id" when it is %s', (_what, raw) => {
    expect(() => norm({ ...raw, properties: {} })).toThrow(
      new InputError('clusters.json[3]: entry has no "id"'),
    );
  });

  it.each([
    ['enableRBAC', { enableRBAC: 'yes' }, 'enableRBAC'],
    ['disableLocalAccounts', { disableLocalAccounts: 1 }, 'disableLocalAccounts'],
    ['aadProfile.managed', { aadProfile: { managed: 'maybe' } }, 'aadProfile.managed'],
    [
      'enablePrivateCluster',
      { apiServerAccessProfile: { enablePrivateCluster: {} } },
      'apiServerAccessProfile.enablePrivateCluster',
    ],
    [
      'add-on enabled',
      { addonProfiles: { azurepolicy: { enabled: 'on' } } },
      'addonProfiles.azurepolicy.enabled',
    ],
  ])('rejects a %s that is not a boolean, naming the field', (_what, properties, field) => {
    const error = errorOf(() => norm(doc('arm', properties)));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain(`clusters.json[3]: "${field}"`);
    expect(error.message).toContain('expected true or false');
  });

  it('rejects authorised IP ranges given as a string', () => {
    const error = errorOf(() =>
      norm(doc('az', { apiServerAccessProfile: { authorizedIPRanges: '0.0.0.0/0' } })),
    );
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      'clusters.json[3]: "apiServerAccessProfile.authorizedIPRanges" is "0.0.0.0/0", expected an array of strings',
    );
  });

  it('rejects admin groups that are not strings', () => {
    expect(() =>
      norm(doc('sdk', { aadProfile: { managed: true, adminGroupObjectIDs: [{ id: GROUP }] } })),
    ).toThrow(InputError);
  });

  it('rejects user-assigned identities that are neither a map nor a list', () => {
    expect(() =>
      norm(doc('az', {}, { identity: { type: 'UserAssigned', userAssignedIdentities: 'id-aks' } })),
    ).toThrow(/identity\.userAssignedIdentities/);
  });

  it('accepts user-assigned identities listed as ids', () => {
    const c = norm(
      doc(
        'az',
        {},
        {
          identity: {
            type: 'UserAssigned',
            userAssignedIdentities: [UAI_ID, { resourceId: `${UAI_ID}2`, principalId: 'p' }],
          },
        },
      ),
    );
    expect(c.identity?.userAssignedIdentities).toEqual([
      { resourceId: UAI_ID },
      { resourceId: `${UAI_ID}2`, principalId: 'p' },
    ]);
  });

  it('keeps every error message on one line', () => {
    const error = errorOf(() => norm(doc('arm', { enableRBAC: 'line one\nline two' })));
    expect(error.message).not.toContain('\n');
  });
});

// ---------------------------------------------------------------------------------------------
// Incomplete documents
// ---------------------------------------------------------------------------------------------

describe('normaliseCluster: documents without configuration', () => {
  const identity = { type: 'SystemAssigned', principalId: 'p-1' };

  it('marks an ARM object without properties as incomplete', () => {
    const c = norm({
      id: ID,
      name: 'aks-shapes',
      type: 'Microsoft.ContainerService/ManagedClusters',
      location: 'westeurope',
      identity,
    });
    expect(c.incomplete).toMatch(/no "properties"/);
    expect(c).toMatchObject({
      id: ID,
      name: 'aks-shapes',
      subscriptionId: SUB,
      resourceGroup: 'rg-shapes',
      location: 'westeurope',
    });
  });

  it('still reads the identity of an incomplete cluster (it lives outside properties)', () => {
    expect(norm({ id: ID, identity }).identity).toEqual({
      type: 'SystemAssigned',
      principalId: 'p-1',
      userAssignedIdentities: [],
    });
  });

  it('reads nothing else of an incomplete cluster', () => {
    const c = norm({ id: ID, name: 'aks-shapes', identity });
    expect(c).toEqual({
      id: ID,
      name: 'aks-shapes',
      subscriptionId: SUB,
      resourceGroup: 'rg-shapes',
      incomplete: expect.any(String),
      aadProfile: null,
      identity: { type: 'SystemAssigned', principalId: 'p-1', userAssignedIdentities: [] },
      kubeletIdentity: null,
      apiServerAccess: null,
      addons: {},
    });
  });

  it('marks properties: null as incomplete', () => {
    expect(norm({ id: ID, properties: null }).incomplete).toMatch(/"properties" is null/);
  });

  it('marks empty properties as incomplete', () => {
    expect(norm({ id: ID, properties: {} }).incomplete).toMatch(
      /no recognisable cluster configuration/,
    );
  });

  it('marks a bare { id } as incomplete', () => {
    expect(norm({ id: ID }).incomplete).toMatch(/no recognisable cluster configuration/);
  });

  it('marks a flat document with only unrelated fields as incomplete', () => {
    expect(norm({ id: ID, name: 'aks-shapes', tags: { a: 'b' } }).incomplete).toBeDefined();
  });

  it.each([
    ['disableLocalAccounts', false],
    ['aadProfile', {}],
    ['addonProfiles', {}],
    ['kubernetesVersion', '1.31.5'],
    ['agentPoolProfiles', []],
  ])('treats %s alone as configuration', (field, value) => {
    expect(norm({ id: ID, [field]: value }).incomplete).toBeUndefined();
  });

  it('treats a present but null field as configuration (ARM returned it)', () => {
    expect(norm({ id: ID, properties: { aadProfile: null } }).incomplete).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Realistic full documents
// ---------------------------------------------------------------------------------------------

describe('normaliseCluster: realistic documents', () => {
  it('reads a full ARM REST managed cluster', () => {
    expect(normaliseCluster(armCluster, 'arm-managed-cluster.json')).toEqual({
      id: '/subscriptions/00000000-0000-4000-a000-0000000000a1/resourcegroups/rg-shapes/providers/Microsoft.ContainerService/managedClusters/aks-arm-shape',
      name: 'aks-arm-shape',
      subscriptionId: '00000000-0000-4000-a000-0000000000a1',
      resourceGroup: 'rg-shapes',
      location: 'westeurope',
      aadProfile: {
        managed: true,
        enableAzureRbac: true,
        adminGroupObjectIds: ['00000000-0000-4000-c000-0000000000a1'],
      },
      disableLocalAccounts: true,
      enableRbac: true,
      identity: {
        type: 'UserAssigned',
        userAssignedIdentities: [
          {
            resourceId:
              '/subscriptions/00000000-0000-4000-a000-0000000000a1/resourceGroups/rg-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aks-arm-shape',
            principalId: '00000000-0000-4000-e000-0000000000a1',
            clientId: '00000000-0000-4000-e100-0000000000a1',
          },
        ],
      },
      servicePrincipalClientId: 'msi',
      kubeletIdentity: {
        objectId: '00000000-0000-4000-e000-0000000000a2',
        clientId: '00000000-0000-4000-e100-0000000000a2',
        resourceId:
          '/subscriptions/00000000-0000-4000-a000-0000000000a1/resourcegroups/MC_rg-shapes_aks-arm-shape_westeurope/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aks-arm-shape-agentpool',
      },
      oidcIssuerEnabled: true,
      oidcIssuerUrl:
        'https://westeurope.oic.prod-aks.azure.com/00000000-0000-4000-a000-0000000000ff/00000000-0000-4000-a100-0000000000a1/',
      workloadIdentityEnabled: true,
      apiServerAccess: {
        enablePrivateCluster: false,
        authorizedIpRanges: ['203.0.113.0/24', '198.51.100.0/28'],
      },
      defenderSecurityMonitoringEnabled: true,
      addons: {
        azurekeyvaultsecretsprovider: {
          enabled: true,
          config: { enableSecretRotation: 'true', rotationPollInterval: '2m' },
          identity: {
            objectId: '00000000-0000-4000-e000-0000000000a3',
            clientId: '00000000-0000-4000-e100-0000000000a3',
            resourceId:
              '/subscriptions/00000000-0000-4000-a000-0000000000a1/resourcegroups/MC_rg-shapes_aks-arm-shape_westeurope/providers/Microsoft.ManagedIdentity/userAssignedIdentities/azurekeyvaultsecretsprovider-aks-arm-shape',
          },
        },
        azurepolicy: { enabled: true, config: {} },
      },
      nodeResourceGroup: 'MC_rg-shapes_aks-arm-shape_westeurope',
    });
  });

  it('reads a full JS SDK managed cluster', () => {
    expect(normaliseCluster(sdkCluster, 'sdk-managed-cluster.json')).toEqual({
      id: '/subscriptions/00000000-0000-4000-a000-0000000000a2/resourceGroups/rg-sdk/providers/Microsoft.ContainerService/managedClusters/aks-sdk-shape',
      name: 'aks-sdk-shape',
      subscriptionId: '00000000-0000-4000-a000-0000000000a2',
      resourceGroup: 'rg-sdk',
      location: 'northeurope',
      aadProfile: { managed: true, enableAzureRbac: false, adminGroupObjectIds: [] },
      disableLocalAccounts: false,
      enableRbac: true,
      identity: {
        type: 'SystemAssigned',
        principalId: '00000000-0000-4000-e000-0000000000b1',
        userAssignedIdentities: [],
      },
      servicePrincipalClientId: 'msi',
      kubeletIdentity: {
        objectId: '00000000-0000-4000-e000-0000000000b2',
        clientId: '00000000-0000-4000-e100-0000000000b2',
        resourceId:
          '/subscriptions/00000000-0000-4000-a000-0000000000a2/resourcegroups/MC_rg-sdk_aks-sdk-shape_northeurope/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aks-sdk-shape-agentpool',
      },
      oidcIssuerEnabled: false,
      podIdentityEnabled: true,
      apiServerAccess: { enablePrivateCluster: false, authorizedIpRanges: ['0.0.0.0/0'] },
      nodeResourceGroup: 'MC_rg-sdk_aks-sdk-shape_northeurope',
      addons: {
        azurepolicy: { enabled: false, config: {} },
        omsagent: {
          enabled: true,
          config: {
            logAnalyticsWorkspaceResourceID:
              '/subscriptions/00000000-0000-4000-a000-0000000000a2/resourceGroups/rg-monitoring/providers/Microsoft.OperationalInsights/workspaces/law-sdk',
          },
        },
      },
    });
  });

  it('reads the same cluster whatever the case and underscores of its keys', () => {
    const expected = normaliseCluster(armCluster, 'x');
    // Data keys (resource ids, add-on names, config keys) are not renamed: only field names vary.
    const respell = (
      value: unknown,
      flips: boolean[],
      at: { i: number },
      keepKeys = false,
    ): unknown => {
      if (Array.isArray(value)) return value.map((v) => respell(v, flips, at));
      if (value === null || typeof value !== 'object') return value;
      const out: Json = {};
      for (const [k, v] of Object.entries(value as Json)) {
        const flip = flips[at.i++ % flips.length];
        const key = keepKeys || k === 'id' ? k : flip ? snake(k) : k.toUpperCase();
        out[key] = respell(v, flips, at, !keepKeys && MAP_KEYS.has(k));
      }
      return out;
    };
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }), (flips) => {
        expect(normaliseCluster(respell(armCluster, flips, { i: 0 }), 'x')).toEqual(expected);
      }),
      { numRuns: 50 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Role definition ids
// ---------------------------------------------------------------------------------------------

describe('roleDefinitionGuid', () => {
  const GUID = 'b24988ac-6180-42a0-ab88-20f7382dd24c';
  it.each([
    [
      'a subscription-level id',
      `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${GUID}`,
    ],
    ['a provider-level id', `/providers/Microsoft.Authorization/roleDefinitions/${GUID}`],
    ['a bare guid', GUID],
    [
      'an upper-case id',
      `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${GUID.toUpperCase()}`,
    ],
    ['a trailing slash', `/providers/Microsoft.Authorization/roleDefinitions/${GUID}/`],
    ['surrounding blanks', `  ${GUID.toUpperCase()}  `],
    [
      'a management-group-level id',
      `/providers/Microsoft.Management/managementGroups/mg/providers/Microsoft.Authorization/roleDefinitions/${GUID}`,
    ],
  ])('reads %s', (_what, id) => {
    expect(roleDefinitionGuid(id)).toBe(GUID);
  });

  it('returns an empty string for an empty id', () => {
    expect(roleDefinitionGuid('')).toBe('');
    expect(roleDefinitionGuid('/')).toBe('');
  });
});

// ---------------------------------------------------------------------------------------------
// Role assignments
// ---------------------------------------------------------------------------------------------

const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c';
const RG_SCOPE = `/subscriptions/${SUB}/resourceGroups/rg-prod`;
const USER = '00000000-0000-4000-b000-000000000001';

function azRoleAssignment(overrides: Json = {}): Json {
  return {
    condition: null,
    conditionVersion: null,
    createdBy: '00000000-0000-4000-b000-000000000099',
    createdOn: '2025-03-14T09:26:53.589793+00:00',
    delegatedManagedIdentityResourceId: null,
    description: '',
    id: `${RG_SCOPE}/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-9000-000000000001`,
    name: '00000000-0000-4000-9000-000000000001',
    principalId: USER,
    principalName: 'alice@contoso.example',
    principalType: 'User',
    resourceGroup: 'rg-prod',
    roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`,
    roleDefinitionName: 'Contributor',
    scope: RG_SCOPE,
    type: 'Microsoft.Authorization/roleAssignments',
    ...overrides,
  };
}

describe('normaliseRoleAssignment', () => {
  const where = 'role-assignments.json[7]';

  it('reads the az shape', () => {
    expect(normaliseRoleAssignment(azRoleAssignment(), where)).toEqual({
      id: `${RG_SCOPE}/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-9000-000000000001`,
      scope: RG_SCOPE,
      principalId: USER,
      principalType: 'User',
      roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`,
      roleDefinitionGuid: CONTRIBUTOR,
      roleDefinitionName: 'Contributor',
      // `principalName` of a user is its UPN (docs/access.md "Names").
      userPrincipalName: 'alice@contoso.example',
    });
  });

  it('reads the ARM REST shape (no role name)', () => {
    expect(normaliseRoleAssignment(armAssignment, where)).toEqual({
      id: '/subscriptions/00000000-0000-4000-a000-0000000000a1/resourceGroups/rg-shapes/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-9000-0000000000a1',
      scope: '/subscriptions/00000000-0000-4000-a000-0000000000a1/resourceGroups/rg-shapes',
      principalId: '00000000-0000-4000-b000-0000000000a1',
      principalType: 'User',
      roleDefinitionId:
        '/subscriptions/00000000-0000-4000-a000-0000000000a1/providers/Microsoft.Authorization/roleDefinitions/B24988AC-6180-42A0-AB88-20F7382DD24C',
      roleDefinitionGuid: CONTRIBUTOR,
    });
  });

  it('reads snake_case keys', () => {
    const raw = {
      id: `${RG_SCOPE}/providers/Microsoft.Authorization/roleAssignments/x`,
      principal_id: USER,
      principal_type: 'Group',
      role_definition_id: CONTRIBUTOR,
      role_definition_name: 'Contributor',
      scope: RG_SCOPE,
    };
    expect(normaliseRoleAssignment(raw, where)).toMatchObject({
      principalId: USER,
      principalType: 'Group',
      roleDefinitionGuid: CONTRIBUTOR,
      roleDefinitionName: 'Contributor',
    });
  });

  it('keeps the role definition id as given and lower-cases its guid', () => {
    const a = normaliseRoleAssignment(
      azRoleAssignment({ roleDefinitionId: CONTRIBUTOR.toUpperCase() }),
      where,
    );
    expect(a.roleDefinitionId).toBe(CONTRIBUTOR.toUpperCase());
    expect(a.roleDefinitionGuid).toBe(CONTRIBUTOR);
  });

  it('reads a management-group assignment with a provider-level role id', () => {
    const mg = '/providers/Microsoft.Management/managementGroups/mg-contoso';
    const a = normaliseRoleAssignment(
      azRoleAssignment({
        id: `${mg}/providers/Microsoft.Authorization/roleAssignments/x`,
        scope: mg,
        roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`,
        resourceGroup: undefined,
      }),
      where,
    );
    expect(a).toMatchObject({ scope: mg, roleDefinitionGuid: CONTRIBUTOR });
  });

  it('keeps the scope as given (case preserved)', () => {
    const scope = `/subscriptions/${SUB.toUpperCase()}/resourcegroups/RG-Prod`;
    expect(normaliseRoleAssignment(azRoleAssignment({ scope }), where).scope).toBe(scope);
  });

  it('derives the scope from the id when absent', () => {
    const raw = azRoleAssignment({ scope: undefined });
    expect(normaliseRoleAssignment(raw, where).scope).toBe(RG_SCOPE);
  });

  it('derives the root scope from a root assignment id', () => {
    const raw = azRoleAssignment({
      id: '/providers/Microsoft.Authorization/roleAssignments/x',
      scope: null,
    });
    expect(normaliseRoleAssignment(raw, where).scope).toBe('/');
  });

  it('derives a management-group scope from the id, whatever the keyword case', () => {
    const raw = azRoleAssignment({
      id: '/providers/Microsoft.Management/managementGroups/mg/providers/microsoft.authorization/ROLEASSIGNMENTS/x',
      scope: undefined,
    });
    expect(normaliseRoleAssignment(raw, where).scope).toBe(
      '/providers/Microsoft.Management/managementGroups/mg',
    );
  });

  it('reads the scope from properties in the ARM shape before deriving it', () => {
    const raw = {
      id: 'odd-id',
      properties: { principalId: USER, roleDefinitionId: CONTRIBUTOR, scope: RG_SCOPE },
    };
    expect(normaliseRoleAssignment(raw, where).scope).toBe(RG_SCOPE);
  });

  it('says "Unknown" when the principal type is absent', () => {
    expect(
      normaliseRoleAssignment(azRoleAssignment({ principalType: undefined }), where).principalType,
    ).toBe('Unknown');
    expect(
      normaliseRoleAssignment(azRoleAssignment({ principalType: null }), where).principalType,
    ).toBe('Unknown');
  });

  it('keeps an unusual principal type as given', () => {
    expect(
      normaliseRoleAssignment(azRoleAssignment({ principalType: 'ForeignGroup' }), where)
        .principalType,
    ).toBe('ForeignGroup');
  });

  it('keeps a condition', () => {
    const condition = "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})))";
    expect(
      normaliseRoleAssignment(azRoleAssignment({ condition, conditionVersion: '2.0' }), where)
        .condition,
    ).toBe(condition);
  });

  it('leaves out a null or empty condition and a null role name', () => {
    const a = normaliseRoleAssignment(
      azRoleAssignment({ condition: '', roleDefinitionName: null }),
      where,
    );
    expect('condition' in a).toBe(false);
    expect('roleDefinitionName' in a).toBe(false);
  });

  it('records the listing subscription, lower-cased', () => {
    expect(
      normaliseRoleAssignment(azRoleAssignment(), where, SUB.toUpperCase()).listedInSubscriptionId,
    ).toBe(SUB);
  });

  it('leaves the listing subscription out when unknown', () => {
    expect('listedInSubscriptionId' in normaliseRoleAssignment(azRoleAssignment(), where)).toBe(
      false,
    );
    expect('listedInSubscriptionId' in normaliseRoleAssignment(azRoleAssignment(), where, '')).toBe(
      false,
    );
  });

  it.each([
    ['no id', { id: undefined }, 'entry has no "id"'],
    ['no principalId', { principalId: undefined }, 'entry has no "principalId"'],
    ['a blank principalId', { principalId: ' ' }, 'entry has no "principalId"'],
    ['no roleDefinitionId', { roleDefinitionId: null }, 'entry has no "roleDefinitionId"'],
    [
      'no scope and an id that is not an assignment id',
      { scope: undefined, id: 'something-else' },
      'entry has no "scope"',
    ],
  ])('throws InputError for %s', (_what, overrides, message) => {
    expect(() => normaliseRoleAssignment(azRoleAssignment(overrides), where)).toThrow(
      new InputError(`${where}: ${message}`),
    );
  });

  it('throws InputError for an entry that is not an object', () => {
    expect(() => normaliseRoleAssignment('x', where)).toThrow(InputError);
    expect(() => normaliseRoleAssignment(null, where)).toThrow(
      /^role-assignments\.json\[7\]: entry has no "id"/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Role definitions
// ---------------------------------------------------------------------------------------------

const CUSTOM = '00000000-0000-4000-f000-000000000001';

function azRoleDefinition(overrides: Json = {}): Json {
  return {
    assignableScopes: [`/subscriptions/${SUB}`],
    createdBy: null,
    createdOn: '2024-11-05T10:12:44.201347+00:00',
    description: 'Operate AKS clusters',
    id: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${CUSTOM}`,
    name: CUSTOM,
    permissions: [
      {
        actions: ['Microsoft.ContainerService/*'],
        condition: null,
        conditionVersion: null,
        dataActions: ['Microsoft.ContainerService/managedClusters/*'],
        notActions: ['Microsoft.ContainerService/managedClusters/delete'],
        notDataActions: ['Microsoft.ContainerService/managedClusters/secrets/*'],
      },
    ],
    roleName: 'Contoso AKS Operator',
    roleType: 'CustomRole',
    type: 'Microsoft.Authorization/roleDefinitions',
    ...overrides,
  };
}

describe('normaliseRoleDefinition', () => {
  const where = 'role-definitions.json[1]';

  it('reads the az shape', () => {
    expect(normaliseRoleDefinition(azRoleDefinition(), where)).toEqual({
      id: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${CUSTOM}`,
      guid: CUSTOM,
      roleName: 'Contoso AKS Operator',
      roleType: 'CustomRole',
      description: 'Operate AKS clusters',
      permissions: [
        {
          actions: ['Microsoft.ContainerService/*'],
          notActions: ['Microsoft.ContainerService/managedClusters/delete'],
          dataActions: ['Microsoft.ContainerService/managedClusters/*'],
          notDataActions: ['Microsoft.ContainerService/managedClusters/secrets/*'],
        },
      ],
      assignableScopes: [`/subscriptions/${SUB}`],
    });
  });

  it('reads the ARM REST shape, taking the role type from properties.type', () => {
    expect(normaliseRoleDefinition(armDefinition, where)).toEqual({
      id: '/subscriptions/00000000-0000-4000-a000-0000000000a1/providers/Microsoft.Authorization/roleDefinitions/00000000-0000-4000-f000-0000000000a1',
      guid: '00000000-0000-4000-f000-0000000000a1',
      roleName: 'Contoso Shapes Operator',
      roleType: 'CustomRole',
      description: 'Custom role as ARM REST returns it',
      permissions: [
        {
          actions: ['Microsoft.ContainerService/managedClusters/*'],
          notActions: ['Microsoft.ContainerService/managedClusters/delete'],
          dataActions: [],
          notDataActions: [],
        },
      ],
      assignableScopes: ['/subscriptions/00000000-0000-4000-a000-0000000000a1'],
    });
  });

  it('recognises a built-in role in the az shape', () => {
    expect(
      normaliseRoleDefinition(azRoleDefinition({ roleType: 'BuiltInRole' }), where).roleType,
    ).toBe('BuiltInRole');
  });

  it('recognises a built-in role in the ARM shape', () => {
    const raw = {
      id: `/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`,
      type: 'Microsoft.Authorization/roleDefinitions',
      properties: {
        roleName: 'Contributor',
        type: 'BuiltInRole',
        permissions: [{ actions: ['*'] }],
        assignableScopes: ['/'],
      },
    };
    expect(normaliseRoleDefinition(raw, where)).toMatchObject({
      guid: CONTRIBUTOR,
      roleName: 'Contributor',
      roleType: 'BuiltInRole',
    });
  });

  it('does not read the resource type as the role type', () => {
    const raw = { id: CUSTOM, type: 'BuiltInRole', roleName: 'Looks built-in' };
    // Flat (az) documents carry the role type in `roleType`; a top-level `type` is the resource type.
    expect(normaliseRoleDefinition(raw, where).roleType).toBe('CustomRole');
  });

  it('reads the role type case-insensitively', () => {
    expect(
      normaliseRoleDefinition(azRoleDefinition({ roleType: 'builtinrole' }), where).roleType,
    ).toBe('BuiltInRole');
  });

  it('lower-cases the guid from the id', () => {
    expect(
      normaliseRoleDefinition(
        azRoleDefinition({
          id: `/providers/Microsoft.Authorization/roleDefinitions/${CUSTOM.toUpperCase()}`,
        }),
        where,
      ).guid,
    ).toBe(CUSTOM);
  });

  it('turns missing permission arrays into empty ones', () => {
    expect(
      normaliseRoleDefinition(azRoleDefinition({ permissions: [{ actions: ['a/read'] }] }), where)
        .permissions,
    ).toEqual([{ actions: ['a/read'], notActions: [], dataActions: [], notDataActions: [] }]);
    expect(
      normaliseRoleDefinition(
        azRoleDefinition({ permissions: [{ actions: null, notActions: null }] }),
        where,
      ).permissions,
    ).toEqual([{ actions: [], notActions: [], dataActions: [], notDataActions: [] }]);
  });

  it('treats null or absent permissions and scopes as empty', () => {
    const d = normaliseRoleDefinition(
      azRoleDefinition({ permissions: null, assignableScopes: undefined }),
      where,
    );
    expect(d.permissions).toEqual([]);
    expect(d.assignableScopes).toEqual([]);
  });

  it('keeps several permission blocks apart', () => {
    const d = normaliseRoleDefinition(
      azRoleDefinition({
        permissions: [{ actions: ['a/*'] }, { actions: ['b/*'], notActions: ['b/delete'] }],
      }),
      where,
    );
    expect(d.permissions).toHaveLength(2);
    expect(d.permissions[1]).toEqual({
      actions: ['b/*'],
      notActions: ['b/delete'],
      dataActions: [],
      notDataActions: [],
    });
  });

  it('reads snake_case keys', () => {
    const raw = {
      id: CUSTOM,
      role_name: 'Snake',
      role_type: 'CustomRole',
      permissions: [
        { actions: ['x/*'], not_actions: ['x/delete'], data_actions: [], not_data_actions: [] },
      ],
      assignable_scopes: ['/'],
    };
    expect(normaliseRoleDefinition(raw, where)).toMatchObject({
      roleName: 'Snake',
      permissions: [{ notActions: ['x/delete'] }],
      assignableScopes: ['/'],
    });
  });

  it('falls back to the guid when the role has no name', () => {
    expect(normaliseRoleDefinition(azRoleDefinition({ roleName: null }), where).roleName).toBe(
      CUSTOM,
    );
  });

  it('leaves out an empty description', () => {
    expect(
      'description' in normaliseRoleDefinition(azRoleDefinition({ description: '' }), where),
    ).toBe(false);
  });

  it.each([
    ['no id', { id: undefined }, `${where}: entry has no "id"`],
    [
      'permissions that are not an array',
      { permissions: { actions: ['*'] } },
      `${where}: "permissions" is an object, expected an array`,
    ],
    [
      'a permission block that is not an object',
      { permissions: ['*'] },
      `${where}: "permissions[0]" is "*", expected an object`,
    ],
    [
      'actions that are not an array',
      { permissions: [{ actions: '*' }] },
      `${where}: "permissions[0].actions" is "*", expected an array of strings`,
    ],
  ])('throws InputError for %s', (_what, overrides, message) => {
    expect(() => normaliseRoleDefinition(azRoleDefinition(overrides), where)).toThrow(
      new InputError(message),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Fast paths: the same answers as the plain reading (role assignments, role definition guids)
// ---------------------------------------------------------------------------------------------

/**
 * The plain reading that normalise.ts speeds up, written out as the reference: a key is looked
 * up exactly (own property) and otherwise as the first own for…in key that folds to it (case and
 * underscores ignored; only same-length keys or longer ones with underscores are candidates);
 * fields come from `properties` first, then the top level.
 */
const referenceFold = (key: string): string => key.replace(/_/g, '').toLowerCase();
function referenceGet(obj: Json | undefined, key: string): unknown {
  if (!obj) return undefined;
  if (Object.prototype.hasOwnProperty.call(obj, key)) return obj[key];
  const wanted = referenceFold(key);
  for (const k in obj) {
    if (k.length !== wanted.length && (k.length < wanted.length || k.indexOf('_') === -1)) continue;
    if (referenceFold(k) === wanted && Object.prototype.hasOwnProperty.call(obj, k)) return obj[k];
  }
  return undefined;
}
const isPlainObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
function referenceText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
/** The id's last segment: trailing slashes and control blanks dropped, the rest trimmed and lower-cased. */
function referenceAssignment(raw: unknown, where: string, listedIn?: string): unknown {
  if (!isPlainObject(raw)) throw new InputError(`${where}: entry has no "id"`);
  const id = referenceGet(raw, 'id');
  if (typeof id !== 'string' || id.trim() === '')
    throw new InputError(`${where}: entry has no "id"`);
  const props = referenceGet(raw, 'properties');
  const properties = isPlainObject(props) ? props : undefined;
  const field = (key: string) => {
    const nested = referenceGet(properties, key);
    return nested !== undefined ? nested : referenceGet(raw, key);
  };
  const suffix = /\/providers\/microsoft\.authorization\/roleassignments\/[^/]+\/*$/i;
  let scope = referenceText(field('scope'));
  if (scope === undefined && suffix.test(id.trim())) scope = id.trim().replace(suffix, '') || '/';
  if (scope === undefined) throw new InputError(`${where}: entry has no "scope"`);
  const principalId = referenceText(field('principalId'));
  if (principalId === undefined) throw new InputError(`${where}: entry has no "principalId"`);
  const roleDefinitionId = referenceText(field('roleDefinitionId'));
  if (roleDefinitionId === undefined)
    throw new InputError(`${where}: entry has no "roleDefinitionId"`);
  const out: Json = {
    id,
    scope,
    principalId,
    principalType: referenceText(field('principalType')) ?? 'Unknown',
    roleDefinitionId,
    roleDefinitionGuid: roleDefinitionGuidPlain(roleDefinitionId),
  };
  const roleName = referenceText(field('roleDefinitionName'));
  if (roleName !== undefined) out.roleDefinitionName = roleName;
  const condition = referenceText(field('condition'));
  if (condition !== undefined) out.condition = condition;
  // Names: `principalDisplayName` is the display name; `principalName` is a user's UPN (or, type
  // unknown, anything with `@`), else a display name unless it is a GUID (a service principal's app id).
  const displayName = referenceText(field('principalDisplayName'))?.trim();
  const principalName = referenceText(field('principalName'))?.trim();
  const type = String(out.principalType).toLowerCase();
  if (displayName) out.displayName = displayName;
  if (principalName) {
    if (
      type === 'user' ||
      ((type === 'unknown' || type.trim() === '') && principalName.includes('@'))
    )
      out.userPrincipalName = principalName;
    else if (!/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(principalName) && !displayName)
      out.displayName = principalName;
  }
  const listed = listedIn?.trim().toLowerCase();
  if (listed) out.listedInSubscriptionId = listed;
  return out;
}

/** The result, or the InputError message, of one call: what the two readings must agree on. */
function outcome(fn: () => unknown): unknown {
  try {
    return { value: fn() };
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return { error: (error as Error).message };
  }
}

describe('role assignment fast path', () => {
  const where = 'role-assignments.json[0]';
  const ROLE_IDS = [
    `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`,
    `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR.toUpperCase()}`,
    `/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}/`,
    CONTRIBUTOR,
  ];
  const value = fc.oneof(
    fc.constantFrom(RG_SCOPE, USER, 'User', 'Contributor', '', '  ', ...ROLE_IDS),
    fc.constantFrom(null, 0, 7, true, false, ['x'], { a: 1 }),
    fc.string({ maxLength: 8 }),
  );
  const FIELDS = [
    'id',
    'scope',
    'principalId',
    'principalType',
    'roleDefinitionId',
    'roleDefinitionName',
    'condition',
    'name',
    'type',
    'description',
  ];
  /** How one field is spelt: as the model does, snake_case, upper case, or with a stray underscore. */
  const spelling = fc.constantFrom('exact', 'exact', 'exact', 'snake', 'upper', 'odd');
  const spell = (key: string, how: string): string =>
    how === 'snake'
      ? snake(key)
      : how === 'upper'
        ? key.toUpperCase()
        : how === 'odd'
          ? `_${key}`
          : key;
  /** A shape: which fields, spelt how, in which order, and whether ARM's `properties` wraps some. */
  const shape = fc.record({
    fields: fc.shuffledSubarray(FIELDS, { minLength: 0 }),
    spellings: fc.array(spelling, { minLength: FIELDS.length, maxLength: FIELDS.length }),
    duplicate: fc.option(fc.constantFrom(...FIELDS), { nil: undefined }),
    nested: fc.constantFrom('none', 'none', 'properties', 'PROPERTIES', 'properties-null'),
  });
  type ShapeSpec = {
    fields: string[];
    spellings: string[];
    duplicate: string | undefined;
    nested: string;
  };
  function build(spec: ShapeSpec, values: unknown[], withId: boolean): Json {
    const body: Json = {};
    spec.fields.forEach((f, i) => {
      body[spell(f, spec.spellings[i])] = values[i % values.length];
    });
    // A second spelling of one field, after the first.
    if (spec.duplicate)
      body[
        snake(spec.duplicate) === spec.duplicate ? `${spec.duplicate}_` : snake(spec.duplicate)
      ] = values[0];
    const id = withId
      ? {
          id: `${RG_SCOPE}/providers/Microsoft.Authorization/roleAssignments/x${String(values[1])}`,
        }
      : {};
    if (spec.nested === 'none') return { ...id, ...body };
    if (spec.nested === 'properties-null') return { ...id, ...body, properties: null };
    return { ...id, [spec.nested]: body };
  }

  it('reads every shape as the plain reading does, the same shape many times over', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            shape,
            fc.array(fc.array(value, { minLength: 2, maxLength: 4 }), {
              minLength: 1,
              maxLength: 4,
            }),
            fc.boolean(),
          ),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        fc.option(fc.constantFrom(SUB, SUB.toUpperCase(), ' ', ''), { nil: undefined }),
        (shapes, listedIn) => {
          // Objects of one shape in a row, then the shapes interleaved: the cached shapes must be
          // told apart every time.
          const objects = shapes.flatMap(([spec, valueSets, withId]) =>
            valueSets.map((values) => build(spec, values, withId)),
          );
          for (const raw of [...objects, ...objects.slice().reverse()]) {
            expect(outcome(() => normaliseRoleAssignment(raw, where, listedIn))).toEqual(
              outcome(() => referenceAssignment(raw, where, listedIn)),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads az exports of one shape with changing values', () => {
    for (let i = 0; i < 50; i++) {
      const raw = azRoleAssignment({
        principalId: i % 7 === 0 ? '' : `${USER.slice(0, -2)}${String(i).padStart(2, '0')}`,
        condition: i % 5 === 0 ? 'x' : null,
        roleDefinitionName: i % 3 === 0 ? null : 'Contributor',
        roleDefinitionId: ROLE_IDS[i % ROLE_IDS.length],
      });
      expect(outcome(() => normaliseRoleAssignment(raw, where))).toEqual(
        outcome(() => referenceAssignment(raw, where)),
      );
    }
  });

  it('finds a non-enumerable own field as the plain reading does', () => {
    const plain = azRoleAssignment({ condition: undefined });
    delete plain.condition;
    normaliseRoleAssignment(plain, where); // the shape is now known
    const hidden = azRoleAssignment({ condition: undefined });
    delete hidden.condition;
    Object.defineProperty(hidden, 'condition', { value: 'hidden', enumerable: false });
    expect(normaliseRoleAssignment(hidden, where).condition).toBe('hidden');
    Object.defineProperty(hidden, 'properties', {
      value: { principalId: 'from-properties' },
      enumerable: false,
    });
    expect(normaliseRoleAssignment(hidden, where).principalId).toBe('from-properties');
  });

  it('ignores inherited fields, even where an object of the same keys had them as its own', () => {
    const own = {
      id: `${RG_SCOPE}/providers/Microsoft.Authorization/roleAssignments/x`,
      principalId: USER,
      roleDefinitionId: CONTRIBUTOR,
      scope: RG_SCOPE,
    };
    expect(normaliseRoleAssignment(own, where).scope).toBe(RG_SCOPE);
    // The same for…in keys, in the same order, but `scope` inherited: the plain reading skips it.
    const inherited = Object.create({ scope: RG_SCOPE }) as Json;
    Object.assign(inherited, { id: own.id, principalId: USER, roleDefinitionId: CONTRIBUTOR });
    const expected = outcome(() => referenceAssignment(inherited, where));
    expect(outcome(() => normaliseRoleAssignment(inherited, where))).toEqual(expected);
    expect(expected).toEqual({ value: expect.objectContaining({ scope: RG_SCOPE }) }); // derived from the id
    const ghost = Object.create({ principalId: USER }) as Json;
    Object.assign(ghost, { id: own.id, roleDefinitionId: CONTRIBUTOR, scope: RG_SCOPE });
    expect(() => normaliseRoleAssignment(ghost, where)).toThrow(
      new InputError(`${where}: entry has no "principalId"`),
    );
  });

  it('reads objects without a prototype', () => {
    const raw = Object.assign(Object.create(null) as Json, azRoleAssignment());
    expect(normaliseRoleAssignment(raw, where)).toEqual(
      referenceAssignment(azRoleAssignment(), where),
    );
  });
});
