/**
 * The checks and the posture compute what they need once per shared scope view (see
 * `AccessView` in core/access) and merge the per-view results per cluster. That must never
 * change a result: for estates full of awkward input (repeated listings, ids differing in case,
 * repeated principal/role/scope entries, unresolved roles, `|` in ids, scopes spelt two ways),
 * evaluating a cluster through the shared views must equal evaluating a plain copy of the same
 * access, which the index does not know and which is therefore computed directly.
 */
import { accessViewsOf, buildAccessIndex, type ClusterAccess } from '../src/core/access';
import { BUILTIN_ROLE_GUIDS as G } from '../src/core/builtinRoles';
import { evaluateCluster } from '../src/core/evaluate';
import type { Cluster, RoleAssignment, RoleDefinition } from '../src/core/model';

const NOW = new Date('2026-11-22T02:00:00.000Z');
const ROLE_DEFS = '/providers/Microsoft.Authorization/roleDefinitions';

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 0x100000000;
  };
}

const WILDCARD_CUSTOM = 'cc000000-0000-4000-8000-000000000001';
const PLAIN_CUSTOM = 'cc000000-0000-4000-8000-000000000002';
const CUSTOM_ROLES: RoleDefinition[] = [
  {
    id: `${ROLE_DEFS}/${WILDCARD_CUSTOM}`,
    guid: WILDCARD_CUSTOM,
    roleName: 'wildcard operator',
    roleType: 'CustomRole',
    permissions: [
      {
        actions: ['Microsoft.ContainerService/*'],
        notActions: [],
        dataActions: [],
        notDataActions: [],
      },
    ],
    assignableScopes: ['/'],
  },
  {
    id: `${ROLE_DEFS}/${PLAIN_CUSTOM}`,
    guid: PLAIN_CUSTOM,
    roleName: 'reader of things',
    roleType: 'CustomRole',
    permissions: [
      {
        actions: ['Microsoft.Storage/*/read'],
        notActions: [],
        dataActions: [],
        notDataActions: [],
      },
    ],
    assignableScopes: ['/'],
  },
];
const ROLE_CHOICES = [
  G.owner,
  G.contributor,
  G.reader,
  G.aksClusterAdminRole,
  G.aksRbacClusterAdmin,
  G.userAccessAdministrator,
  WILDCARD_CUSTOM,
  PLAIN_CUSTOM,
  'deadbeef-0000-4000-8000-000000000000',
];

