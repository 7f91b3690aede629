/**
 * The per-view answers of `accessQuery` and `distinctPaths` must equal the plain answers
 * (`accessQueryPlain`, `dedupePrincipals`) for any estate: repeated listings, ids differing in
 * case, unresolved roles, scopes spelt two ways, principals given in any case.
 */
import fc from 'fast-check';
import { buildAccessIndex, type ClusterAccess, type ResolvedAssignment } from '../src/core/access';
import { accessQuery, accessQueryPlain, type AccessQuery } from '../src/core/accessQuery';
import { BUILTIN_ROLE_GUIDS as G } from '../src/core/builtinRoles';
import { dedupePrincipals, distinctPaths } from '../src/core/distinctPaths';
import {
  CAPABILITIES,
  type Cluster,
  type PrincipalAccess,
  type RoleAssignment,
  type RoleDefinition,
} from '../src/core/model';

const ROLE_DEFS = '/providers/Microsoft.Authorization/roleDefinitions';
const SUBS = ['0b1f6471-1bf0-4dda-aec3-cb9272f09590', '9c2e7f52-7a39-4d0e-8b1f-2a4c6e8d0f13'];
const WILDCARD = 'cc000000-0000-4000-8000-000000000001';
const CUSTOM_ROLES: RoleDefinition[] = [
  {
    id: `${ROLE_DEFS}/${WILDCARD}`,
    guid: WILDCARD,
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
];
const ROLES = [
  G.owner,
  G.contributor,
  G.reader,
  G.aksClusterAdminRole,
  G.aksRbacClusterAdmin,
  G.userAccessAdministrator,
  WILDCARD,
  'deadbeef-0000-4000-8000-000000000000',
];

function clusterAt(i: number, azureRbac: boolean, entra: boolean): Cluster {
  const sub = SUBS[i % 2];
  return {
    id: `/subscriptions/${sub}/resourceGroups/rg-${i % 3}/providers/Microsoft.ContainerService/managedClusters/aks-${i}`,
    name: `aks-${i}`,
    subscriptionId: sub,
    resourceGroup: `rg-${i % 3}`,
    aadProfile: entra ? { managed: true, enableAzureRbac: azureRbac } : null,
    identity: null,
    kubeletIdentity: null,
    apiServerAccess: null,
    addons: {},
  };
}

const scope = fc.oneof(
  fc.constantFrom(
    '/',
    '',
    '/providers/Microsoft.Management/managementGroups/mg-1',
    '/providers/microsoft.management/managementGroups/MG-1/',
  ),
  fc
    .tuple(
      fc.constantFrom(...SUBS),
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 5 }),
      fc.constantFrom('sub', 'rg', 'RG', 'cluster'),
    )
    .map(([sub, rg, cluster, depth]) =>
      depth === 'sub'
        ? `/subscriptions/${sub}`
        : depth === 'rg'
          ? `/subscriptions/${sub}/resourceGroups/rg-${rg}`
          : depth === 'RG'
            ? `/SUBSCRIPTIONS/${sub.toUpperCase()}/resourcegroups/RG-${rg}/`
            : `/subscriptions/${sub}/resourceGroups/rg-${cluster % 3}/providers/Microsoft.ContainerService/managedClusters/aks-${cluster}`,
    ),
);

const assignment = fc.record({
  scope,
  n: fc.integer({ min: 0, max: 30 }),
  idUpper: fc.boolean(),
  // The same id at two scopes (an export edited by hand, two listings disagreeing): ids must merge across views.
  bareId: fc.boolean(),
  principalId: fc.constantFrom('p1', 'P1', 'p2', ' p2', 'p3'),
  principalType: fc.constantFrom('User', 'user', 'Group', 'ServicePrincipal', ''),
  role: fc.constantFrom(...ROLES),
  listedIn: fc.option(fc.constantFrom(...SUBS), { nil: undefined }),
});

type AssignmentSpec = typeof assignment extends fc.Arbitrary<infer T> ? T : never;

function toAssignment(spec: AssignmentSpec): RoleAssignment {
  const id = spec.bareId
    ? `ra-${spec.n}`
    : `${spec.scope}/providers/Microsoft.Authorization/roleAssignments/ra-${spec.n}`;
  return {
    id: spec.idUpper ? id.toUpperCase() : id,
    scope: spec.scope,
    principalId: spec.principalId,
    principalType: spec.principalType,
    roleDefinitionId: `${ROLE_DEFS}/${spec.role}`,
    roleDefinitionGuid: spec.role,
    listedInSubscriptionId: spec.listedIn,
  };
}

