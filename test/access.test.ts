import { buildAccessIndex, roleCapabilities } from '../src/core/access';
import { BUILTIN_ROLE_GUIDS as G } from '../src/core/builtinRoles';
import type {
  Cluster,
  Estate,
  RoleAssignment,
  RoleDefinition,
  SourceFailure,
} from '../src/core/model';
import { scopeCovers } from '../src/core/scope';

const SUB_ID = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';
const OTHER_SUB_ID = '9c2e7f52-7a39-4d0e-8b1f-2a4c6e8d0f13';
const SUB = `/subscriptions/${SUB_ID}`;
const RG = `${SUB}/resourceGroups/rg-prod`;
const CLUSTER_ID = `${RG}/providers/Microsoft.ContainerService/managedClusters/aks-prod`;
const MG = '/providers/Microsoft.Management/managementGroups/platform';
const ROLE_DEFS = '/providers/Microsoft.Authorization/roleDefinitions';

/** Owner's paths over a cluster with Entra, run command on, Azure RBAC off. */
const OWNER_OVER_CLUSTER = [
  'admin-credential',
  'cluster-write',
  'role-assignment-write',
  'run-command',
  'trusted-access-write',
];

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

let assignmentCounter = 0;
function assignment(
  scope: string,
  roleGuid: string,
  principalId: string,
  extra: Partial<RoleAssignment> = {},
): RoleAssignment {
  assignmentCounter += 1;
  return {
    id: `${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/roleAssignments/ra-${assignmentCounter}`,
    scope,
    principalId,
    principalType: 'Group',
    roleDefinitionId: `${SUB}${ROLE_DEFS}/${roleGuid}`,
    roleDefinitionGuid: roleGuid.toLowerCase(),
    ...extra,
  };
}

function customRole(
  guid: string,
  roleName: string,
  actions: string[],
  dataActions: string[] = [],
): RoleDefinition {
  return {
    id: `${SUB}${ROLE_DEFS}/${guid}`,
    guid,
    roleName,
    roleType: 'CustomRole',
    permissions: [{ actions, notActions: [], dataActions, notDataActions: [] }],
    assignableScopes: [SUB],
  };
}

function index(
  roleAssignments: RoleAssignment[],
  roleDefinitions: RoleDefinition[] = [],
  failures: SourceFailure[] = [],
): ReturnType<typeof buildAccessIndex> {
  const estate: Pick<Estate, 'roleAssignments' | 'roleDefinitions' | 'failures'> = {
    roleAssignments,
    roleDefinitions,
    failures,
  };
  return buildAccessIndex(estate);
}

const scopesOf = (access: { assignments: { assignment: RoleAssignment }[] }) =>
  access.assignments.map((r) => r.assignment.scope);