function estate(seed: number): { clusters: Cluster[]; roleAssignments: RoleAssignment[] } {
  const rnd = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)];
  const subscriptions = [
    '0b1f6471-1bf0-4dda-aec3-cb9272f09590',
    '9c2e7f52-7a39-4d0e-8b1f-2a4c6e8d0f13',
  ];
  const clusters: Cluster[] = [];
  for (let i = 0; i < 8; i++) {
    const sub = subscriptions[i % 2];
    const rg = `rg-${i % 3}`;
    clusters.push({
      id: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/aks-${i}`,
      name: `aks-${i}`,
      subscriptionId: sub,
      resourceGroup: rg,
      aadProfile: rnd() < 0.5 ? { managed: true, enableAzureRbac: true } : null,
      disableLocalAccounts: rnd() < 0.5,
      identity: {
        type: 'SystemAssigned',
        principalId: `c0000000-0000-4000-8000-00000000000${i}`,
        userAssignedIdentities: [],
      },
      kubeletIdentity: { objectId: `k0000000-0000-4000-8000-00000000000${i}` },
      apiServerAccess: null,
      addons: {},
    });
  }
  // A cluster whose id spells its subscription with a trailing no-break space: its views at
  // `/subscriptions/x\u00a0` and at `/subscriptions/x` (from its subscription field) are two
  // views whose scopes are equal once trimmed, so their entries can repeat each other.
  const odd = subscriptions[0];
  clusters.push({
    ...clusters[0],
    id: `/subscriptions/${odd}\u00a0/resourceGroups/rg-0/providers/Microsoft.ContainerService/managedClusters/aks-odd`,
    name: 'aks-odd',
  });
  const principals = [
    'p1',
    'P1',
    'p2',
    ' p2',
    'p3',
    'a',
    'k0000000-0000-4000-8000-000000000001',
    'C0000000-0000-4000-8000-000000000002',
  ];
  const scopesOf = (sub: string) => [
    '/',
    '',
    '/providers/Microsoft.Management/managementGroups/mg-1',
    '/providers/microsoft.management/managementGroups/MG-1/',
    `/subscriptions/${sub}`,
    `/SUBSCRIPTIONS/${sub.toUpperCase()}/`,
    `/subscriptions/${sub}/resourceGroups/rg-${Math.floor(rnd() * 3)}`,
    `/subscriptions/${sub}/resourcegroups/RG-${Math.floor(rnd() * 3)}`,
    `/subscriptions/${sub}/resourceGroups/rg-${Math.floor(rnd() * 3)}/providers/Microsoft.ContainerService/managedClusters/aks-${Math.floor(rnd() * 8)}`,
  ];
  const roleAssignments: RoleAssignment[] = [];
  for (let n = 0; n < 120; n++) {
    const sub = pick(subscriptions);
    const scope = pick(scopesOf(sub));
    const role = pick(ROLE_CHOICES);
    const a: RoleAssignment = {
      id: `${scope}/providers/Microsoft.Authorization/roleAssignments/ra-${n}`,
      scope,
      principalId: pick(principals),
      principalType: pick(['User', 'user', 'Group', 'ServicePrincipal', '']),
      roleDefinitionId: pick([
        `/subscriptions/${sub}${ROLE_DEFS}/${role}`,
        `${ROLE_DEFS}/${role.toUpperCase()}`,
      ]),
      roleDefinitionGuid: role,
      listedInSubscriptionId: rnd() < 0.7 ? sub : undefined,
    };
    roleAssignments.push(a);
    // Repeats: the same assignment in another listing, its id in another case, or the same
    // principal/role/scope through another assignment.
    if (rnd() < 0.3)
      roleAssignments.push({ ...a, listedInSubscriptionId: pick([...subscriptions, undefined]) });
    if (rnd() < 0.15)
      roleAssignments.push({ ...a, id: a.id.toUpperCase(), scope: pick(scopesOf(sub)) });
    if (rnd() < 0.15)
      roleAssignments.push({ ...a, id: `${a.id}-again`, roleDefinitionGuid: pick(ROLE_CHOICES) });
  }
  // Entries of both spellings of that subscription, and a principal and a role definition id
  // containing `|` whose joined keys are equal although neither part is.
  const roleId = `/subscriptions/${odd}${ROLE_DEFS}/${G.owner}`;
  for (const scope of [`/subscriptions/${odd}\u00a0`, `/subscriptions/${odd}`]) {
    roleAssignments.push({
      id: `${scope}/x-${seed}`,
      scope,
      principalId: 'p1',
      principalType: 'User',
      roleDefinitionId: roleId,
      roleDefinitionGuid: G.owner,
    });
  }
  // (In another resource group than aks-odd's, so that each case is the only one for some cluster.)
  const rgScope = `/subscriptions/${odd}/resourceGroups/rg-1`;
  roleAssignments.push(
    {
      id: `${rgScope}/y1`,
      scope: rgScope,
      principalId: 'a|b',
      principalType: 'Group',
      roleDefinitionId: roleId,
      roleDefinitionGuid: G.owner,
    },
    {
      id: `${rgScope}/y2`,
      scope: rgScope,
      principalId: 'a',
      principalType: 'Group',
      roleDefinitionId: `b|${roleId}`,
      roleDefinitionGuid: G.aksRbacClusterAdmin,
    },
  );
  return { clusters, roleAssignments };
}

/** The same access in arrays the index never handed out: evaluated without its shared views. */
function plainCopy(access: ClusterAccess): ClusterAccess {
  return {
    ...access,
    assignments: [...access.assignments],
    privileged: [...access.privileged],
    unresolved: [...access.unresolved],
  };
}

describe('per-view results merged per cluster', () => {
  it.each(Array.from({ length: 40 }, (_, seed) => seed + 1))(
    'equal the results computed directly (estate %i)',
    (seed) => {
      const { clusters, roleAssignments } = estate(seed);
      const index = buildAccessIndex({
        clusters,
        roleAssignments,
        roleDefinitions: CUSTOM_ROLES,
        failures: [],
      });
      for (const cluster of clusters) {
        const access = index.forCluster(cluster);
        expect(accessViewsOf(access)).toBeDefined();
        const throughViews = evaluateCluster(cluster, access, index, NOW);
        const direct = evaluateCluster(cluster, plainCopy(access), index, NOW);
        expect(JSON.parse(JSON.stringify(throughViews))).toEqual(
          JSON.parse(JSON.stringify(direct)),
        );
      }
    },
  );

  it('a changed access is not mistaken for the views it came from', () => {
    const { clusters, roleAssignments } = estate(7);
    const index = buildAccessIndex({
      roleAssignments,
      roleDefinitions: CUSTOM_ROLES,
      failures: [],
    });
    const access = index.forCluster(clusters[0]);
    expect(accessViewsOf(access)).toBeDefined();
    const first = access.privileged[0];
    access.privileged[0] = { ...first };
    expect(accessViewsOf(access)).toBeUndefined();
    access.privileged[0] = first;
    access.assignments.pop();
    expect(accessViewsOf(access)).toBeUndefined();
  });

  it('assignments of cluster identities are the same whether the index was told the clusters or not', () => {
    const { clusters, roleAssignments } = estate(3);
    const told = buildAccessIndex({
      clusters,
      roleAssignments,
      roleDefinitions: CUSTOM_ROLES,
      failures: [],
    });
    const untold = buildAccessIndex({
      roleAssignments,
      roleDefinitions: CUSTOM_ROLES,
      failures: [],
    });
    for (const principal of [
      'k0000000-0000-4000-8000-000000000001',
      'C0000000-0000-4000-8000-000000000002',
      'p1',
      ' P1 ',
      'a|b',
      'nobody',
    ]) {
      expect(told.assignmentsOfPrincipal(principal)).toEqual(
        untold.assignmentsOfPrincipal(principal),
      );
    }
  });
});
