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
    [
      'eligibility',
      'PIM eligibilities',
      'Microsoft.Authorization/roleEligibilityScheduleInstances/read',
    ],
    ['denyAssignments', 'deny assignments', 'Microsoft.Authorization/denyAssignments/read'],
  ] as const)(
    '%s: the cluster access of that subscription is unavailable, the permission named',
    (part, what, permission) => {
      const failures: SourceFailure[] = [
        {
          subscriptionId: SUB_ID,
          part,
          message: `HTTP 403 AuthorizationFailed; the auditor's identity needs ${permission}`,
        },
      ];
      const index = buildAccessIndex({ roleAssignments: [], roleDefinitions: [], failures });
      const access = index.forCluster(cluster());
      expect(access.unavailable).toContain(`${what} could not be read for subscription ${SUB_ID}`);
      expect(access.unavailable).toContain(permission);
      expect(
        index.forCluster(
          cluster({ id: CLUSTER_ID.replace(SUB_ID, OTHER_SUB_ID), subscriptionId: OTHER_SUB_ID }),
        ).unavailable,
      ).toBeUndefined();
    },
  );
});

// --- eligibility, conditions and deny assignments in the access graph ---

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_ROLE_GUIDS as G } from '../src/core/builtinRoles';
import { EVERYONE } from '../src/core/denyAssignments';
import { evaluateCluster } from '../src/core/evaluate';
import type { DenyAssignment, Directory, RoleAssignment, RoleDefinition } from '../src/core/model';

const template = (name: string) =>
  readFileSync(join(__dirname, 'fixtures', 'conditions', name), 'utf8');
const LIST_ADMIN = 'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action';
const LIST_PROFILE =
  'Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action';