describe('forCluster: which assignments cover the cluster', () => {
  it.each([
    ['the cluster itself', CLUSTER_ID, true],
    ['its resource group', RG, true],
    ['its resource group, lower-case resourcegroups', `${SUB}/resourcegroups/RG-PROD`, true],
    ['its resource group with a trailing slash', `${RG}/`, true],
    ['its subscription', SUB, true],
    ['its subscription in upper case', SUB.toUpperCase(), true],
    ['the tenant root', '/', true],
    ['a resource group whose name extends rg-prod', `${SUB}/resourceGroups/rg-prod2`, false],
    ['another resource group', `${SUB}/resourceGroups/rg-dev`, false],
    ['another subscription', `/subscriptions/${OTHER_SUB_ID}`, false],
    ['a sibling resource', `${RG}/providers/Microsoft.Storage/storageAccounts/stprod`, false],
    ['a cluster whose name extends aks-prod', `${CLUSTER_ID}-2`, false],
    ['a child of the cluster (agent pool)', `${CLUSTER_ID}/agentPools/np1`, false],
  ])('%s (%s) -> %s', (_what, scope, covers) => {
    const a = assignment(scope, G.reader, 'p1');
    expect(
      index([a])
        .forCluster(cluster())
        .assignments.map((r) => r.assignment),
    ).toEqual(covers ? [a] : []);
  });

  it('orders the assignments from the most specific scope to root', () => {
    const atRoot = assignment('/', G.reader, 'p');
    const atSub = assignment(SUB, G.reader, 'p');
    const atRg = assignment(RG, G.reader, 'p');
    const atCluster = assignment(CLUSTER_ID, G.reader, 'p');
    const atMg = assignment(MG, G.reader, 'p', { listedInSubscriptionId: SUB_ID });
    const access = index([atRoot, atMg, atSub, atRg, atCluster]).forCluster(cluster());
    expect(scopesOf(access)).toEqual([CLUSTER_ID, RG, SUB, MG, '/']);
  });

  it('matches the cluster id case-insensitively and with a trailing slash', () => {
    const a = assignment(RG, G.reader, 'p');
    const ix = index([a]);
    expect(ix.forCluster(cluster({ id: `${CLUSTER_ID.toUpperCase()}/` })).assignments).toHaveLength(
      1,
    );
  });

  it('still finds subscription and resource-group assignments when the cluster id is malformed', () => {
    const atSub = assignment(SUB, G.reader, 'p');
    const atRg = assignment(RG, G.reader, 'p');
    const access = index([atSub, atRg]).forCluster(cluster({ id: 'aks-prod' }));
    expect(scopesOf(access)).toEqual([RG, SUB]);
  });

  it('finds assignments on a parent resource for an id nested under a non-cluster resource', () => {
    const parent = `${RG}/providers/Microsoft.Foo/bars/b1`;
    const onParent = assignment(parent, G.owner, 'p');
    const onParentOddlyWritten = assignment(`${parent.toUpperCase()}//`, G.reader, 'q');
    const onSibling = assignment(`${RG}/providers/Microsoft.Foo/bars/b10`, G.owner, 'r');
    const access = index([onParent, onParentOddlyWritten, onSibling]).forCluster(
      cluster({ id: `${parent}/children/c1` }),
    );
    expect(access.assignments.map((r) => r.assignment)).toEqual([onParent, onParentOddlyWritten]);
  });

  it('finds an assignment on the cluster written with a trailing slash or odd case', () => {
    const a = assignment(`${CLUSTER_ID.toUpperCase()}/`, G.owner, 'p');
    expect(index([a]).forCluster(cluster()).assignments).toHaveLength(1);
  });

  it('echoes the cluster id as given', () => {
    expect(index([]).forCluster(cluster({ id: `${CLUSTER_ID}/` })).clusterId).toBe(
      `${CLUSTER_ID}/`,
    );
  });

  it('an empty estate gives empty lists and no unavailability', () => {
    expect(index([]).forCluster(cluster())).toEqual({
      clusterId: CLUSTER_ID,
      assignments: [],
      privileged: [],
      unresolved: [],
    });
  });
});

describe('forCluster: management groups', () => {
  it('applies a management-group assignment listed in the cluster subscription', () => {
    const a = assignment(MG, G.owner, 'p', { listedInSubscriptionId: SUB_ID.toUpperCase() });
    expect(index([a]).forCluster(cluster()).assignments).toHaveLength(1);
  });

  it('does not apply one listed only in another subscription', () => {
    const a = assignment(MG, G.owner, 'p', { listedInSubscriptionId: OTHER_SUB_ID });
    expect(index([a]).forCluster(cluster()).assignments).toHaveLength(0);
  });

  it('applies one whose listing is unknown to every cluster (the safe side)', () => {
    const a = assignment(MG, G.owner, 'p');
    const ix = index([a]);
    expect(ix.forCluster(cluster()).assignments).toHaveLength(1);
    expect(
      ix.forCluster(
        cluster({
          id: `/subscriptions/${OTHER_SUB_ID}/resourceGroups/x/providers/Microsoft.ContainerService/managedClusters/y`,
          subscriptionId: OTHER_SUB_ID,
        }),
      ).assignments,
    ).toHaveLength(1);
  });

  it('counts the same management-group assignment once when listed with and without a subscription', () => {
    const listed = assignment(MG, G.owner, 'p', { listedInSubscriptionId: SUB_ID });
    const unlisted: RoleAssignment = { ...listed, listedInSubscriptionId: undefined };
    const access = index([listed, unlisted]).forCluster(cluster());
    expect(access.assignments).toHaveLength(1);
    expect(access.privileged).toHaveLength(1);
  });

  it('with listed and unlisted groups, each subscription sees its own listing plus the unlisted ones', () => {
    const listedHere = assignment(MG, G.owner, 'here', { listedInSubscriptionId: SUB_ID });
    const listedThere = assignment(MG, G.contributor, 'there', {
      listedInSubscriptionId: OTHER_SUB_ID,
    });
    const unlisted = assignment(MG, G.userAccessAdministrator, 'anywhere');
    const ix = index([listedHere, listedThere, unlisted]);
    const other = cluster({
      id: `/subscriptions/${OTHER_SUB_ID}/resourceGroups/x/providers/Microsoft.ContainerService/managedClusters/y`,
      subscriptionId: OTHER_SUB_ID,
    });
    for (let round = 0; round < 2; round++) {
      expect(ix.forCluster(cluster()).privileged.map((p) => p.principalId)).toEqual([
        'here',
        'anywhere',
      ]);
      expect(ix.forCluster(other).privileged.map((p) => p.principalId)).toEqual([
        'there',
        'anywhere',
      ]);
    }
  });

  it('derives the subscription from the cluster id when the field is empty', () => {
    const a = assignment(MG, G.owner, 'p', { listedInSubscriptionId: SUB_ID });
    expect(index([a]).forCluster(cluster({ subscriptionId: '' })).assignments).toHaveLength(1);
  });

  it('applies every listing when the cluster subscription cannot be known at all', () => {
    const a = assignment(MG, G.owner, 'p', { listedInSubscriptionId: OTHER_SUB_ID });
    expect(
      index([a]).forCluster(cluster({ id: 'aks-prod', subscriptionId: '' })).assignments,
    ).toHaveLength(1);
  });
});

