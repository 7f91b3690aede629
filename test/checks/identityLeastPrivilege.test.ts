import {
  CONTROL_PLANE_PRINCIPAL_ID,
  KUBELET_OBJECT_ID,
  RESOURCE_GROUP,
  SUBSCRIPTION,
  rawCluster,
  rawClusterWithoutProperties,
} from '../fixtures/checks/clusters';
import {
  MANAGEMENT_GROUP_SCOPE,
  OTHER_SUBSCRIPTION,
  RG_SCOPE,
  ROLES,
  SUB_SCOPE,
  armAssignment,
  azAssignment,
  azCustomRole,
} from '../fixtures/checks/access';
import { evaluateCheck } from '../fixtures/checks/harness';

const NODE_RG_SCOPE = `/subscriptions/${SUBSCRIPTION}/resourceGroups/MC_${RESOURCE_GROUP}_aks-prod_westeurope`;
const REGISTRY_SCOPE = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/acrprod`;
const CUSTOM_GUID = 'cc000000-0000-4000-8000-000000000001';
const SP = 'ServicePrincipal';

describe('kubelet-identity-least-privilege', () => {
  const cluster = rawCluster('az');
  const check = (fixture: Parameters<typeof evaluateCheck>[2], raw: unknown = cluster) =>
    evaluateCheck('kubelet-identity-least-privilege', raw, fixture);

  it('fails when the kubelet identity holds Contributor at the subscription, with the assignment to delete', () => {
    const assignment = azAssignment({
      principalId: KUBELET_OBJECT_ID,
      principalType: SP,
      role: ROLES.contributor,
      scope: SUB_SCOPE,
    });
    const { outcome, remediation } = check({ assignments: [assignment] });
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toContain('Contributor');
    expect(outcome.principals).toEqual([
      expect.objectContaining({
        principalId: KUBELET_OBJECT_ID,
        roleName: 'Contributor',
        scope: SUB_SCOPE,
      }),
    ]);
    expect(remediation).toBe(`az role assignment delete --ids ${assignment.id as string}`);
  });

  it('passes with AcrPull on a registry and Reader on the node resource group', () => {
    const { outcome, remediation } = check({
      assignments: [
        azAssignment({
          principalId: KUBELET_OBJECT_ID,
          principalType: SP,
          role: ROLES.acrPull,
          scope: REGISTRY_SCOPE,
        }),
        azAssignment({
          principalId: KUBELET_OBJECT_ID,
          principalType: SP,
          role: ROLES.reader,
          scope: NODE_RG_SCOPE,
        }),
      ],
    });
    expect(outcome.status).toBe('pass');
    expect(outcome.principals).toEqual([]);
    expect(remediation).toBe('az role assignment delete --ids <role-assignment-id>');
  });

  it.each([
    ['Owner', ROLES.owner],
    ['User Access Administrator', ROLES.userAccessAdministrator],
  ])('fails for %s at any scope, even in another subscription', (_name, role) => {
    const scope = `/subscriptions/${OTHER_SUBSCRIPTION}/resourceGroups/rg-elsewhere`;
    expect(
      check({
        assignments: [
          azAssignment({ principalId: KUBELET_OBJECT_ID, principalType: SP, role, scope }),
        ],
      }).outcome.status,
    ).toBe('fail');
  });

  it('fails for Contributor on a single resource (any scope counts)', () => {
    const { outcome } = check({
      assignments: [
        armAssignment({
          principalId: KUBELET_OBJECT_ID,
          principalType: SP,
          role: ROLES.contributor,
          scope: REGISTRY_SCOPE,
        }),
      ],
    });
    expect(outcome.status).toBe('fail');
  });

  it.each([
    ['`*` actions', ['*']],
    ['role-assignment write', ['Microsoft.Authorization/roleAssignments/write']],
    ['role-assignment write through a wildcard', ['Microsoft.Authorization/*']],
  ])('fails for a custom role with %s', (_what, actions) => {
    const { outcome } = check({
      assignments: [
        azAssignment({
          principalId: KUBELET_OBJECT_ID,
          principalType: SP,
          role: CUSTOM_GUID,
          scope: NODE_RG_SCOPE,
        }),
      ],
      definitions: [azCustomRole({ guid: CUSTOM_GUID, roleName: 'Node operator', actions })],
    });
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toContain('Node operator');
  });

  it('matches the object id case-insensitively', () => {
    const upper = KUBELET_OBJECT_ID.toUpperCase();
    expect(
      check({
        assignments: [
          azAssignment({
            principalId: upper,
            principalType: SP,
            role: ROLES.owner,
            scope: SUB_SCOPE,
          }),
        ],
      }).outcome.status,
    ).toBe('fail');
  });

  it('ignores broad roles held by other principals', () => {
    expect(
      check({
        assignments: [
          azAssignment({
            principalId: CONTROL_PLANE_PRINCIPAL_ID,
            principalType: SP,
            role: ROLES.owner,
            scope: SUB_SCOPE,
          }),
        ],
      }).outcome.status,
    ).toBe('pass');
  });

  it.each([
    ['kubeletidentity null', { kubeletIdentity: null }],
    ['identityProfile absent', { identityProfile: undefined }],
    ['objectId absent', { kubeletObjectId: undefined }],
  ])('is not-applicable without a kubelet identity object id (%s)', (_what, changes) => {
    expect(check({}, rawCluster('arm', changes)).outcome.status).toBe('not-applicable');
  });

  it('is error when an assignment of the kubelet identity cannot be resolved, with the export hint', () => {
    const { outcome } = check({
      assignments: [
        azAssignment({
          principalId: KUBELET_OBJECT_ID,
          principalType: SP,
          role: CUSTOM_GUID,
          scope: NODE_RG_SCOPE,
        }),
      ],
    });
    expect(outcome.status).toBe('error');
    expect(outcome.detail).toContain(CUSTOM_GUID);
    expect(outcome.detail).toContain('Microsoft.Authorization/roleDefinitions/read');
  });

  it('fails, not errors, when a resolved assignment already fails next to an unresolved one', () => {
    const { outcome } = check({
      assignments: [
        azAssignment({
          principalId: KUBELET_OBJECT_ID,
          principalType: SP,
          role: CUSTOM_GUID,
          scope: NODE_RG_SCOPE,
        }),
        azAssignment({
          principalId: KUBELET_OBJECT_ID,
          principalType: SP,
          role: ROLES.contributor,
          scope: SUB_SCOPE,
        }),
      ],
    });
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toContain(CUSTOM_GUID);
  });

  it('is error when the role assignments could not be read', () => {
    expect(
      check({
        failures: [{ subscriptionId: SUBSCRIPTION, part: 'roleAssignments', message: 'denied' }],
      }).outcome.status,
    ).toBe('error');
  });

  it('is error when the cluster configuration could not be read', () => {
    expect(check({}, rawClusterWithoutProperties()).outcome.status).toBe('error');
  });
});

describe('control-plane-identity-least-privilege', () => {
  const userAssigned = rawCluster('az');
  const SYSTEM_PRINCIPAL = 'c0c0c0c0-0000-4000-8000-00000000000a';
  const systemAssigned = rawCluster('arm', {
    identity: {
      type: 'SystemAssigned',
      principalId: SYSTEM_PRINCIPAL,
      tenantId: '11111111-1111-4111-8111-111111111111',
    },
  });
  const check = (fixture: Parameters<typeof evaluateCheck>[2], raw: unknown = userAssigned) =>
    evaluateCheck('control-plane-identity-least-privilege', raw, fixture);

  it('passes with Owner at the resource group', () => {
    const { outcome } = check({
      assignments: [
        azAssignment({
          principalId: CONTROL_PLANE_PRINCIPAL_ID,
          principalType: SP,
          role: ROLES.owner,
          scope: RG_SCOPE,
        }),
      ],
    });
    expect(outcome.status).toBe('pass');
    expect(outcome.principals).toEqual([]);
  });

  it('fails with Owner at the subscription, listing it and the assignment to delete', () => {
    const assignment = azAssignment({
      principalId: CONTROL_PLANE_PRINCIPAL_ID,
      principalType: SP,
      role: ROLES.owner,
      scope: SUB_SCOPE,
    });
    const { outcome, remediation } = check({ assignments: [assignment] });
    expect(outcome.status).toBe('fail');
    expect(outcome.principals).toEqual([
      expect.objectContaining({
        principalId: CONTROL_PLANE_PRINCIPAL_ID,
        roleName: 'Owner',
        scope: SUB_SCOPE,
      }),
    ]);
    expect(remediation).toBe(`az role assignment delete --ids ${assignment.id as string}`);
  });

  it.each([
    ['a management group', MANAGEMENT_GROUP_SCOPE],
    ['the tenant root', '/'],
  ])('fails with Contributor at %s', (_what, scope) => {
    expect(
      check({
        assignments: [
          azAssignment({
            principalId: CONTROL_PLANE_PRINCIPAL_ID,
            principalType: SP,
            role: ROLES.contributor,
            scope,
          }),
        ],
      }).outcome.status,
    ).toBe('fail');
  });

  it('checks the system-assigned identity principalId', () => {
    const { outcome } = check(
      {
        assignments: [
          armAssignment({
            principalId: SYSTEM_PRINCIPAL,
            principalType: SP,
            role: ROLES.contributor,
            scope: SUB_SCOPE,
          }),
        ],
      },
      systemAssigned,
    );
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toContain(SYSTEM_PRINCIPAL);
  });

  it.each([
    ['User Access Administrator', ROLES.userAccessAdministrator, 'fail'],
    ['Reader', ROLES.reader, 'pass'],
    ['Network Contributor', ROLES.networkContributor, 'pass'],
  ])('%s at the subscription → %s', (_name, role, expected) => {
    expect(
      check({
        assignments: [
          azAssignment({
            principalId: CONTROL_PLANE_PRINCIPAL_ID,
            principalType: SP,
            role,
            scope: SUB_SCOPE,
          }),
        ],
      }).outcome.status,
    ).toBe(expected);
  });

  it('fails for a custom role with role-assignment write at the subscription', () => {
    const { outcome } = check({
      assignments: [
        azAssignment({
          principalId: CONTROL_PLANE_PRINCIPAL_ID,
          principalType: SP,
          role: CUSTOM_GUID,
          scope: SUB_SCOPE,
        }),
      ],
      definitions: [
        azCustomRole({
          guid: CUSTOM_GUID,
          roleName: 'Grant helper',
          actions: ['Microsoft.Authorization/roleAssignments/write'],
        }),
      ],
    });
    expect(outcome.status).toBe('fail');
  });

  it('is not-applicable for a service-principal cluster', () => {
    const spCluster = rawCluster('az', {
      identity: null,
      servicePrincipalProfile: { clientId: '33333333-3333-4333-8333-333333333333' },
    });
    expect(check({}, spCluster).outcome.status).toBe('not-applicable');
  });

  it('is error when a system-assigned identity reports no principalId', () => {
    expect(
      check({}, rawCluster('arm', { identity: { type: 'SystemAssigned' } })).outcome.status,
    ).toBe('error');
  });

  it('is error for an unresolved assignment at the subscription, but ignores one at a resource group', () => {
    const atSubscription = check({
      assignments: [
        azAssignment({
          principalId: CONTROL_PLANE_PRINCIPAL_ID,
          principalType: SP,
          role: CUSTOM_GUID,
          scope: SUB_SCOPE,
        }),
      ],
    }).outcome;
    expect(atSubscription.status).toBe('error');
    expect(atSubscription.detail).toContain(CUSTOM_GUID);
    expect(atSubscription.detail).toContain(
      `az role definition list --name ${CUSTOM_GUID} -o json`,
    );
    const atGroup = check({
      assignments: [
        azAssignment({
          principalId: CONTROL_PLANE_PRINCIPAL_ID,
          principalType: SP,
          role: CUSTOM_GUID,
          scope: RG_SCOPE,
        }),
      ],
    }).outcome;
    expect(atGroup.status).toBe('pass');
  });

  it('is error when the role assignments could not be read', () => {
    expect(
      check({
        failures: [{ subscriptionId: SUBSCRIPTION, part: 'roleAssignments', message: 'denied' }],
      }).outcome.status,
    ).toBe('error');
  });
});