let counter = 0;
function grant(
  scope: string,
  role: string,
  principalId: string,
  extra: Partial<RoleAssignment> = {},
): RoleAssignment {
  counter += 1;
  return {
    id: `${scope}/providers/Microsoft.Authorization/roleAssignments/g${counter}`,
    scope,
    principalId,
    principalType: 'User',
    roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${role}`,
    roleDefinitionGuid: role,
    ...extra,
  };
}

function deny(
  scope: string,
  actions: string[],
  extra: Partial<DenyAssignment> = {},
): DenyAssignment {
  counter += 1;
  return {
    id: `${scope}/providers/Microsoft.Authorization/denyAssignments/d${counter}`,
    scope,
    permissions: [{ actions, notActions: [], dataActions: [], notDataActions: [] }],
    principals: [{ id: EVERYONE, type: 'SystemDefined' }],
    excludePrincipals: [],
    doNotApplyToChildScopes: false,
    ...extra,
  };
}

/** Backup Contributor and Backup Reader, as `az role definition list` exports them (no cluster rights). */
const BACKUP_ROLES: RoleDefinition[] = [
  [
    '5e467623-bb1f-42f4-a55d-6e525e11384b',
    'Backup Contributor',
    [
      'Microsoft.RecoveryServices/Vaults/backupJobs/*',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
    ],
  ],
  [
    'a795c7a0-d4a2-40c1-ae25-d81f01202912',
    'Backup Reader',
    ['Microsoft.RecoveryServices/Vaults/backupJobs/read'],
  ],
].map(([guid, roleName, actions]) => ({
  id: `/providers/Microsoft.Authorization/roleDefinitions/${guid as string}`,
  guid: guid as string,
  roleName: roleName as string,
  roleType: 'BuiltInRole',
  permissions: [
    { actions: actions as string[], notActions: [], dataActions: [], notDataActions: [] },
  ],
  assignableScopes: ['/'],
}));

function accessOf(
  roleAssignments: RoleAssignment[],
  c: Cluster = cluster(),
  more: { denyAssignments?: DenyAssignment[]; directory?: Directory } = {},
) {
  const index = buildAccessIndex({
    roleAssignments,
    roleDefinitions: BACKUP_ROLES,
    failures: [],
    ...more,
  });
  return { index, access: index.forCluster(c) };
}

describe('PIM eligibility in the access graph', () => {
  it('an eligible Owner counts for who can, marked eligible', () => {
    const { access } = accessOf([
      grant(RG, G.owner, 'erin', { eligible: true }),
      grant(RG, G.owner, 'olga'),
    ]);
    const erin = access.privileged.find((p) => p.principalId === 'erin');
    expect(erin).toMatchObject({
      eligible: true,
      capabilities: expect.arrayContaining([
        'admin-credential',
        'cluster-write',
        'role-assignment-write',
      ]),
    });
    expect(access.privileged.find((p) => p.principalId === 'olga')?.eligible).toBeUndefined();
  });

  it('never makes privileged-access-via-groups fail; an active user grant does', () => {
    const now = new Date('2026-11-26T00:00:00Z');
    const viaGroups = (assignments: RoleAssignment[]) => {
      const { index, access } = accessOf(assignments);
      return evaluateCluster(cluster(), access, index, now).findings.find(
        (f) => f.checkId === 'privileged-access-via-groups',
      )!;
    };
    const eligibleOnly = viaGroups([grant(RG, G.owner, 'erin', { eligible: true })]);
    expect(eligibleOnly.status).toBe('pass');
    expect(eligibleOnly.principals?.[0]).toMatchObject({ principalId: 'erin', eligible: true });
    expect(
      viaGroups([grant(RG, G.owner, 'erin', { eligible: true }), grant(RG, G.owner, 'olga')])
        .status,
    ).toBe('fail');
  });

  it('admin-credential-access fails on an eligible holder (activation takes minutes)', () => {
    const { index, access } = accessOf([grant(RG, G.owner, 'erin', { eligible: true })]);
    const finding = evaluateCluster(cluster(), access, index, new Date()).findings.find(
      (f) => f.checkId === 'admin-credential-access',
    )!;
    expect(finding.status).toBe('fail');
  });
});

describe('conditions in the access graph', () => {
  const rbacAdmin = G.roleBasedAccessControlAdministrator;

  it('"Constrain roles" to Backup roles: the RBAC administrator cannot reach a path, so it is not privileged', () => {
    const { access } = accessOf([
      grant(RG, rbacAdmin, 'delegate', {
        condition: template('constrain-roles.txt'),
        conditionVersion: '2.0',
      }),
    ]);
    expect(access.privileged).toEqual([]);
    expect(access.assignments[0]?.capabilities).toEqual([]);
  });

  it('"Constrain roles" naming a role the estate does not know counts as a path (it cannot be ruled out)', () => {
    const index = buildAccessIndex({
      roleAssignments: [
        grant(RG, rbacAdmin, 'delegate', { condition: template('constrain-roles.txt') }),
      ],
      roleDefinitions: [],
      failures: [],
    });
    const known = new Set(
      BACKUP_ROLES.map((r) => r.guid).filter((g) => index.roleByGuid(g) !== undefined),
    );
    // Only meaningful while the shipped catalogue lacks the Backup roles.
    if (known.size === 0)
      expect(index.forCluster(cluster()).privileged[0]).toMatchObject({
        condition: 'constrained',
        capabilities: ['role-assignment-write'],
      });
    else expect(index.forCluster(cluster()).privileged).toEqual([]);
  });

  it('the ACR template (AcrPull to service principals) is not a path', () => {
    expect(
      accessOf([
        grant(RG, rbacAdmin, 'delegate', { condition: template('constrain-acr-management.txt') }),
      ]).access.privileged,
    ).toEqual([]);
  });

  it('the same without a condition is role-assignment-write', () => {
    expect(accessOf([grant(RG, rbacAdmin, 'delegate')]).access.privileged[0]?.capabilities).toEqual(
      ['role-assignment-write'],
    );
  });

  it('an Owner constrained the same way keeps its other paths, marked constrained', () => {
    const [owner] = accessOf([
      grant(RG, G.owner, 'o', { condition: template('constrain-roles.txt') }),
    ]).access.privileged;
    expect(owner).toMatchObject({
      condition: 'constrained',
      capabilities: ['admin-credential', 'cluster-write', 'run-command', 'trusted-access-write'],
    });
  });

  it('the AKS template allows AKS RBAC Cluster Admin: a path only where Azure RBAC is on', () => {
    const a = grant(RG, rbacAdmin, 'delegate', {
      condition: template('constrain-aks-cluster-management.txt'),
    });
    const on = accessOf(
      [a],
      cluster({ aadProfile: { managed: true, enableAzureRbac: true } }),
    ).access;
    expect(on.privileged[0]).toMatchObject({
      condition: 'constrained',
      capabilities: ['role-assignment-write'],
    });
    expect(accessOf([a], cluster()).access.privileged).toEqual([]);
  });

  it('"Allow all except specific roles" still lets Contributor be assigned: role-assignment-write', () => {
    const [p] = accessOf([
      grant(RG, rbacAdmin, 'delegate', {
        condition: template('allow-all-except-specific-roles.txt'),
      }),
    ]).access.privileged;
    expect(p).toMatchObject({ condition: 'constrained', capabilities: ['role-assignment-write'] });
  });

  it('a condition of another form counts as unconditional, marked not-evaluated', () => {
    const storage =
      "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'))";
    const [p] = accessOf([grant(RG, G.owner, 'o', { condition: storage })]).access.privileged;
    expect(p).toMatchObject({
      condition: 'not-evaluated',
      capabilities: [
        'admin-credential',
        'cluster-write',
        'role-assignment-write',
        'run-command',
        'trusted-access-write',
      ],
    });
  });
});

describe('deny assignments in the access graph', () => {
  it('a deny of both credential actions to Everyone takes admin-credential from a Contributor', () => {
    const { access } = accessOf([grant(RG, G.contributor, 'c')], cluster(), {
      denyAssignments: [deny(RG, [LIST_ADMIN, LIST_PROFILE])],
    });
    expect(access.privileged[0]?.capabilities).toEqual([
      'cluster-write',
      'run-command',
      'trusted-access-write',
    ]);
  });

  it('denying only listClusterAdminCredential leaves the access-profile route: admin-credential stays', () => {
    const { access } = accessOf([grant(RG, G.contributor, 'c')], cluster(), {
      denyAssignments: [deny(RG, [LIST_ADMIN])],
    });
    expect(access.privileged[0]?.capabilities).toContain('admin-credential');
  });

  it('an excluded principal keeps everything; others lose it', () => {
    const d = deny(RG, ['Microsoft.ContainerService/*'], {
      excludePrincipals: [{ id: 'breakglass', type: 'User' }],
    });
    const { access } = accessOf(
      [grant(RG, G.owner, 'breakglass'), grant(RG, G.owner, 'o')],
      cluster(),
      { denyAssignments: [d] },
    );
    expect(access.privileged.map((p) => [p.principalId, p.capabilities])).toEqual([
      [
        'breakglass',
        [
          'admin-credential',
          'cluster-write',
          'role-assignment-write',
          'run-command',
          'trusted-access-write',
        ],
      ],
      ['o', ['role-assignment-write']],
    ]);
  });

  it('a deny to a group applies only when its membership is known; to the group itself always', () => {
    const d = deny(RG, [LIST_ADMIN, LIST_PROFILE], { principals: [{ id: 'ops', type: 'Group' }] });
    const assignments = [
      grant(RG, G.contributor, 'alice'),
      grant(RG, G.contributor, 'ops', { principalType: 'Group' }),
    ];
    const unknown = accessOf(assignments, cluster(), { denyAssignments: [d] }).access;
    expect(unknown.privileged.map((p) => p.capabilities.includes('admin-credential'))).toEqual([
      true,
      false,
    ]);
    const directory: Directory = {
      source: 'principals.json',
      complete: true,
      principals: [{ id: 'ops', principalType: 'Group', members: ['alice'] }],
    };
    const known = accessOf(assignments, cluster(), { denyAssignments: [d], directory }).access;
    expect(known.privileged.map((p) => p.capabilities.includes('admin-credential'))).toEqual([
      false,
      false,
    ]);
  });

  it('a principal left with nothing is no longer privileged; a cluster no deny covers keeps shared views', () => {
    const d = deny(CLUSTER_ID, ['*'], { doNotApplyToChildScopes: true });
    const { access } = accessOf([grant(RG, G.contributor, 'c')], cluster(), {
      denyAssignments: [d],
    });
    expect(access.privileged).toEqual([]);
    expect(access.assignments).toHaveLength(1);
    const other = accessOf([grant(RG, G.contributor, 'c')], cluster(), {
      denyAssignments: [deny(`${SUB}/resourceGroups/rg-other`, ['*'])],
    }).access;
    expect(other.privileged).toHaveLength(1);
  });
});
