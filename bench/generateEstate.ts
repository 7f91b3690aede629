/**
 * A synthetic estate for the benchmark, in the shapes users export (`az` CLI JSON), so the
 * benchmark measures normalisation too. Deterministic (seeded) so runs are comparable.
 *
 * Spread of the role assignments, roughly as in real tenants: most at resource-group and
 * resource scope (most of those on resources that are not clusters), some per subscription,
 * and a fixed number of governance assignments at management-group and root scope (100 at the
 * root, 300 on five management groups): those belong to the platform team and do not grow
 * with the number of subscriptions, while everything else grows with the estate.
 *
 * PIM, conditions and deny assignments (docs/checks.md "Which grants count"): 10% of the
 * privileged assignments are PIM eligibilities instead (ARM REST shape, as `az rest` exports
 * `roleEligibilityScheduleInstances`), 5% of all assignments carry a condition (one of a few
 * texts, as tenants reuse the portal's templates: constrained delegation, an exclusion list, a
 * storage condition) and 200 deny assignments sit at resource groups, clusters and
 * subscriptions (Everyone with exclusions, or named groups).
 *
 * Node resource groups (docs/checks.md "Capabilities", `node-access`): every cluster names its
 * `MC_…` group; 3% of the assignments sit there and 2% on a scale set in one (Virtual Machine
 * Contributor among the roles), and one deny assignment in ten protects a node resource group's
 * scale sets. Hardened clusters disable run command.
 *
 * The objects are round-tripped through JSON, as a real export is parsed from a file, so the
 * benchmark measures normalisation of the strings JSON.parse produces.
 */
export interface EstateSize {
  subscriptions: number;
  clusters: number;
  roleAssignments: number;
}

export interface RawEstate {
  clusters: unknown[];
  roleAssignments: unknown[];
  roleDefinitions: unknown[];
  /** `roleEligibilityScheduleInstances`, ARM REST shape. */
  roleEligibility: unknown[];
  /** `denyAssignments`, ARM REST shape. */
  denyAssignments: unknown[];
}

const BUILTIN = {
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  aksClusterAdmin: '0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8',
  aksClusterUser: '4abbcc35-e782-43d8-92c5-2d3f1bd2253f',
  aksRbacClusterAdmin: 'b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b',
  virtualMachineContributor: '9980e02c-c2be-4d73-94e8-173b1dc7cf3c',
};
const NODE_ACCESS_ACTIONS = [
  'Microsoft.Compute/virtualMachineScaleSets/write',
  'Microsoft.Compute/virtualMachineScaleSets/extensions/write',
  'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommand/action',
  'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/extensions/write',
];

const CUSTOM_ROLES = 20;
const PRIVILEGED_ROLES = new Set([
  BUILTIN.owner,
  BUILTIN.contributor,
  BUILTIN.aksClusterAdmin,
  BUILTIN.aksRbacClusterAdmin,
]);
const ELIGIBLE_SHARE = 0.1;
const CONDITIONED_SHARE = 0.05;
const DENY_ASSIGNMENTS = 200;
const EVERYONE = '00000000-0000-0000-0000-000000000000';
const WRITE_GUARD = "!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})";
const REQUESTED_ROLE = '@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId]';
/** A few texts, as tenants reuse the portal's templates. */
const CONDITIONS = [
  `((${WRITE_GUARD}) OR (${REQUESTED_ROLE} ForAnyOfAnyValues:GuidEquals {${BUILTIN.reader}, 7f951dda-4ed3-4680-a7ca-43fe172d538d}))`,
  `((${WRITE_GUARD}) OR (${REQUESTED_ROLE} ForAnyOfAllValues:GuidNotEquals {${BUILTIN.owner}, 18d7d88d-d35e-4fb5-a5c3-7773c20a72d9, f58310d9-a9f6-439a-9e8d-f62e7b41a168}))`,
  `((${WRITE_GUARD}) OR (${REQUESTED_ROLE} ForAnyOfAnyValues:GuidEquals {${BUILTIN.aksRbacClusterAdmin}} AND @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'Group'}))`,
  "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'))",
];
/** Governance assignments: a fixed number, whatever the size of the estate. */
const ROOT_ASSIGNMENTS = 100;
const MANAGEMENT_GROUP_ASSIGNMENTS = 300;

