import { buildAccessIndex } from '../../src/core/access';
import { checkById } from '../../src/core/checks';
import { groupMembersOf, describeMembers, privilegedGroupIds } from '../../src/core/groupMembers';
import type { DirectoryPrincipal, Estate, SourceFailure } from '../../src/core/model';
import { normaliseCluster, normaliseRoleAssignment } from '../../src/core/normalise';
import { applyDirectory, directoryIndex } from '../../src/core/principals';
import {
  ADMIN_GROUP_ID,
  RESOURCE_GROUP,
  SUBSCRIPTION,
  rawCluster,
} from '../fixtures/checks/clusters';
import { RG_SCOPE, ROLES, SUB_SCOPE, azAssignment } from '../fixtures/checks/access';

const KNOWN = '00000000-0000-4000-b000-000000000001';
const GONE = '00000000-0000-4000-b000-0000000000ee';
const GROUP = '00000000-0000-4000-c000-000000000001';

function estateOf(
  assignments: Record<string, unknown>[],
  principals?: DirectoryPrincipal[],
  failures: SourceFailure[] = [],
): Estate {
  const estate: Estate = {
    source: 'snapshot',
    clusters: [normaliseCluster(rawCluster('az'), 'clusters.json[0]')],
    roleAssignments: assignments.map((raw, i) => normaliseRoleAssignment(raw, `ra[${i}]`)),
    roleDefinitions: [],
    failures,
    federatedCredentials: [],
  };
  if (principals) estate.directory = { source: 'principals.json', principals, complete: true };
  return applyDirectory(estate);
}

function orphaned(estate: Estate) {
  const cluster = estate.clusters[0];
  const index = buildAccessIndex(estate);
  const check = checkById('orphaned-role-assignments')!;
  const outcome = check.evaluate({ cluster, access: index.forCluster(cluster), index, estate });
  return {
    ...outcome,
    remediation: check.remediation(cluster, { assignmentIds: outcome.assignmentIds }),
  };
}

describe('orphaned-role-assignments', () => {
  const gone = azAssignment({
    principalId: GONE,
    principalType: 'User',
    role: ROLES.reader,
    scope: RG_SCOPE,
  });
  const known = azAssignment({
    principalId: KNOWN,
    principalType: 'User',
    role: ROLES.reader,
    scope: SUB_SCOPE,
  });

  it('fails for an assignment over the cluster whose principal the directory does not list, with the delete command', () => {
    const outcome = orphaned(
      estateOf([gone, known], [{ id: KNOWN, principalType: 'User', displayName: 'Alice' }]),
    );
    expect(outcome.status).toBe('fail');
    expect(outcome.principals).toEqual([
      expect.objectContaining({ principalId: GONE, deleted: true, roleName: 'Reader' }),
    ]);
    expect(outcome.detail).toContain('(deleted)');
    expect(outcome.remediation).toBe(`az role assignment delete --ids ${gone.id as string}`);
  });

  it('passes when every principal is known, and ignores deleted principals of assignments elsewhere', () => {
    const elsewhere = azAssignment({
      principalId: GONE,
      principalType: 'User',
      role: ROLES.reader,
      scope: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}-other`,
    });
    expect(orphaned(estateOf([known, elsewhere], [{ id: KNOWN }])).status).toBe('pass');
  });

  it('is not applicable without directory data, and an error when the directory could not be read', () => {
    expect(orphaned(estateOf([gone])).status).toBe('not-applicable');
    const failed = orphaned(
      estateOf([gone], undefined, [
        { subscriptionId: '*', part: 'directory', message: 'Microsoft Graph refused (403)' },
      ]),
    );
    expect(failed.status).toBe('error');
    expect(failed.detail).toContain('Microsoft Graph refused (403)');
  });
});

describe('group members', () => {
  const users: DirectoryPrincipal[] = [
    {
      id: 'u1',
      principalType: 'User',
      displayName: 'Alice',
      userPrincipalName: 'alice@contoso.example',
      userType: 'Member',
      accountEnabled: true,
    },
    {
      id: 'u2',
      principalType: 'User',
      displayName: 'Gita',
      userPrincipalName: 'gita@fabrikam.example',
      userType: 'Guest',
    },
    {
      id: 'u3',
      principalType: 'User',
      displayName: 'Dan',
      userPrincipalName: 'dan@contoso.example',
      accountEnabled: false,
    },
    { id: 'sp1', principalType: 'ServicePrincipal', displayName: 'robot' },
  ];
  const nested: DirectoryPrincipal = { id: 'g2', principalType: 'Group', members: ['u3', 'g1'] };
  const group: DirectoryPrincipal = {
    id: 'g1',
    principalType: 'Group',
    members: ['u1', 'u2', 'g2', 'sp1', 'unknown-id', 'u1'],
  };
  const byId = directoryIndex({
    source: 't',
    principals: [...users, nested, group],
    complete: true,
  });

  it('expands nested groups once, keeps people only, flags guests and disabled accounts, lists unknown ids by id', () => {
    expect(groupMembersOf(group, byId)).toEqual({
      count: 4,
      users: [
        {
          id: 'u1',
          displayName: 'Alice',
          userPrincipalName: 'alice@contoso.example',
          guest: false,
          enabled: true,
        },
        {
          id: 'u3',
          displayName: 'Dan',
          userPrincipalName: 'dan@contoso.example',
          guest: false,
          enabled: false,
        },
        {
          id: 'u2',
          displayName: 'Gita',
          userPrincipalName: 'gita@fabrikam.example',
          guest: true,
          enabled: true,
        },
        { id: 'unknown-id', guest: false, enabled: true },
      ],
    });
  });

  it('is unknown for a group without members, and keeps the count of a bounded listing', () => {
    expect(groupMembersOf({ id: 'g3', principalType: 'Group' }, byId)).toBeUndefined();
    const big = groupMembersOf(
      { id: 'g4', principalType: 'Group', members: ['u1'], memberCount: 1500 },
      byId,
    )!;
    expect(big.count).toBe(1500);
    expect(describeMembers(big)).toBe(
      '1500 members: Alice (alice@contoso.example) · User u1 and 1499 more',
    );
    expect(describeMembers(groupMembersOf(group, byId)!, 3)).toBe(
      '4 members: Alice (alice@contoso.example) · User u1; Dan (dan@contoso.example) [disabled] · User u3; Gita (gita@fabrikam.example) [guest] · User u2 and 1 more',
    );
    // A member the directory does not describe is named by its id alone.
    expect(describeMembers(groupMembersOf(group, byId)!, 4)).toMatch(/; User unknown-id$/);
  });

  it('asks for the groups with a cluster-admin path and the clusters’ admin groups, not for groups with no such path', () => {
    const estate = estateOf([
      azAssignment({
        principalId: GROUP,
        principalType: 'Group',
        role: ROLES.contributor,
        scope: RG_SCOPE,
      }),
      azAssignment({
        principalId: 'c0000000-0000-4000-c000-000000000009',
        principalType: 'Group',
        role: ROLES.reader,
        scope: RG_SCOPE,
      }),
    ]);
    expect(privilegedGroupIds(estate)).toEqual([ADMIN_GROUP_ID, GROUP]);
  });
});
