import {
  CLUSTER_ID,
  CLUSTER_NAME,
  RESOURCE_GROUP,
  SUBSCRIPTION,
  rawCluster,
  rawClusterWithoutProperties,
} from '../fixtures/checks/clusters';
import {
  RG_SCOPE,
  ROLES,
  SUB_SCOPE,
  armAssignment,
  azAssignment,
  azCustomRole,
} from '../fixtures/checks/access';
import { evaluateCheck } from '../fixtures/checks/harness';

const ALICE = 'a11ce000-0000-4000-8000-000000000001';
const PLATFORM_GROUP = '9a000000-0000-4000-8000-000000000001';
const LOCAL_ON = rawCluster('az', { disableLocalAccounts: false });
const LOCAL_OFF = rawCluster('az', { disableLocalAccounts: true });
const CUSTOM_GUID = 'cc000000-0000-4000-8000-000000000001';

function check(raw: unknown, fixture: Parameters<typeof evaluateCheck>[2] = {}) {
  return evaluateCheck('admin-credential-access', raw, fixture);
}

describe('admin-credential-access', () => {
  it('fails when local accounts are on and a user holds Contributor at the resource group, listing the principal', () => {
    const assignment = azAssignment({
      principalId: ALICE,
      principalType: 'User',
      role: ROLES.contributor,
      scope: RG_SCOPE,
    });
    const { outcome, remediation } = check(LOCAL_ON, { assignments: [assignment] });
    expect(outcome.status).toBe('fail');
    expect(outcome.principals).toEqual([
      expect.objectContaining({
        principalId: ALICE,
        principalType: 'User',
        roleName: 'Contributor',
        scope: RG_SCOPE,
        capabilities: expect.arrayContaining(['admin-credential', 'cluster-write']),
      }),
    ]);
    expect(outcome.detail).toContain(ALICE);
    expect(outcome.detail).toContain('Contributor');
    expect(remediation).toBe(
      `az aks update -g ${RESOURCE_GROUP} -n ${CLUSTER_NAME} --disable-local-accounts`,
    );
  });

  it('passes when local accounts are disabled, still listing who holds the credential action', () => {
    const assignment = azAssignment({
      principalId: ALICE,
      principalType: 'User',
      role: ROLES.contributor,
      scope: RG_SCOPE,
    });
    const { outcome } = check(LOCAL_OFF, { assignments: [assignment] });
    expect(outcome.status).toBe('pass');
    expect(outcome.principals).toHaveLength(1);
    expect(outcome.principals![0].principalId).toBe(ALICE);
    expect(outcome.detail).toMatch(/disabled/);
  });

  it('treats an absent disableLocalAccounts as local accounts enabled', () => {
    const raw = rawCluster('arm', { disableLocalAccounts: undefined });
    const { outcome } = check(raw, {
      assignments: [azAssignment({ principalId: ALICE, role: ROLES.owner, scope: SUB_SCOPE })],
    });
    expect(outcome.status).toBe('fail');
  });

  it('passes with no principal listed when only readers are assigned', () => {
    const { outcome } = check(LOCAL_ON, {
      assignments: [azAssignment({ principalId: ALICE, role: ROLES.reader, scope: RG_SCOPE })],
    });
    expect(outcome.status).toBe('pass');
    expect(outcome.principals).toEqual([]);
  });

  it('passes when nobody at all is assigned', () => {
    expect(check(LOCAL_ON).outcome).toEqual(
      expect.objectContaining({ status: 'pass', principals: [] }),
    );
  });

  it('fails for the AKS Cluster Admin Role at the cluster itself, in ARM shape', () => {
    const assignment = armAssignment({
      principalId: PLATFORM_GROUP,
      principalType: 'Group',
      role: ROLES.aksClusterAdminRole,
      scope: CLUSTER_ID,
    });
    const { outcome } = check(rawCluster('arm', { disableLocalAccounts: false }), {
      assignments: [assignment],
    });
    expect(outcome.status).toBe('fail');
    expect(outcome.principals!.map((p) => p.capabilities)).toEqual([
      expect.arrayContaining(['admin-credential']),
    ]);
  });

  it('ignores a Contributor on a sibling resource group whose name merely starts the same', () => {
    const sibling = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}2`;
    const { outcome } = check(LOCAL_ON, {
      assignments: [azAssignment({ principalId: ALICE, role: ROLES.contributor, scope: sibling })],
    });
    expect(outcome.status).toBe('pass');
    expect(outcome.principals).toEqual([]);
  });

  it('fails for a custom role that grants the older accessProfiles/listCredential action', () => {
    const role = azCustomRole({
      guid: CUSTOM_GUID,
      roleName: 'Cluster profile reader',
      actions: ['Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action'],
    });
    const { outcome } = check(LOCAL_ON, {
      assignments: [
        azAssignment({ principalId: PLATFORM_GROUP, role: CUSTOM_GUID, scope: RG_SCOPE }),
      ],
      definitions: [role],
    });
    expect(outcome.status).toBe('fail');
    expect(outcome.principals![0].roleName).toBe('Cluster profile reader');
  });

  it('lists every holder: several principals through several scopes', () => {
    const { outcome } = check(LOCAL_ON, {
      assignments: [
        azAssignment({
          principalId: ALICE,
          principalType: 'User',
          role: ROLES.contributor,
          scope: RG_SCOPE,
        }),
        azAssignment({ principalId: PLATFORM_GROUP, role: ROLES.owner, scope: SUB_SCOPE }),
        azAssignment({
          principalId: 'dddd0000-0000-4000-8000-000000000001',
          role: ROLES.reader,
          scope: SUB_SCOPE,
        }),
      ],
    });
    expect(outcome.status).toBe('fail');
    expect(outcome.principals!.map((p) => p.principalId).sort()).toEqual(
      [ALICE, PLATFORM_GROUP].sort(),
    );
  });

  describe('unresolved role definitions', () => {
    const unresolved = azAssignment({
      principalId: PLATFORM_GROUP,
      role: CUSTOM_GUID,
      scope: RG_SCOPE,
      roleName: 'Mystery role',
    });

    it('is error when local accounts are on and only an unresolved assignment covers the cluster, with the export hint', () => {
      const { outcome } = check(LOCAL_ON, { assignments: [unresolved] });
      expect(outcome.status).toBe('error');
      expect(outcome.detail).toContain(CUSTOM_GUID);
      expect(outcome.detail).toContain(`az role definition list --name ${CUSTOM_GUID} -o json`);
      expect(outcome.detail).toContain('Microsoft.Authorization/roleDefinitions/read');
    });

    it('still fails when a resolved assignment already fails, mentioning the unresolved one', () => {
      const { outcome } = check(LOCAL_ON, {
        assignments: [
          unresolved,
          azAssignment({
            principalId: ALICE,
            principalType: 'User',
            role: ROLES.contributor,
            scope: RG_SCOPE,
          }),
        ],
      });
      expect(outcome.status).toBe('fail');
      expect(outcome.detail).toContain(CUSTOM_GUID);
      expect(outcome.principals!.map((p) => p.principalId)).toEqual([ALICE]);
    });

    it('passes when local accounts are disabled: the unresolved role cannot change the outcome', () => {
      expect(check(LOCAL_OFF, { assignments: [unresolved] }).outcome.status).toBe('pass');
    });

    it('resolves once the custom role is exported', () => {
      const role = azCustomRole({
        guid: CUSTOM_GUID,
        roleName: 'Mystery role',
        actions: ['Microsoft.ContainerService/managedClusters/read'],
      });
      expect(
        check(LOCAL_ON, { assignments: [unresolved], definitions: [role] }).outcome.status,
      ).toBe('pass');
    });
  });

  it('is error when the role assignments of the subscription could not be read', () => {
    const { outcome } = check(LOCAL_ON, {
      assignments: [azAssignment({ principalId: ALICE, role: ROLES.contributor, scope: RG_SCOPE })],
      failures: [
        { subscriptionId: SUBSCRIPTION, part: 'roleAssignments', message: 'AuthorizationFailed' },
      ],
    });
    expect(outcome.status).toBe('error');
    expect(outcome.detail).toContain('AuthorizationFailed');
  });

  it('is error when the cluster configuration is missing but someone holds the credential action', () => {
    const { outcome } = check(rawClusterWithoutProperties(), {
      assignments: [azAssignment({ principalId: ALICE, role: ROLES.contributor, scope: RG_SCOPE })],
    });
    expect(outcome.status).toBe('error');
    expect(outcome.principals).toHaveLength(1);
  });

  it('passes for a cluster without configuration when nobody holds the credential action', () => {
    expect(check(rawClusterWithoutProperties()).outcome.status).toBe('pass');
  });
});

describe('admin-credential-access on catalogue 2', () => {
  const userRole = (raw: unknown) =>
    check(raw, {
      assignments: [
        azAssignment({ principalId: ALICE, role: ROLES.aksClusterUserRole, scope: RG_SCOPE }),
      ],
    }).outcome;

  it('without Entra integration, AKS Cluster User Role holds the admin kubeconfig: fails', () => {
    const outcome = userRole(rawCluster('arm', { aadProfile: null, disableLocalAccounts: false }));
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toContain('Azure Kubernetes Service Cluster User Role');
    expect(outcome.principals).toEqual([
      expect.objectContaining({ principalId: ALICE, capabilities: ['admin-credential'] }),
    ]);
  });

  it('with Entra integration, the same role lists nobody and passes', () => {
    const outcome = userRole(rawCluster('arm', { disableLocalAccounts: false }));
    expect(outcome.status).toBe('pass');
    expect(outcome.principals).toEqual([]);
  });

  it('a cluster without Entra integration fails whatever disableLocalAccounts says', () => {
    const outcome = userRole(rawCluster('az', { aadProfile: null, disableLocalAccounts: true }));
    expect(outcome.status).toBe('fail');
  });

  it('marks approved holders but still fails: the static kubeconfig bypasses Entra whoever holds it', () => {
    const { outcome } = evaluateCheck(
      'admin-credential-access',
      LOCAL_ON,
      {
        assignments: [
          azAssignment({ principalId: PLATFORM_GROUP, role: ROLES.owner, scope: SUB_SCOPE }),
        ],
      },
      { approvedAdmins: new Set([PLATFORM_GROUP]) },
    );
    expect(outcome.status).toBe('fail');
    expect(outcome.principals).toEqual([
      expect.objectContaining({ principalId: PLATFORM_GROUP, approved: true }),
    ]);
  });
});