/** A small linear congruential generator: fast and reproducible. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 0x100000000;
  };
}

function guid(n: number, salt: number): string {
  const hex = (n * 2654435761 + salt * 40503).toString(16).padStart(12, '0').slice(-12);
  const s = salt.toString(16).padStart(8, '0').slice(-8);
  return `${s}-0000-4000-8000-${hex}`;
}

export function generateEstate(size: EstateSize, seed = 42): RawEstate {
  const rnd = random(seed);
  const subscriptions = Array.from({ length: size.subscriptions }, (_, i) => guid(i, 1));
  const rgsPerSubscription = 10;
  const clusters: unknown[] = [];
  for (let i = 0; i < size.clusters; i++) {
    const sub = subscriptions[i % size.subscriptions];
    const rg = `rg-${Math.floor(i / size.subscriptions) % rgsPerSubscription}`;
    const name = `aks-${i}`;
    const hardened = rnd() < 0.5;
    clusters.push({
      id: `/subscriptions/${sub}/resourcegroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`,
      name,
      resourceGroup: rg,
      location: 'westeurope',
      nodeResourceGroup: `MC_${rg}_${name}_westeurope`,
      aadProfile: hardened
        ? { managed: true, enableAzureRbac: true, adminGroupObjectIDs: [guid(i, 7)] }
        : null,
      disableLocalAccounts: hardened,
      enableRbac: true,
      identity: {
        type: 'UserAssigned',
        userAssignedIdentities: {
          [`/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-${name}`]:
            { principalId: guid(i, 3), clientId: guid(i, 4) },
        },
      },
      identityProfile: {
        kubeletidentity: {
          objectId: guid(i, 5),
          clientId: guid(i, 6),
          resourceId: `/subscriptions/${sub}/resourceGroups/MC_${rg}_${name}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}-agentpool`,
        },
      },
      oidcIssuerProfile: { enabled: hardened },
      securityProfile: {
        workloadIdentity: { enabled: hardened },
        defender: hardened ? { securityMonitoring: { enabled: true } } : null,
      },
      podIdentityProfile: null,
      apiServerAccessProfile: hardened
        ? { enablePrivateCluster: true, disableRunCommand: true }
        : null,
      addonProfiles: {
        azurepolicy: { enabled: hardened, config: null },
        azureKeyvaultSecretsProvider: {
          enabled: true,
          config: { enableSecretRotation: hardened ? 'true' : 'false' },
        },
      },
    });
  }
  const roleDefinitions: unknown[] = [];
  for (let r = 0; r < CUSTOM_ROLES; r++) {
    const id = guid(r, 9);
    roleDefinitions.push({
      id: `/subscriptions/${subscriptions[0]}/providers/Microsoft.Authorization/roleDefinitions/${id}`,
      name: id,
      roleName: `custom-role-${r}`,
      roleType: 'CustomRole',
      permissions: [
        {
          actions:
            r % 4 === 0
              ? ['Microsoft.ContainerService/*']
              : ['Microsoft.Compute/*/read', `Microsoft.Storage/storageAccounts/*`],
          notActions: [],
          dataActions: [],
          notDataActions: [],
        },
      ],
      assignableScopes: [`/subscriptions/${subscriptions[0]}`],
    });
  }
  const roleChoices = [
    BUILTIN.reader,
    BUILTIN.reader,
    BUILTIN.reader,
    BUILTIN.contributor,
    BUILTIN.aksClusterUser,
    BUILTIN.aksRbacClusterAdmin,
    BUILTIN.owner,
    BUILTIN.aksClusterAdmin,
  ];
  const principalTypes = ['User', 'Group', 'ServicePrincipal', 'Group'];
  const roleAssignments: unknown[] = [];
  const roleEligibility: unknown[] = [];
  const governance = Math.min(
    size.roleAssignments,
    ROOT_ASSIGNMENTS + MANAGEMENT_GROUP_ASSIGNMENTS,
  );
  for (let a = 0; a < size.roleAssignments; a++) {
    const pick = rnd();
    const sub = subscriptions[Math.floor(rnd() * size.subscriptions)];
    const rg = `rg-${Math.floor(rnd() * rgsPerSubscription)}`;
    let scope: string;
    if (a < governance)
      scope =
        a < ROOT_ASSIGNMENTS ? '/' : `/providers/Microsoft.Management/managementGroups/mg-${a % 5}`;
    else if (pick < 0.05) scope = `/subscriptions/${sub}`;
    else if (pick < 0.45) scope = `/subscriptions/${sub}/resourceGroups/${rg}`;
    else if (pick < 0.55) {
      const c = Math.floor(rnd() * size.clusters);
      scope = (clusters[c] as { id: string }).id;
    } else if (pick < 0.6) {
      const c = clusters[Math.floor(rnd() * size.clusters)] as { id: string };
      scope = nodeResourceGroupOf(c.id);
      if (pick >= 0.58)
        scope += `/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-${a % 7}-vmss`;
    } else
      scope = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/st${a}`;
    const custom = rnd() < 0.02;
    const role = custom
      ? guid(Math.floor(rnd() * CUSTOM_ROLES), 9)
      : pick >= 0.55 && pick < 0.6 && a % 2 === 0
        ? BUILTIN.virtualMachineContributor
        : roleChoices[Math.floor(rnd() * roleChoices.length)];
    const principalId = guid(Math.floor(rnd() * 50000), 13);
    const principalType = principalTypes[a % principalTypes.length];
    const roleDefinitionId = `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${role}`;
    const condition = rnd() < CONDITIONED_SHARE ? CONDITIONS[a % CONDITIONS.length] : undefined;
    if (PRIVILEGED_ROLES.has(role) && rnd() < ELIGIBLE_SHARE) {
      const name = guid(a, 17);
      roleEligibility.push({
        id: `${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/roleEligibilityScheduleInstances/${name}`,
        name,
        type: 'Microsoft.Authorization/roleEligibilityScheduleInstances',
        properties: {
          scope,
          roleDefinitionId,
          principalId,
          principalType,
          status: 'Provisioned',
          memberType: 'Direct',
          ...(condition ? { condition, conditionVersion: '2.0' } : {}),
        },
      });
      continue;
    }
    roleAssignments.push({
      id: `${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/roleAssignments/${guid(a, 11)}`,
      name: guid(a, 11),
      principalId,
      principalType,
      roleDefinitionId,
      scope,
      ...(condition ? { condition, conditionVersion: '2.0' } : {}),
    });
  }
  const denyAssignments: unknown[] = [];
  for (let d = 0; d < Math.min(DENY_ASSIGNMENTS, size.clusters); d++) {
    const c = clusters[Math.floor(rnd() * size.clusters)] as { id: string };
    const pick = rnd();
    const nodes = d % 10 === 5;
    const scope = nodes
      ? nodeResourceGroupOf(c.id)
      : pick < 0.5
        ? c.id.replace(/\/providers\/Microsoft\.ContainerService\/.*$/, '')
        : pick < 0.9
          ? c.id
          : c.id.replace(/\/resourcegroups\/.*$/, '');
    const everyone = d % 2 === 0;
    denyAssignments.push({
      id: `${scope}/providers/Microsoft.Authorization/denyAssignments/${guid(d, 19)}`,
      name: guid(d, 19),
      type: 'Microsoft.Authorization/denyAssignments',
      properties: {
        denyAssignmentName: `deny-${d}`,
        permissions: [
          {
            actions: nodes
              ? NODE_ACCESS_ACTIONS
              : d % 3 === 0
                ? ['Microsoft.ContainerService/managedClusters/*']
                : ['Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action'],
            notActions: d % 3 === 0 ? ['*/read'] : [],
            dataActions: [],
            notDataActions: [],
          },
        ],
        scope,
        doNotApplyToChildScopes: d % 10 === 9,
        principals: everyone
          ? [{ id: EVERYONE, type: 'SystemDefined' }]
          : [{ id: guid(d, 13), type: 'Group' }],
        excludePrincipals: everyone ? [{ id: guid(d + 1, 13), type: 'User' }] : [],
        isSystemProtected: true,
      },
    });
  }
  return {
    clusters: viaJson(clusters),
    roleAssignments: viaJson(roleAssignments),
    roleDefinitions: viaJson(roleDefinitions),
    roleEligibility: viaJson(roleEligibility),
    denyAssignments: viaJson(denyAssignments),
  };
}

/** `/subscriptions/…/resourcegroups/MC_<rg>_<name>_westeurope` of a generated cluster id. */
function nodeResourceGroupOf(clusterId: string): string {
  const [, sub, rg, name] =
    /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/.*\/managedClusters\/([^/]+)$/i.exec(
      clusterId,
    )!;
  return `/subscriptions/${sub}/resourcegroups/MC_${rg}_${name}_westeurope`;
}

/** JSON.stringify + JSON.parse in chunks (one string of a million assignments would be huge). */
function viaJson(items: unknown[]): unknown[] {
  const parsed: unknown[] = [];
  for (let i = 0; i < items.length; i += 50_000) {
    for (const item of JSON.parse(JSON.stringify(items.slice(i, i + 50_000))) as unknown[])
      parsed.push(item);
    items.fill(undefined, i, Math.min(items.length, i + 50_000));
  }
  return parsed;
}