describe('forCluster: duplicates', () => {
  it('a root assignment returned by several subscription listings counts once', () => {
    const a = assignment('/', G.owner, 'p', { listedInSubscriptionId: SUB_ID });
    const copy: RoleAssignment = { ...a, listedInSubscriptionId: OTHER_SUB_ID };
    const access = index([a, copy]).forCluster(cluster());
    expect(access.assignments).toHaveLength(1);
    expect(access.privileged).toHaveLength(1);
  });

  it('two distinct assignments of the same principal and role at one scope are both kept', () => {
    const a = assignment(RG, G.owner, 'p');
    const b = assignment(RG, G.owner, 'p');
    expect(index([a, b]).forCluster(cluster()).assignments).toHaveLength(2);
  });

  it('entries sharing an id but granting different roles are both kept (never hide access)', () => {
    const a = assignment(RG, G.reader, 'p');
    const b: RoleAssignment = {
      ...a,
      roleDefinitionGuid: G.owner,
      roleDefinitionId: `${ROLE_DEFS}/${G.owner}`,
    };
    const access = index([a, b]).forCluster(cluster());
    expect(access.assignments).toHaveLength(2);
    expect(access.privileged).toHaveLength(1);
  });
});

describe('forCluster: roles and capabilities', () => {
  it('reports an Owner at the resource group with role name, scope and id as given', () => {
    const a = assignment(`${SUB}/resourcegroups/RG-PROD`, G.owner, 'p-owner', {
      principalType: 'User',
    });
    const access = index([a]).forCluster(cluster());
    expect(access.privileged).toEqual([
      {
        principalId: 'p-owner',
        principalType: 'User',
        roleName: 'Owner',
        roleDefinitionId: a.roleDefinitionId,
        scope: `${SUB}/resourcegroups/RG-PROD`,
        capabilities: OWNER_OVER_CLUSTER,
      },
    ]);
    expect(access.assignments[0].role?.roleName).toBe('Owner');
    expect(access.assignments[0].capabilities).toEqual(OWNER_OVER_CLUSTER);
  });

  it('Contributor and AKS Cluster Admin Role hold admin-credential; Reader does not', () => {
    const access = index([
      assignment(SUB, G.contributor, 'contributor'),
      assignment(CLUSTER_ID, G.aksClusterAdminRole, 'aks-admin'),
      assignment(RG, G.reader, 'reader'),
    ]).forCluster(cluster());
    const byPrincipal = Object.fromEntries(
      access.privileged.map((p) => [p.principalId, p.capabilities]),
    );
    // The subscription covers the node resource group too (AKS creates it there): node-access.
    // AKS Cluster Admin Role lists runcommand/action too.
    expect(byPrincipal).toEqual({
      'aks-admin': ['admin-credential', 'run-command'],
      contributor: [
        'admin-credential',
        'cluster-write',
        'run-command',
        'trusted-access-write',
        'node-access',
      ],
    });
    expect(access.assignments).toHaveLength(3);
    expect(access.unresolved).toEqual([]);
  });

  it('AKS RBAC Cluster Admin is kubernetes-cluster-admin only with Azure RBAC on', () => {
    const ix = index([assignment(CLUSTER_ID, G.aksRbacClusterAdmin, 'k8s-admin')]);
    const off = ix.forCluster(cluster());
    expect(off.privileged).toEqual([]);
    expect(off.assignments[0].capabilities).toEqual([]);
    const on = ix.forCluster(cluster({ aadProfile: { managed: true, enableAzureRbac: true } }));
    expect(on.privileged.map((p) => p.capabilities)).toEqual([['kubernetes-cluster-admin']]);
    // Without Entra there is no Azure RBAC, but the role's listClusterUserCredential is the admin kubeconfig.
    expect(
      ix.forCluster(cluster({ aadProfile: null })).privileged.map((p) => p.capabilities),
    ).toEqual([['admin-credential']]);
  });

  it('AKS RBAC Writer is not privileged even with Azure RBAC on', () => {
    const access = index([assignment(CLUSTER_ID, G.aksRbacWriter, 'w')]).forCluster(
      cluster({ aadProfile: { managed: true, enableAzureRbac: true } }),
    );
    expect(access.privileged).toEqual([]);
    expect(access.assignments).toHaveLength(1);
  });

  it('a custom role with only the access-profile credential action is admin-credential', () => {
    const role = customRole('11111111-2222-3333-4444-555555555555', 'kubeconfig getter', [
      'Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action',
    ]);
    const access = index([assignment(RG, role.guid, 'getter')], [role]).forCluster(cluster());
    expect(access.privileged.map((p) => [p.roleName, p.capabilities])).toEqual([
      ['kubeconfig getter', ['admin-credential']],
    ]);
  });

  it('resolves a role from the full roleDefinitionId when the guid field is empty', () => {
    const a = assignment(RG, G.owner, 'p', {
      roleDefinitionGuid: '',
      roleDefinitionId: `${SUB}${ROLE_DEFS}/${G.owner.toUpperCase()}`,
    });
    const access = index([a]).forCluster(cluster());
    expect(access.privileged).toHaveLength(1);
    expect(access.unresolved).toEqual([]);
  });

  it('an estate definition wins over the built-in with the same guid', () => {
    const neutered: RoleDefinition = {
      ...customRole(G.owner, 'Owner (as exported)', ['*/read']),
      roleType: 'BuiltInRole',
    };
    const ix = index([assignment(RG, G.owner, 'p')], [neutered]);
    expect(ix.forCluster(cluster()).privileged).toEqual([]);
    expect(ix.roleByGuid(G.owner)?.roleName).toBe('Owner (as exported)');
  });

  it('an estate definition without a guid field is keyed by the last segment of its id', () => {
    const role = {
      ...customRole('AAAAAAAA-0000-0000-0000-000000000001', 'writer', [
        'Microsoft.ContainerService/managedClusters/write',
      ]),
      guid: '',
    };
    const ix = index([assignment(RG, 'aaaaaaaa-0000-0000-0000-000000000001', 'p')], [role]);
    expect(ix.forCluster(cluster()).privileged.map((p) => p.capabilities)).toEqual([
      ['cluster-write'],
    ]);
  });

  it('falls back to the assignment role name, then the guid, when the definition has none', () => {
    const guid = '22222222-0000-0000-0000-000000000002';
    const nameless = { ...customRole(guid, '', ['*']) };
    const withName = assignment(RG, guid, 'a', { roleDefinitionName: 'Platform Admin' });
    const withoutName = assignment(RG, guid, 'b');
    const access = index([withName, withoutName], [nameless]).forCluster(cluster());
    expect(access.privileged.map((p) => p.roleName)).toEqual(['Platform Admin', guid]);
  });

  it('capabilities are computed once per role, whatever the number of assignments', () => {
    const many = Array.from({ length: 50 }, (_, i) => assignment(RG, G.contributor, `p${i}`));
    const access = index(many).forCluster(cluster());
    const first = access.assignments[0].capabilities;
    expect(access.assignments.every((r) => r.capabilities === first)).toBe(true);
    expect(first).toBe(
      roleCapabilities(index([]).roleByGuid(G.contributor)!, {
        azureRbac: false,
        withoutEntra: false,
        runCommand: true,
        coversCluster: true,
        coversNodes: false,
      }),
    );
  });
});

