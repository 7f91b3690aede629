/**
 * How PIM eligibilities, conditions and deny assignments enter the access graph.
 */
import { buildAccessIndex } from '../src/core/access';
import type { Cluster, SourceFailure } from '../src/core/model';

const SUB_ID = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';
const OTHER_SUB_ID = '9c2e7f52-7a39-4d0e-8b1f-2a4c6e8d0f13';
const SUB = `/subscriptions/${SUB_ID}`;
const RG = `${SUB}/resourceGroups/rg-prod`;
const CLUSTER_ID = `${RG}/providers/Microsoft.ContainerService/managedClusters/aks-prod`;

function cluster(overrides: Partial<Cluster> = {}): Cluster {
  return {
    id: CLUSTER_ID,
    name: 'aks-prod',
    subscriptionId: SUB_ID,
    resourceGroup: 'rg-prod',
    aadProfile: { managed: true, enableAzureRbac: false },
    disableLocalAccounts: false,
    identity: null,
    kubeletIdentity: null,
    apiServerAccess: null,
    addons: {},
    ...overrides,
  };
}

describe('a failed eligibility or deny-assignment listing', () => {
  it.each([
    ['eligibility', 'PIM eligibilities', 'Microsoft.Authorization/roleEligibilityScheduleInstances/read'],
    ['denyAssignments', 'deny assignments', 'Microsoft.Authorization/denyAssignments/read'],
  ] as const)('%s: the cluster access of that subscription is unavailable, the permission named', (part, what, permission) => {
    const failures: SourceFailure[] = [{ subscriptionId: SUB_ID, part, message: `HTTP 403 AuthorizationFailed; the auditor's identity needs ${permission}` }];
    const index = buildAccessIndex({ roleAssignments: [], roleDefinitions: [], failures });
    const access = index.forCluster(cluster());
    expect(access.unavailable).toContain(`${what} could not be read for subscription ${SUB_ID}`);
    expect(access.unavailable).toContain(permission);
    expect(index.forCluster(cluster({ id: CLUSTER_ID.replace(SUB_ID, OTHER_SUB_ID), subscriptionId: OTHER_SUB_ID })).unavailable).toBeUndefined();
  });
});