// Predicates defined once, as the checks define theirs.
const isUserHolder = (p: PrincipalAccess) => p.principalType.toLowerCase() === 'user';
const anyHolder = () => true;
const privileged = (r: ResolvedAssignment) => r.capabilities.length > 0;
const custom = (r: ResolvedAssignment) => r.role?.roleType === 'CustomRole';
const writesRoles = (r: ResolvedAssignment) => r.capabilities.includes('role-assignment-write');
const isUnknownType = (a: RoleAssignment) => a.principalType === '';

function answers(query: AccessQuery) {
  return {
    holdersOf: [
      ...CAPABILITIES.map((c) => query.holdersOf(c)),
      query.holdersOf('admin-credential', 'cluster-write'),
      query.holdersOf(...CAPABILITIES),
    ],
    holdersWhere: [query.holdersWhere(isUserHolder), query.holdersWhere(anyHolder)],
    assignmentsWhere: [query.assignmentsWhere(privileged), query.assignmentsWhere(custom)],
    ids: [
      query.assignmentIdsWhere(privileged),
      query.assignmentIdsWhere(writesRoles),
      query.assignmentIdsWhere(custom),
    ],
    unresolved: [query.unresolvedWhere(isUnknownType)],
    pages: [0, 1, 3, 1000].map((limit) => query.assignmentIdsPage(privileged, limit)),
    holdsAnyPath: [
      query.holdsAnyPath(new Set()),
      query.holdsAnyPath(
        new Set(query.holdersWhere(anyHolder).map((p) => p.principalId.trim().toLowerCase())),
      ),
      query.holdsAnyPath(new Set(['not-a-holder'])),
    ],
  };
}

function plainCopy(access: ClusterAccess): ClusterAccess {
  return {
    ...access,
    assignments: [...access.assignments],
    privileged: [...access.privileged],
    unresolved: [...access.unresolved],
  };
}

describe('accessQuery answers as accessQueryPlain does', () => {
  it('for every cluster of any estate, asked twice (the second time from the kept answers)', () => {
    fc.assert(
      fc.property(
        fc.array(assignment, { maxLength: 60 }),
        fc.array(fc.tuple(fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 6 }),
        (specs, flags) => {
          const clusters = flags.map(([rbac, entra], i) => clusterAt(i, rbac, entra));
          const roleAssignments = specs.map(toAssignment);
          // Repeats of each entry in another listing: the index merges them per scope.
          const index = buildAccessIndex({
            clusters,
            roleAssignments: [
              ...roleAssignments,
              ...roleAssignments
                .slice(0, 5)
                .map((a) => ({ ...a, listedInSubscriptionId: undefined })),
            ],
            roleDefinitions: CUSTOM_ROLES,
            failures: [],
          });
          for (let round = 0; round < 2; round++) {
            for (const cluster of clusters) {
              const access = index.forCluster(cluster);
              const expected = answers(accessQueryPlain(access));
              expect(answers(accessQuery(access))).toEqual(expected);
              expect(answers(accessQuery(plainCopy(access)))).toEqual(expected);
              expect(distinctPaths(access)).toEqual(dedupePrincipals(access.privileged));
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('holdersOf lists each path with its role, scope and capabilities', () => {
    const cluster = clusterAt(0, true, true);
    const rg = `/subscriptions/${SUBS[0]}/resourceGroups/rg-0`;
    const index = buildAccessIndex({
      roleAssignments: [
        {
          id: `${rg}/ra-1`,
          scope: rg,
          principalId: 'p1',
          principalType: 'Group',
          roleDefinitionId: `${ROLE_DEFS}/${G.contributor}`,
          roleDefinitionGuid: G.contributor,
        },
        {
          id: `/ra-2`,
          scope: '/',
          principalId: 'p2',
          principalType: 'User',
          roleDefinitionId: `${ROLE_DEFS}/${G.reader}`,
          roleDefinitionGuid: G.reader,
        },
      ],
      roleDefinitions: [],
      failures: [],
    });
    const holders = accessQuery(index.forCluster(cluster)).holdersOf('admin-credential');
    expect(holders).toEqual([
      expect.objectContaining({
        principalId: 'p1',
        roleName: 'Contributor',
        scope: rg,
        capabilities: expect.arrayContaining(['admin-credential', 'cluster-write']),
      }),
    ]);
  });
});