describe('forCluster: unresolved roles', () => {
  it('reports an assignment whose role is unknown, never silently ignores it', () => {
    const a = assignment(RG, 'deadbeef-0000-0000-0000-000000000000', 'p', {
      roleDefinitionName: 'Gone',
    });
    const access = index([a]).forCluster(cluster());
    expect(access.unresolved).toEqual([a]);
    expect(access.assignments).toEqual([{ assignment: a, role: undefined, capabilities: [] }]);
    expect(access.privileged).toEqual([]);
  });

  it('treats an assignment with no role reference at all as unresolved', () => {
    const a = assignment(RG, '', 'p', { roleDefinitionId: '' });
    expect(index([a]).forCluster(cluster()).unresolved).toEqual([a]);
  });

  it('does not report unresolved assignments that do not cover the cluster', () => {
    const a = assignment(
      `${SUB}/resourceGroups/rg-prod2`,
      'deadbeef-0000-0000-0000-000000000000',
      'p',
    );
    expect(index([a]).forCluster(cluster()).unresolved).toEqual([]);
  });
});

describe('forCluster: unavailable sources', () => {
  const failure = (subscriptionId: string, part: SourceFailure['part']): SourceFailure => ({
    subscriptionId,
    part,
    message: 'AuthorizationFailed: no read permission',
  });

  it('is unavailable when the role assignments of its subscription could not be read', () => {
    const access = index([], [], [failure(SUB_ID.toUpperCase(), 'roleAssignments')]).forCluster(
      cluster(),
    );
    expect(access.unavailable).toContain('role assignments');
    expect(access.unavailable).toContain('AuthorizationFailed');
  });

  it('is unavailable when the whole estate failed (*)', () => {
    expect(
      index([], [], [failure('*', 'roleAssignments')]).forCluster(cluster()).unavailable,
    ).toBeDefined();
  });

  it('is unavailable when role definitions could not be read', () => {
    expect(
      index([], [], [failure(SUB_ID, 'roleDefinitions')]).forCluster(cluster()).unavailable,
    ).toContain('role definitions');
  });

  it('is not unavailable because of another subscription or another part', () => {
    const ix = index(
      [],
      [],
      [
        failure(OTHER_SUB_ID, 'roleAssignments'),
        failure(SUB_ID, 'clusters'),
        failure('*', 'subscriptions'),
      ],
    );
    expect(ix.forCluster(cluster()).unavailable).toBeUndefined();
    expect('unavailable' in ix.forCluster(cluster())).toBe(false);
  });

  it('combines several messages', () => {
    const ix = index([], [], [failure('*', 'roleDefinitions'), failure(SUB_ID, 'roleAssignments')]);
    const message = ix.forCluster(cluster()).unavailable!;
    expect(message).toContain('role definitions');
    expect(message).toContain('role assignments');
  });

  it('still returns the assignments it could read', () => {
    const a = assignment(RG, G.owner, 'p');
    const access = index([a], [], [failure(SUB_ID, 'roleAssignments')]).forCluster(cluster());
    expect(access.unavailable).toBeDefined();
    expect(access.privileged).toHaveLength(1);
  });

  it('is unavailable on any access failure when the cluster subscription is unknown', () => {
    const ix = index([], [], [failure(OTHER_SUB_ID, 'roleAssignments')]);
    expect(
      ix.forCluster(cluster({ id: 'aks-prod', subscriptionId: '' })).unavailable,
    ).toBeDefined();
  });
});

