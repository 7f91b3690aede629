import { SUBSCRIPTION, rawCluster, rawClusterWithoutProperties } from '../fixtures/checks/clusters';
import { RG_SCOPE, ROLES, SUB_SCOPE, azAssignment } from '../fixtures/checks/access';
import { evaluateCheck } from '../fixtures/checks/harness';

const ALICE = 'a11ce000-0000-4000-8000-000000000001';
const BOB = 'b0b00000-0000-4000-8000-000000000001';
const GROUP = '9a000000-0000-4000-8000-000000000001';
const UNKNOWN_ROLE = 'cc000000-0000-4000-8000-000000000009';

function check(
  raw: unknown,
  assignments: Record<string, unknown>[],
  extra: Parameters<typeof evaluateCheck>[2] = {},
) {
  return evaluateCheck('privileged-access-via-groups', raw, { assignments, ...extra });
}

describe('privileged-access-via-groups', () => {
  const cluster = rawCluster('az');

  it('fails when a user holds Contributor directly, listing the user', () => {
    const assignment = azAssignment({
      principalId: ALICE,
      principalType: 'User',
      role: ROLES.contributor,
      scope: RG_SCOPE,
    });
    const { outcome, remediation } = check(cluster, [assignment]);
    expect(outcome.status).toBe('fail');
    expect(outcome.principals).toEqual([
      expect.objectContaining({
        principalId: ALICE,
        principalType: 'User',
        roleName: 'Contributor',
      }),
    ]);
    expect(remediation).toBe(`az role assignment delete --ids ${assignment.id as string}`);
  });

  it('passes when the same role goes to a group, still listing the group', () => {
    const { outcome } = check(cluster, [
      azAssignment({
        principalId: GROUP,
        principalType: 'Group',
        role: ROLES.contributor,
        scope: RG_SCOPE,
      }),
    ]);
    expect(outcome.status).toBe('pass');
    expect(outcome.principals).toEqual([
      expect.objectContaining({ principalId: GROUP, principalType: 'Group' }),
    ]);
  });

  it('is error, not pass, when an Owner assignment has no principalType (it may be a user)', () => {
    const missing = azAssignment({
      principalId: BOB,
      principalType: 'User',
      role: ROLES.owner,
      scope: RG_SCOPE,
    });
    delete missing.principalType;
    const { outcome } = check(cluster, [
      missing,
      azAssignment({
        principalId: GROUP,
        principalType: 'Group',
        role: ROLES.contributor,
        scope: RG_SCOPE,
      }),
    ]);
    expect(outcome.status).toBe('error');
    expect(outcome.detail).toContain('principal type of 1 privileged assignment is not known');
    expect(outcome.detail).toContain(BOB);
    const unknown = check(cluster, [
      azAssignment({
        principalId: BOB,
        principalType: 'Unknown',
        role: ROLES.contributor,
        scope: RG_SCOPE,
      }),
    ]);
    expect(unknown.outcome.status).toBe('error');
  });

  it('a known user still fails when another holder has no principalType', () => {
    const missing = azAssignment({
      principalId: BOB,
      principalType: 'User',
      role: ROLES.contributor,
      scope: RG_SCOPE,
    });
    delete missing.principalType;
    const { outcome } = check(cluster, [
      missing,
      azAssignment({
        principalId: ALICE,
        principalType: 'User',
        role: ROLES.contributor,
        scope: RG_SCOPE,
      }),
    ]);
    expect(outcome.status).toBe('fail');
  });

  it('passes when a user holds only an unprivileged role', () => {
    const { outcome } = check(cluster, [
      azAssignment({
        principalId: ALICE,
        principalType: 'User',
        role: ROLES.reader,
        scope: SUB_SCOPE,
      }),
    ]);
    expect(outcome.status).toBe('pass');
    expect(outcome.principals).toEqual([]);
  });

  it('matches the principal type case-insensitively', () => {
    const { outcome } = check(cluster, [
      azAssignment({
        principalId: ALICE,
        principalType: 'user',
        role: ROLES.owner,
        scope: SUB_SCOPE,
      }),
    ]);
    expect(outcome.status).toBe('fail');
  });

  it('lists every privileged principal, users and groups, when failing', () => {
    const { outcome } = check(cluster, [
      azAssignment({
        principalId: ALICE,
        principalType: 'User',
        role: ROLES.userAccessAdministrator,
        scope: SUB_SCOPE,
      }),
      azAssignment({
        principalId: GROUP,
        principalType: 'Group',
        role: ROLES.contributor,
        scope: RG_SCOPE,
      }),
      azAssignment({
        principalId: BOB,
        principalType: 'User',
        role: ROLES.reader,
        scope: RG_SCOPE,
      }),
    ]);
    expect(outcome.status).toBe('fail');
    expect(outcome.principals!.map((p) => p.principalId).sort()).toEqual([ALICE, GROUP].sort());
    expect(outcome.principals!.find((p) => p.principalId === ALICE)!.capabilities).toEqual([
      'role-assignment-write',
    ]);
  });

  it('counts Kubernetes cluster-admin through Azure RBAC only when Azure RBAC is on', () => {
    const assignment = azAssignment({
      principalId: ALICE,
      principalType: 'User',
      role: ROLES.aksRbacClusterAdmin,
      scope: RG_SCOPE,
    });
    const on = check(rawCluster('az', { aadAzureRbac: true }), [assignment]).outcome;
    expect(on.status).toBe('fail');
    expect(on.principals![0].capabilities).toContain('kubernetes-cluster-admin');
    expect(check(rawCluster('az', { aadAzureRbac: false }), [assignment]).outcome.status).toBe(
      'pass',
    );
  });

  it('is error when an unresolved role is assigned to a user', () => {
    const { outcome } = check(cluster, [
      azAssignment({
        principalId: ALICE,
        principalType: 'User',
        role: UNKNOWN_ROLE,
        scope: RG_SCOPE,
      }),
    ]);
    expect(outcome.status).toBe('error');
    expect(outcome.detail).toContain(UNKNOWN_ROLE);
    expect(outcome.detail).toContain(`az role definition list --name ${UNKNOWN_ROLE} -o json`);
  });

  it('passes when the unresolved role is assigned to a group: it cannot make this check fail', () => {
    const { outcome } = check(cluster, [
      azAssignment({
        principalId: GROUP,
        principalType: 'Group',
        role: UNKNOWN_ROLE,
        scope: RG_SCOPE,
      }),
    ]);
    expect(outcome.status).toBe('pass');
  });

  it('is error when the role assignments could not be read', () => {
    const { outcome } = check(cluster, [], {
      failures: [{ subscriptionId: '*', part: 'roleAssignments', message: 'throttled' }],
    });
    expect(outcome.status).toBe('error');
    expect(outcome.detail).toContain('throttled');
  });

  it('is error for a cluster without configuration when a user holds a role that is cluster-admin only under Azure RBAC', () => {
    const assignment = azAssignment({
      principalId: ALICE,
      principalType: 'User',
      role: ROLES.aksRbacClusterAdmin,
      scope: RG_SCOPE,
    });
    expect(check(rawClusterWithoutProperties(), [assignment]).outcome.status).toBe('error');
  });

  it('ignores assignments in another subscription', () => {
    const other = `/subscriptions/${SUBSCRIPTION.replace(/1$/, '2')}`;
    expect(
      check(cluster, [
        azAssignment({
          principalId: ALICE,
          principalType: 'User',
          role: ROLES.owner,
          scope: other,
        }),
      ]).outcome.status,
    ).toBe('pass');
  });
});
