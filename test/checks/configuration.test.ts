import { CHECKS } from '../../src/core/checks';
import type { FindingStatus } from '../../src/core/model';
import {
  CLUSTER_NAME,
  RESOURCE_GROUP,
  SHAPES,
  rawCluster,
  rawClusterWithoutProperties,
  type Changes,
  type Shape,
} from '../fixtures/checks/clusters';
import { evaluateCheck } from '../fixtures/checks/harness';

type Case = [description: string, changes: Changes, expected: FindingStatus];

const CONFIGURATION_CHECK_IDS = CHECKS.filter((c) => c.category === 'configuration').map(
  (c) => c.id,
);

/** docs/access.md "Cluster configuration", one field at a time, absent and null included. */
const CASES: Record<string, Case[]> = {
  'entra-id-integration': [
    ['managed integration', {}, 'pass'],
    ['aadProfile null', { aadProfile: null }, 'fail'],
    ['aadProfile absent', { aadProfile: undefined }, 'fail'],
    [
      'legacy server/client app integration',
      { aadManaged: false, aadServerAppId: '22222222-2222-4222-8222-222222222222' },
      'fail',
    ],
    ['managed absent', { aadManaged: undefined }, 'fail'],
    ['managed null', { aadManaged: null }, 'fail'],
  ],
  'local-accounts-disabled': [
    ['disabled', {}, 'pass'],
    ['explicitly enabled', { disableLocalAccounts: false }, 'fail'],
    ['absent', { disableLocalAccounts: undefined }, 'fail'],
    ['null', { disableLocalAccounts: null }, 'fail'],
  ],
  'azure-rbac-authorization': [
    ['enabled', {}, 'pass'],
    ['false', { aadAzureRbac: false }, 'fail'],
    ['absent', { aadAzureRbac: undefined }, 'fail'],
    ['aadProfile null', { aadProfile: null }, 'fail'],
  ],
  'kubernetes-rbac-enabled': [
    ['enabled', {}, 'pass'],
    ['explicitly false', { enableRbac: false }, 'fail'],
    ['absent (AKS default is on)', { enableRbac: undefined }, 'pass'],
    ['null (AKS default is on)', { enableRbac: null }, 'pass'],
  ],
  'admin-group-configured': [
    ['group configured', {}, 'pass'],
    ['empty list', { aadAdminGroups: [] }, 'fail'],
    ['null', { aadAdminGroups: null }, 'fail'],
    ['absent', { aadAdminGroups: undefined }, 'fail'],
    ['legacy integration', { aadManaged: false, aadAdminGroups: [] }, 'not-applicable'],
    ['no Entra integration', { aadProfile: null }, 'not-applicable'],
  ],
  'managed-identity': [
    ['user-assigned', {}, 'pass'],
    [
      'system-assigned',
      { identity: { type: 'SystemAssigned', principalId: 'c0c0c0c0-0000-4000-8000-000000000009' } },
      'pass',
    ],
    [
      'type in lower case',
      {
        identityType: 'systemassigned',
        identityPrincipalId: 'c0c0c0c0-0000-4000-8000-000000000009',
      },
      'pass',
    ],
    [
      'service principal (identity null)',
      {
        identity: null,
        servicePrincipalProfile: { clientId: '33333333-3333-4333-8333-333333333333' },
      },
      'fail',
    ],
    [
      'service principal (identity absent)',
      {
        identity: undefined,
        servicePrincipalProfile: { clientId: '33333333-3333-4333-8333-333333333333' },
      },
      'fail',
    ],
    ['type None', { identity: { type: 'None' } }, 'fail'],
  ],
  'user-assigned-control-plane-identity': [
    ['user-assigned', {}, 'pass'],
    [
      'system-assigned',
      { identity: { type: 'SystemAssigned', principalId: 'c0c0c0c0-0000-4000-8000-000000000009' } },
      'fail',
    ],
    [
      'system-assigned in upper case',
      { identity: { type: 'SYSTEMASSIGNED', principalId: 'c0c0c0c0-0000-4000-8000-000000000009' } },
      'fail',
    ],
    [
      'service principal',
      {
        identity: null,
        servicePrincipalProfile: { clientId: '33333333-3333-4333-8333-333333333333' },
      },
      'not-applicable',
    ],
  ],
  'oidc-issuer-enabled': [
    ['enabled', {}, 'pass'],
    ['false', { oidcIssuerEnabled: false }, 'fail'],
    ['profile null', { oidcIssuerProfile: null }, 'fail'],
    ['profile absent', { oidcIssuerProfile: undefined }, 'fail'],
  ],
  'workload-identity-enabled': [
    ['enabled', {}, 'pass'],
    ['false', { workloadIdentityEnabled: false }, 'fail'],
    ['workloadIdentity absent', { workloadIdentity: undefined }, 'fail'],
    ['securityProfile null', { securityProfile: null }, 'fail'],
  ],
  'pod-identity-disabled': [
    ['profile absent', { podIdentityProfile: undefined }, 'pass'],
    ['profile null', {}, 'pass'],
    ['explicitly disabled', { podIdentityProfile: { enabled: false } }, 'pass'],
    ['enabled', { podIdentityProfile: { enabled: true, userAssignedIdentities: [] } }, 'fail'],
  ],
  'api-server-access-restricted': [
    ['authorised ranges', {}, 'pass'],
    [
      'private cluster without ranges',
      { apiServerAccessProfile: { enablePrivateCluster: true } },
      'pass',
    ],
    [
      'private cluster even with 0.0.0.0/0',
      { enablePrivateCluster: true, authorizedIpRanges: ['0.0.0.0/0'] },
      'pass',
    ],
    ['public, empty ranges', { authorizedIpRanges: [] }, 'fail'],
    ['public, ranges null', { authorizedIpRanges: null }, 'fail'],
    ['public, ranges absent', { authorizedIpRanges: undefined }, 'fail'],
    ['profile null', { apiServerAccessProfile: null }, 'fail'],
    ['ranges include 0.0.0.0/0', { authorizedIpRanges: ['203.0.113.0/24', '0.0.0.0/0'] }, 'fail'],
    ['private flag null, ranges set', { enablePrivateCluster: null }, 'pass'],
  ],
  'run-command-disabled': [
    ['disabled', {}, 'pass'],
    ['the string "true"', { disableRunCommand: 'true' }, 'pass'],
    ['explicitly false', { disableRunCommand: false }, 'fail'],
    ['null', { disableRunCommand: null }, 'fail'],
    ['absent', { disableRunCommand: undefined }, 'fail'],
    ['profile null', { apiServerAccessProfile: null }, 'fail'],
    ['profile absent', { apiServerAccessProfile: undefined }, 'fail'],
  ],
  'defender-enabled': [
    ['enabled', {}, 'pass'],
    [
      'legacy azureDefender.enabled only',
      { defender: undefined, azureDefender: { enabled: true } },
      'pass',
    ],
    [
      'legacy azureDefender.enabled "true" only',
      { defender: undefined, azureDefender: { enabled: 'true' } },
      'pass',
    ],
    [
      'legacy azureDefender.enabled false',
      { defender: undefined, azureDefender: { enabled: false } },
      'fail',
    ],
    ['legacy azureDefender null', { defender: undefined, azureDefender: null }, 'fail'],
    ['false', { defenderEnabled: false }, 'fail'],
    ['securityMonitoring null', { defenderMonitoring: null }, 'fail'],
    ['defender absent', { defender: undefined }, 'fail'],
    ['securityProfile null', { securityProfile: null }, 'fail'],
  ],
  'azure-policy-addon': [
    ['enabled', {}, 'pass'],
    [
      'enabled, key spelled azurePolicy',
      { addonProfiles: { azurePolicy: { enabled: true, config: null } } },
      'pass',
    ],
    [
      'enabled, key spelled AZUREPOLICY',
      { addonProfiles: { AZUREPOLICY: { enabled: true } } },
      'pass',
    ],
    [
      'present but disabled',
      { addonProfiles: { azurepolicy: { enabled: false, config: null } } },
      'fail',
    ],
    [
      'absent',
      {
        addonProfiles: {
          azureKeyvaultSecretsProvider: { enabled: true, config: { enableSecretRotation: 'true' } },
        },
      },
      'fail',
    ],
    ['addonProfiles null', { addonProfiles: null }, 'fail'],
    ['addonProfiles absent', { addonProfiles: undefined }, 'fail'],
  ],
  'keyvault-secret-rotation': [
    ['rotation on', {}, 'pass'],
    [
      'rotation "True"',
      {
        addonProfiles: {
          azureKeyvaultSecretsProvider: { enabled: true, config: { enableSecretRotation: 'True' } },
        },
      },
      'pass',
    ],
    [
      'lower-case add-on key',
      {
        addonProfiles: {
          azurekeyvaultsecretsprovider: { enabled: true, config: { enableSecretRotation: 'true' } },
        },
      },
      'pass',
    ],
    [
      'rotation "false"',
      {
        addonProfiles: {
          azureKeyvaultSecretsProvider: {
            enabled: true,
            config: { enableSecretRotation: 'false' },
          },
        },
      },
      'fail',
    ],
    [
      'rotation absent',
      {
        addonProfiles: {
          azureKeyvaultSecretsProvider: { enabled: true, config: { rotationPollInterval: '2m' } },
        },
      },
      'fail',
    ],
    [
      'config null',
      { addonProfiles: { azureKeyvaultSecretsProvider: { enabled: true, config: null } } },
      'fail',
    ],
    [
      'add-on disabled',
      {
        addonProfiles: {
          azureKeyvaultSecretsProvider: {
            enabled: false,
            config: { enableSecretRotation: 'false' },
          },
        },
      },
      'not-applicable',
    ],
    ['add-on absent', { addonProfiles: { azurepolicy: { enabled: true } } }, 'not-applicable'],
    ['addonProfiles null', { addonProfiles: null }, 'not-applicable'],
  ],
};