describe('forCluster: results are independent', () => {
  it('returns fresh arrays each call; shared entries are frozen', () => {
    const ix = index([assignment(RG, G.owner, 'p')]);
    const first = ix.forCluster(cluster());
    first.assignments.length = 0;
    first.privileged.push({ ...first.privileged[0], principalId: 'intruder' });
    const second = ix.forCluster(cluster());
    expect(second.assignments).toHaveLength(1);
    expect(second.privileged.map((p) => p.principalId)).toEqual(['p']);
    expect(Object.isFrozen(second.privileged[0])).toBe(true);
    expect(Object.isFrozen(second.assignments[0])).toBe(true);
  });

  it('the same index serves clusters with and without Azure RBAC side by side', () => {
    const ix = index([assignment(SUB, G.aksRbacClusterAdmin, 'k')]);
    const on = cluster({ aadProfile: { managed: true, enableAzureRbac: true } });
    expect(ix.forCluster(on).privileged).toHaveLength(1);
    expect(ix.forCluster(cluster()).privileged).toHaveLength(0);
    expect(ix.forCluster(on).privileged).toHaveLength(1);
  });
});

describe('assignmentsOfPrincipal', () => {
  const KUBELET = 'A1B2C3D4-0000-0000-0000-00000000000F';

  it('returns every assignment of the principal at any scope, ids compared case-insensitively', () => {
    const elsewhere = assignment(`/subscriptions/${OTHER_SUB_ID}`, G.contributor, KUBELET);
    const atMg = assignment(MG, G.owner, KUBELET.toLowerCase(), {
      listedInSubscriptionId: OTHER_SUB_ID,
    });
    const acr = assignment(
      `${RG}/providers/Microsoft.ContainerRegistry/registries/acr`,
      '7f951dda-4ed3-4680-a7ca-43fe172d538d',
      KUBELET,
    );
    const someoneElse = assignment(RG, G.owner, 'other');
    const ix = index([elsewhere, atMg, acr, someoneElse]);
    const found = ix.assignmentsOfPrincipal(KUBELET.toLowerCase());
    expect(found.map((r) => r.assignment)).toEqual([elsewhere, atMg, acr]);
    expect(found.map((r) => r.role?.roleName)).toEqual(['Contributor', 'Owner', 'AcrPull']);
    // Whatever the cluster: run command on, over the cluster and its nodes, Entra and Azure RBAC aside.
    expect(found.map((r) => r.capabilities)).toEqual([
      ['admin-credential', 'cluster-write', 'run-command', 'trusted-access-write', 'node-access'],
      [...OWNER_OVER_CLUSTER, 'node-access'],
      [],
    ]);
  });

  it('computes capabilities with Azure RBAC off', () => {
    const ix = index([assignment(CLUSTER_ID, G.aksRbacClusterAdmin, KUBELET)]);
    expect(ix.assignmentsOfPrincipal(KUBELET)[0].capabilities).toEqual([]);
  });

  it('includes unresolved roles with role undefined', () => {
    const a = assignment(SUB, 'deadbeef-0000-0000-0000-000000000000', KUBELET);
    expect(index([a]).assignmentsOfPrincipal(KUBELET)).toEqual([
      { assignment: a, role: undefined, capabilities: [] },
    ]);
  });

  it('ignores blanks around the principal id, on either side', () => {
    const a = assignment(RG, G.owner, ` ${KUBELET} `);
    expect(index([a]).assignmentsOfPrincipal(`${KUBELET.toLowerCase()}\t`)).toHaveLength(1);
  });

  it('returns an empty list for unknown or empty principal ids', () => {
    const ix = index([assignment(RG, G.owner, 'p')]);
    expect(ix.assignmentsOfPrincipal('nobody')).toEqual([]);
    expect(ix.assignmentsOfPrincipal('')).toEqual([]);
  });

  it('counts an assignment returned by several listings once', () => {
    const a = assignment('/', G.owner, KUBELET, { listedInSubscriptionId: SUB_ID });
    const copy: RoleAssignment = { ...a, listedInSubscriptionId: OTHER_SUB_ID };
    expect(index([a, copy]).assignmentsOfPrincipal(KUBELET)).toHaveLength(1);
  });

  it('returns a fresh array each call', () => {
    const ix = index([assignment(RG, G.owner, KUBELET)]);
    ix.assignmentsOfPrincipal(KUBELET).pop();
    expect(ix.assignmentsOfPrincipal(KUBELET)).toHaveLength(1);
  });
});

