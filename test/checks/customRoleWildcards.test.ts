import { SUBSCRIPTION, rawCluster } from '../fixtures/checks/clusters';
import { RG_SCOPE, ROLES, SUB_SCOPE, azAssignment, azCustomRole } from '../fixtures/checks/access';
import { evaluateCheck } from '../fixtures/checks/harness';

const GROUP = '9a000000-0000-4000-8000-000000000001';
const ROLE_GUID = 'cc000000-0000-4000-8000-000000000001';

function withCustomRole(actions: string[], scope = RG_SCOPE, notActions: string[] = []) {
  return evaluateCheck('custom-role-wildcards', rawCluster('arm'), {
    assignments: [
      azAssignment({ principalId: GROUP, role: ROLE_GUID, scope, roleName: 'AKS operators' }),
    ],
    definitions: [
      azCustomRole({ guid: ROLE_GUID, roleName: 'AKS operators', actions, notActions }),
    ],
  });
}

describe('custom-role-wildcards', () => {
  it.each([
    ['*'],
    ['Microsoft.ContainerService/*'],
    ['Microsoft.ContainerService/managedClusters/*'],
    ['microsoft.containerservice/MANAGEDCLUSTERS/*'],
  ])('fails for a custom role with action %s assigned over the cluster', (wildcard) => {
    const { outcome, remediation } = withCustomRole([
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      wildcard,
    ]);
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toContain('AKS operators');
    expect(outcome.detail).toContain(wildcard);
    expect(outcome.principals).toEqual([
      expect.objectContaining({ principalId: GROUP, roleName: 'AKS operators', scope: RG_SCOPE }),
    ]);
    expect(remediation).toMatch(/^az role definition update --role-definition /);
  });

  it('fails even when notActions carve out part of the wildcard: the wildcard still grows', () => {
    expect(
      withCustomRole(['Microsoft.ContainerService/*'], RG_SCOPE, [
        'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action',
      ]).outcome.status,
    ).toBe('fail');
  });

  it.each([
    [
      [
        'Microsoft.ContainerService/managedClusters/read',
        'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action',
      ],
    ],
    [['Microsoft.Compute/*']],
    [['Microsoft.ContainerService/managedClusters/agentPools/*']],
  ])('passes for a custom role with actions %j', (actions) => {
    const { outcome } = withCustomRole(actions);
    expect(outcome.status).toBe('pass');
    expect(outcome.principals).toEqual([]);
  });

  it('passes for the built-in Contributor role, whose `*` is Microsoft’s to maintain', () => {
    const { outcome } = evaluateCheck('custom-role-wildcards', rawCluster('az'), {
      assignments: [
        azAssignment({ principalId: GROUP, role: ROLES.contributor, scope: SUB_SCOPE }),
      ],
    });
    expect(outcome.status).toBe('pass');
  });

  it('passes when the wildcard custom role is assigned only elsewhere', () => {
    const elsewhere = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-other`;
    expect(withCustomRole(['*'], elsewhere).outcome.status).toBe('pass');
  });

  it('fails for a wildcard custom role assigned at the subscription', () => {
    expect(withCustomRole(['Microsoft.ContainerService/*'], SUB_SCOPE).outcome.status).toBe('fail');
  });

  it('is error when an assigned role cannot be resolved, naming it and how to export it', () => {
    const { outcome } = evaluateCheck('custom-role-wildcards', rawCluster('az'), {
      assignments: [azAssignment({ principalId: GROUP, role: ROLE_GUID, scope: RG_SCOPE })],
    });
    expect(outcome.status).toBe('error');
    expect(outcome.detail).toContain(ROLE_GUID);
    expect(outcome.detail).toContain(`az role definition list --name ${ROLE_GUID} -o json`);
  });

  it('is error when role definitions could not be read', () => {
    const { outcome } = evaluateCheck('custom-role-wildcards', rawCluster('az'), {
      failures: [{ subscriptionId: SUBSCRIPTION, part: 'roleDefinitions', message: 'Forbidden' }],
    });
    expect(outcome.status).toBe('error');
  });
});

describe('custom-role-wildcards: data actions', () => {
  const withDataActions = (dataActions: string[]) =>
    evaluateCheck('custom-role-wildcards', rawCluster('az'), {
      assignments: [
        azAssignment({ principalId: GROUP, role: ROLE_GUID, scope: RG_SCOPE, roleName: 'K8s all' }),
      ],
      definitions: [
        azCustomRole({
          guid: ROLE_GUID,
          roleName: 'K8s all',
          actions: ['Microsoft.ContainerService/managedClusters/read'],
          dataActions,
        }),
      ],
    }).outcome;

  it.each([
    ['*'],
    ['Microsoft.ContainerService/*'],
    ['Microsoft.ContainerService/managedClusters/*'],
  ])('fails for a custom role with data action %s, naming it as a data action', (wildcard) => {
    const outcome = withDataActions([wildcard]);
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toContain(`dataActions ${wildcard}`);
  });

  it('passes for narrower data actions', () => {
    expect(
      withDataActions([
        'Microsoft.ContainerService/managedClusters/pods/*',
        'Microsoft.ContainerService/managedClusters/namespaces/read',
      ]).status,
    ).toBe('pass');
  });
});