describe('configuration checks', () => {
  it('has a table of cases for every configuration check', () => {
    expect(Object.keys(CASES).sort()).toEqual([...CONFIGURATION_CHECK_IDS].sort());
  });

  describe.each(SHAPES)('%s shape', (shape: Shape) => {
    it('the hardened fixture passes every configuration check', () => {
      for (const id of CONFIGURATION_CHECK_IDS) {
        expect([id, evaluateCheck(id, rawCluster(shape)).outcome.status]).toEqual([id, 'pass']);
      }
    });

    for (const [checkId, cases] of Object.entries(CASES)) {
      describe(checkId, () => {
        it.each(cases)('%s → %s', (_description, changes, expected) => {
          const { outcome } = evaluateCheck(checkId, rawCluster(shape, changes));
          expect(outcome.status).toBe(expected);
          expect(outcome.detail.length).toBeGreaterThan(0);
          expect(outcome.principals).toBeUndefined();
        });
      });
    }
  });
});

describe('a cluster whose configuration could not be read', () => {
  it('an ARM document without `properties` makes every configuration check error, naming the reason', () => {
    for (const id of CONFIGURATION_CHECK_IDS) {
      const { outcome, cluster } = evaluateCheck(id, rawClusterWithoutProperties());
      expect(cluster.incomplete).toBeTruthy();
      expect([id, outcome.status]).toEqual([id, 'error']);
      expect(outcome.detail).toContain(cluster.incomplete!);
    }
  });
});