describe('roleByGuid', () => {
  it('finds built-ins and custom roles, case-insensitively', () => {
    const role = customRole('33333333-0000-0000-0000-000000000003', 'custom', ['*']);
    const ix = index([], [role]);
    expect(ix.roleByGuid(G.reader.toUpperCase())?.roleName).toBe('Reader');
    expect(ix.roleByGuid(role.guid)).toBe(role);
    expect(ix.roleByGuid('44444444-0000-0000-0000-000000000004')).toBeUndefined();
    expect(ix.roleByGuid('')).toBeUndefined();
  });
});

describe('scale', () => {
  it('indexes 200k assignments and answers 2k clusters quickly, touching only their scopes', () => {
    const subs = Array.from(
      { length: 20 },
      (_, i) => `${String(i).padStart(8, '0')}-0000-0000-0000-000000000000`,
    );
    const assignments: RoleAssignment[] = [];
    const clusters: Cluster[] = [];
    for (let c = 0; c < 2000; c++) {
      const sub = subs[c % subs.length];
      const rg = `/subscriptions/${sub}/resourceGroups/rg-${c}`;
      clusters.push(
        cluster({
          id: `${rg}/providers/Microsoft.ContainerService/managedClusters/aks-${c}`,
          subscriptionId: sub,
          resourceGroup: `rg-${c}`,
        }),
      );
    }
    const subLevelBySub = new Map<string, number>();
    const rgLevelByCluster = new Map<number, number>();
    for (let i = 0; assignments.length < 200_000; i++) {
      const c = (i * 7919) % 2000;
      const sub = subs[c % subs.length];
      // Mostly resource-level noise, some at a cluster's resource group, a few at subscriptions.
      let scope: string;
      if (i % 100 === 0) {
        scope = `/subscriptions/${sub}`;
        subLevelBySub.set(sub, (subLevelBySub.get(sub) ?? 0) + 1);
      } else if (i % 10 === 0) {
        scope = `/subscriptions/${sub}/resourceGroups/rg-${c}`;
        rgLevelByCluster.set(c, (rgLevelByCluster.get(c) ?? 0) + 1);
      } else {
        scope = `/subscriptions/${sub}/resourceGroups/rg-${c}/providers/Microsoft.Storage/storageAccounts/st${i}`;
      }
      const role =
        i % 3 === 0
          ? G.contributor
          : i % 3 === 1
            ? G.reader
            : 'deadbeef-0000-0000-0000-000000000000';
      assignments.push({
        id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${i}`,
        scope,
        principalId: `p${i % 5000}`,
        principalType: 'ServicePrincipal',
        roleDefinitionId: `${ROLE_DEFS}/${role}`,
        roleDefinitionGuid: role,
      });
    }
    const started = Date.now();
    const ix = index(assignments);
    let covered = 0;
    for (const c of clusters) covered += ix.forCluster(c).assignments.length;
    const elapsed = Date.now() - started;

    let expected = 0;
    clusters.forEach(
      (c, n) =>
        (expected += (subLevelBySub.get(c.subscriptionId) ?? 0) + (rgLevelByCluster.get(n) ?? 0)),
    );
    expect(covered).toBe(expected);
    expect(expected).toBeGreaterThan(2000 * 100);
    // The index agrees with a brute-force scan for a sample of clusters.
    for (const n of [0, 1, 777, 1999]) {
      const brute = new Set(assignments.filter((a) => scopeCovers(a.scope, clusters[n].id)));
      const indexed = ix.forCluster(clusters[n]).assignments.map((r) => r.assignment);
      expect(indexed).toHaveLength(brute.size);
      expect(indexed.every((a) => brute.has(a))).toBe(true);
    }
    // Generous for a shared CI core; typically well under a second.
    expect(elapsed).toBeLessThan(8000);
  });
});

describe('isAssignedAnywhere', () => {
  it('knows every principal that holds an assignment at any scope, case and blanks aside', () => {
    const ix = index([
      assignment(`${RG}/providers/Microsoft.Storage/storageAccounts/st`, G.reader, 'ABC-1'),
    ]);
    expect(ix.isAssignedAnywhere('abc-1')).toBe(true);
    expect(ix.isAssignedAnywhere(' ABC-1 ')).toBe(true);
    expect(ix.isAssignedAnywhere('nobody')).toBe(false);
  });
});