describe('configuration check details and remediation', () => {
  it('remediation commands name the cluster with -g and -n', () => {
    for (const id of CONFIGURATION_CHECK_IDS) {
      const { remediation } = evaluateCheck(id, rawCluster('az'));
      expect(remediation).toMatch(/^az /);
      expect(remediation).toContain(`-g ${RESOURCE_GROUP}`);
    }
  });

  it.each([
    [
      'local-accounts-disabled',
      `az aks update -g ${RESOURCE_GROUP} -n ${CLUSTER_NAME} --disable-local-accounts`,
    ],
    [
      'entra-id-integration',
      `az aks update -g ${RESOURCE_GROUP} -n ${CLUSTER_NAME} --enable-aad --aad-admin-group-object-ids <group-object-id>`,
    ],
    [
      'admin-group-configured',
      `az aks update -g ${RESOURCE_GROUP} -n ${CLUSTER_NAME} --aad-admin-group-object-ids <group-object-id>`,
    ],
    [
      'managed-identity',
      `az aks update -g ${RESOURCE_GROUP} -n ${CLUSTER_NAME} --enable-managed-identity`,
    ],
    [
      'user-assigned-control-plane-identity',
      `az aks update -g ${RESOURCE_GROUP} -n ${CLUSTER_NAME} --enable-managed-identity --assign-identity <identity-resource-id>`,
    ],
    [
      'oidc-issuer-enabled',
      `az aks update -g ${RESOURCE_GROUP} -n ${CLUSTER_NAME} --enable-oidc-issuer`,
    ],
    [
      'workload-identity-enabled',
      `az aks update -g ${RESOURCE_GROUP} -n ${CLUSTER_NAME} --enable-oidc-issuer --enable-workload-identity`,
    ],
    [
      'pod-identity-disabled',
      `az aks update -g ${RESOURCE_GROUP} -n ${CLUSTER_NAME} --disable-pod-identity`,
    ],
    [
      'api-server-access-restricted',
      `az aks update -g ${RESOURCE_GROUP} -n ${CLUSTER_NAME} --api-server-authorized-ip-ranges <cidr>`,
    ],
    ['defender-enabled', `az aks update -g ${RESOURCE_GROUP} -n ${CLUSTER_NAME} --enable-defender`],
    [
      'azure-policy-addon',
      `az aks enable-addons --addons azure-policy -g ${RESOURCE_GROUP} -n ${CLUSTER_NAME}`,
    ],
    [
      'keyvault-secret-rotation',
      `az aks addon update -g ${RESOURCE_GROUP} -n ${CLUSTER_NAME} --addon azure-keyvault-secrets-provider --enable-secret-rotation`,
    ],
  ])('%s remediation is `%s`', (id, expected) => {
    expect(evaluateCheck(id, rawCluster('arm')).remediation).toBe(expected);
  });

  it('azure-rbac-authorization adds --enable-aad only when managed Entra integration is off', () => {
    expect(
      evaluateCheck('azure-rbac-authorization', rawCluster('az', { aadAzureRbac: false }))
        .remediation,
    ).toBe(`az aks update -g ${RESOURCE_GROUP} -n ${CLUSTER_NAME} --enable-azure-rbac`);
    expect(
      evaluateCheck('azure-rbac-authorization', rawCluster('az', { aadProfile: null })).remediation,
    ).toBe(
      `az aks update -g ${RESOURCE_GROUP} -n ${CLUSTER_NAME} --enable-aad --enable-azure-rbac`,
    );
  });

  it('kubernetes-rbac-enabled says the cluster must be recreated', () => {
    const { outcome, remediation } = evaluateCheck(
      'kubernetes-rbac-enabled',
      rawCluster('az', { enableRbac: false }),
    );
    expect(outcome.detail).toMatch(/recreat/);
    expect(remediation).toMatch(/^az aks create -g rg-prod -n <new-cluster-name>/);
  });

  it('api-server-access-restricted names 0.0.0.0/0 when it is what opens the API server', () => {
    const { outcome } = evaluateCheck(
      'api-server-access-restricted',
      rawCluster('arm', { authorizedIpRanges: ['0.0.0.0/0'] }),
    );
    expect(outcome.detail).toContain('0.0.0.0/0');
  });

  it('keyvault-secret-rotation reports the configured value', () => {
    const { outcome } = evaluateCheck(
      'keyvault-secret-rotation',
      rawCluster('arm', {
        addonProfiles: {
          azureKeyvaultSecretsProvider: {
            enabled: true,
            config: { enableSecretRotation: 'false' },
          },
        },
      }),
    );
    expect(outcome.detail).toContain('"false"');
  });

  it('managed-identity names the service principal client id', () => {
    const { outcome } = evaluateCheck(
      'managed-identity',
      rawCluster('az', {
        identity: null,
        servicePrincipalProfile: { clientId: '33333333-3333-4333-8333-333333333333' },
      }),
    );
    expect(outcome.detail).toContain('33333333-3333-4333-8333-333333333333');
  });

  it('entra-id-integration tells legacy integration from none', () => {
    expect(
      evaluateCheck('entra-id-integration', rawCluster('az', { aadProfile: null })).outcome.detail,
    ).toMatch(/no Microsoft Entra ID integration/);
    expect(
      evaluateCheck('entra-id-integration', rawCluster('az', { aadManaged: false })).outcome.detail,
    ).toMatch(/legacy/);
  });
});
