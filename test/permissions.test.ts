import fc from 'fast-check';
import { BUILTIN_ROLE_GUIDS, builtinRoleByGuid } from '../src/core/builtinRoles';
import { CAPABILITIES, type Permission, type RoleDefinition } from '../src/core/model';
import {
  ACTION_ACCESS_PROFILE_LIST_CREDENTIAL,
  ACTION_LIST_CLUSTER_ADMIN_CREDENTIAL,
  ACTION_LIST_CLUSTER_USER_CREDENTIAL,
  ACTION_MANAGED_CLUSTER_WRITE,
  ACTION_ROLE_ASSIGNMENT_WRITE,
  ACTION_RUN_COMMAND,
  ACTION_TRUSTED_ACCESS_WRITE,
  type CapabilityContext,
  contextKey,
  contextOfKey,
  EVERY_CAPABILITY_COUNTS,
  NODE_ACCESS_ACTIONS,
  roleContextSensitivity,
  actionMatches,
  allowsAction,
  allowsDataAction,
  grantsUnrestrictedManagedClustersDataWildcard,
  roleCapabilities,
  roleWildcardActions,
} from '../src/core/permissions';

let customCounter = 0;
function custom(...blocks: Partial<Permission>[]): RoleDefinition {
  customCounter += 1;
  const guid = `00000000-0000-0000-0000-${String(customCounter).padStart(12, '0')}`;
  return {
    id: `/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
    guid,
    roleName: `custom-${customCounter}`,
    roleType: 'CustomRole',
    permissions: blocks.map((b) => ({
      actions: b.actions ?? [],
      notActions: b.notActions ?? [],
      dataActions: b.dataActions ?? [],
      notDataActions: b.notDataActions ?? [],
    })),
    assignableScopes: ['/subscriptions/s'],
  };
}

function builtin(key: keyof typeof BUILTIN_ROLE_GUIDS): RoleDefinition {
  const role = builtinRoleByGuid(BUILTIN_ROLE_GUIDS[key]);
  if (!role) throw new Error(`built-in ${key} missing`);
  return role;
}

describe('actionMatches', () => {
  it.each([
    ['*', 'Microsoft.Compute/virtualMachines/read', true],
    ['*', '', true],
    ['*/read', 'Microsoft.Compute/virtualMachines/read', true],
    ['*/read', 'Microsoft.Compute/virtualMachines/write', false],
    ['*/read', 'Microsoft.Compute/virtualMachines/readSomething', false],
    ['Microsoft.Authorization/*/Write', 'Microsoft.Authorization/roleAssignments/write', true],
    ['Microsoft.Authorization/*/Write', 'Microsoft.Authorization/a/b/c/write', true],
    ['Microsoft.Authorization/*/Write', 'Microsoft.AuthorizationX/roleAssignments/write', false],
    ['Microsoft.ContainerService/*', 'microsoft.containerservice/managedclusters/write', true],
    ['Microsoft.ContainerService/*', 'Microsoft.ContainerServiceX/managedClusters/write', false],
    [
      'microsoft.containerservice/managedclusters/write',
      'Microsoft.ContainerService/managedClusters/write',
      true,
    ],
    [
      'Microsoft.ContainerService/managedClusters/write',
      'Microsoft.ContainerService/managedClusters/writeX',
      false,
    ],
    [
      'Microsoft.ContainerService/managedClusters/write',
      'xMicrosoft.ContainerService/managedClusters/write',
      false,
    ],
    ['a.b', 'aXb', false],
    ['a.b', 'a.b', true],
    ['a+b', 'aab', false],
    ['a+b', 'a+b', true],
    ['a(b)?c', 'a(b)?c', true],
    ['a(b)?c', 'ac', false],
    ['[ab]', 'a', false],
    ['[ab]', '[ab]', true],
    ['a$', 'a$', true],
    ['^a', '^a', true],
    ['a\\b', 'a\\b', true],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXcYYb', false],
    ['a**b', 'ab', true],
    ['', '', true],
    ['', 'a', false],
  ])('%j vs %j -> %s', (pattern, action, expected) => {
    expect(actionMatches(pattern, action)).toBe(expected);
  });

  // Reference glob matcher (dynamic programming), independent of the implementation.
  function reference(pattern: string, action: string): boolean {
    const p = pattern.toLowerCase();
    const a = action.toLowerCase();
    const dp: boolean[][] = Array.from({ length: p.length + 1 }, () =>
      Array<boolean>(a.length + 1).fill(false),
    );
    dp[0][0] = true;
    for (let i = 1; i <= p.length; i++) {
      for (let j = 0; j <= a.length; j++) {
        if (p[i - 1] === '*') dp[i][j] = dp[i - 1][j] || (j > 0 && dp[i][j - 1]);
        else dp[i][j] = j > 0 && dp[i - 1][j - 1] && p[i - 1] === a[j - 1];
      }
    }
    return dp[p.length][a.length];
  }
  const chars = fc.constantFrom(
    'a',
    'B',
    '/',
    '.',
    '*',
    '(',
    '[',
    '?',
    '+',
    '$',
    '^',
    '\\',
    '|',
    '-',
  );
  const text = fc.array(chars, { maxLength: 8 }).map((cs) => cs.join(''));
  const actionText = fc
    .array(fc.constantFrom('a', 'A', 'b', '/', '.', '(', '[', '?', '+', '$', '^', '\\', '|', '-'), {
      maxLength: 10,
    })
    .map((cs) => cs.join(''));

  it('agrees with a reference glob matcher, metacharacters literal (property)', () => {
    fc.assert(
      fc.property(text, actionText, (pattern, action) => {
        expect(actionMatches(pattern, action)).toBe(reference(pattern, action));
      }),
      { numRuns: 3000 },
    );
  });

  it('a pattern without * matches exactly the same string, in any case (property)', () => {
    fc.assert(
      fc.property(actionText, fc.boolean(), (action, upper) => {
        expect(actionMatches(upper ? action.toUpperCase() : action.toLowerCase(), action)).toBe(
          true,
        );
        expect(actionMatches(action, action + 'x')).toBe(false);
      }),
    );
  });

  it('prefix + * matches the prefix followed by anything, including slashes (property)', () => {
    fc.assert(
      fc.property(actionText, actionText, (head, tail) => {
        expect(actionMatches(head.replace(/\*/g, '') + '*', head.replace(/\*/g, '') + tail)).toBe(
          true,
        );
      }),
    );
  });
});

describe('allowsAction / allowsDataAction', () => {
  it('notActions remove from the wildcard of the same block', () => {
    const role = custom({ actions: ['*'], notActions: [ACTION_LIST_CLUSTER_ADMIN_CREDENTIAL] });
    expect(allowsAction(role, ACTION_LIST_CLUSTER_ADMIN_CREDENTIAL)).toBe(false);
    expect(allowsAction(role, ACTION_ACCESS_PROFILE_LIST_CREDENTIAL)).toBe(true);
    expect(allowsAction(role, ACTION_MANAGED_CLUSTER_WRITE)).toBe(true);
  });

  it('notActions match case-insensitively and with wildcards', () => {
    const role = custom({ actions: ['*'], notActions: ['MICROSOFT.CONTAINERSERVICE/*/ACTION'] });
    expect(allowsAction(role, ACTION_LIST_CLUSTER_ADMIN_CREDENTIAL)).toBe(false);
    expect(allowsAction(role, ACTION_MANAGED_CLUSTER_WRITE)).toBe(true);
  });

  it('a notAction of one block does not subtract from another block (union over blocks)', () => {
    const role = custom(
      { actions: ['*'], notActions: [ACTION_MANAGED_CLUSTER_WRITE] },
      { actions: [ACTION_MANAGED_CLUSTER_WRITE] },
    );
    expect(allowsAction(role, ACTION_MANAGED_CLUSTER_WRITE)).toBe(true);
  });

  it('a block with notActions only grants nothing', () => {
    expect(
      allowsAction(custom({ notActions: ['*'] }), 'Microsoft.Compute/virtualMachines/read'),
    ).toBe(false);
  });

  it('a data action never grants an action', () => {
    const role = custom({ dataActions: ['*'] });
    expect(allowsAction(role, ACTION_LIST_CLUSTER_ADMIN_CREDENTIAL)).toBe(false);
    expect(allowsDataAction(role, 'Microsoft.ContainerService/managedClusters/pods/read')).toBe(
      true,
    );
  });

  it('an action never grants a data action', () => {
    const role = custom({ actions: ['*'] });
    expect(allowsDataAction(role, 'Microsoft.ContainerService/managedClusters/pods/read')).toBe(
      false,
    );
    expect(allowsDataAction(role, 'Microsoft.KeyVault/vaults/secrets/getSecret/action')).toBe(
      false,
    );
  });

  it('a notDataAction does not remove an action, nor a notAction a data action', () => {
    const role = custom({
      actions: [ACTION_MANAGED_CLUSTER_WRITE],
      notDataActions: [ACTION_MANAGED_CLUSTER_WRITE],
      dataActions: ['Microsoft.ContainerService/managedClusters/*'],
      notActions: ['Microsoft.ContainerService/managedClusters/*'],
    });
    expect(allowsAction(role, ACTION_MANAGED_CLUSTER_WRITE)).toBe(false);
    expect(allowsDataAction(role, 'Microsoft.ContainerService/managedClusters/pods/read')).toBe(
      true,
    );
  });

  it('notDataActions remove data actions of the same block', () => {
    const rbacAdmin = builtin('aksRbacAdmin');
    expect(
      allowsDataAction(rbacAdmin, 'Microsoft.ContainerService/managedClusters/namespaces/write'),
    ).toBe(false);
    expect(
      allowsDataAction(rbacAdmin, 'Microsoft.ContainerService/managedClusters/secrets/read'),
    ).toBe(true);
  });

  it('a role without permission blocks allows nothing', () => {
    expect(allowsAction(custom(), 'x')).toBe(false);
    expect(allowsDataAction(custom(), 'x')).toBe(false);
  });

  it('Reader (*/read) reads but does not write', () => {
    const reader = builtin('reader');
    expect(allowsAction(reader, 'Microsoft.ContainerService/managedClusters/read')).toBe(true);
    expect(allowsAction(reader, ACTION_MANAGED_CLUSTER_WRITE)).toBe(false);
  });

  it('Contributor cannot write role assignments; User Access Administrator can', () => {
    expect(allowsAction(builtin('contributor'), ACTION_ROLE_ASSIGNMENT_WRITE)).toBe(false);
    expect(
      allowsAction(builtin('contributor'), 'Microsoft.Authorization/roleAssignments/read'),
    ).toBe(true);
    expect(allowsAction(builtin('userAccessAdministrator'), ACTION_ROLE_ASSIGNMENT_WRITE)).toBe(
      true,
    );
  });
});

describe('grantsUnrestrictedManagedClustersDataWildcard', () => {
  it.each([
    [['*'], [], true],
    [['Microsoft.ContainerService/*'], [], true],
    [['microsoft.containerservice/managedclusters/*'], [], true],
    [['Microsoft.ContainerService/managedClusters*'], [], true],
    [['Microsoft.*/managedClusters/*'], [], true],
    [['Microsoft.ContainerService/managedClusters/pods/*'], [], false],
    [['Microsoft.ContainerService/managedClusters/*/read'], [], false],
    [['*/read'], [], false],
    [['Microsoft.ContainerService/fleets/*'], [], false],
    [['Microsoft.Kubernetes/connectedClusters/*'], [], false],
    [
      ['Microsoft.ContainerService/managedClusters/*'],
      ['Microsoft.ContainerService/managedClusters/namespaces/write'],
      false,
    ],
    [
      ['Microsoft.ContainerService/managedClusters/*'],
      ['Microsoft.ContainerService/managedClusters/secrets/*'],
      false,
    ],
    [['Microsoft.ContainerService/managedClusters/*'], ['*/delete'], false],
    [['Microsoft.ContainerService/managedClusters/*'], ['*'], false],
    [['*'], ['Microsoft.ContainerService/*'], false],
    [['Microsoft.ContainerService/managedClusters/*'], ['Microsoft.KeyVault/vaults/*'], true],
    [
      ['Microsoft.ContainerService/managedClusters/*'],
      ['Microsoft.ContainerService/fleets/*'],
      true,
    ],
    [
      ['Microsoft.ContainerService/managedClusters/*'],
      ['Microsoft.ContainerService/managedClustersnapshots/*'],
      true,
    ],
  ])('dataActions %j minus %j -> %s', (dataActions, notDataActions, expected) => {
    expect(
      grantsUnrestrictedManagedClustersDataWildcard(custom({ dataActions, notDataActions })),
    ).toBe(expected);
  });

  it('a notDataAction in another block does not restrict the wildcard', () => {
    const role = custom(
      { dataActions: ['Microsoft.ContainerService/managedClusters/*'] },
      {
        dataActions: ['x'],
        notDataActions: ['Microsoft.ContainerService/managedClusters/secrets/*'],
      },
    );
    expect(grantsUnrestrictedManagedClustersDataWildcard(role)).toBe(true);
  });

  it('an action wildcard is not a data wildcard', () => {
    expect(grantsUnrestrictedManagedClustersDataWildcard(custom({ actions: ['*'] }))).toBe(false);
  });

  it('holds for AKS RBAC Cluster Admin only among the AKS RBAC roles', () => {
    expect(grantsUnrestrictedManagedClustersDataWildcard(builtin('aksRbacClusterAdmin'))).toBe(
      true,
    );
    expect(grantsUnrestrictedManagedClustersDataWildcard(builtin('aksRbacAdmin'))).toBe(false);
    expect(grantsUnrestrictedManagedClustersDataWildcard(builtin('aksRbacWriter'))).toBe(false);
    expect(grantsUnrestrictedManagedClustersDataWildcard(builtin('aksRbacReader'))).toBe(false);
    expect(grantsUnrestrictedManagedClustersDataWildcard(builtin('owner'))).toBe(false);
  });
});

describe('roleWildcardActions', () => {
  it('lists the flagged wildcards as written, once each, across blocks', () => {
    const role = custom(
      { actions: ['*', 'Microsoft.Compute/*'] },
      {
        actions: [
          'MICROSOFT.CONTAINERSERVICE/*',
          'microsoft.containerservice/managedclusters/*',
          '*',
        ],
      },
    );
    expect(roleWildcardActions(role)).toEqual([
      '*',
      'MICROSOFT.CONTAINERSERVICE/*',
      'microsoft.containerservice/managedclusters/*',
    ]);
  });

  it('ignores narrower wildcards, data actions and notActions', () => {
    const role = custom({
      actions: [
        '*/read',
        'Microsoft.ContainerService/managedClusters/*/read',
        'Microsoft.ContainerService/managedClusters/agentPools/*',
      ],
      notActions: ['*'],
      dataActions: ['*', 'Microsoft.ContainerService/*'],
    });
    expect(roleWildcardActions(role)).toEqual([]);
  });

  it('still reports * when notActions carve pieces out of it', () => {
    expect(
      roleWildcardActions(custom({ actions: ['*'], notActions: ['Microsoft.ContainerService/*'] })),
    ).toEqual(['*']);
  });

  it('finds * in Owner and the managedClusters wildcard in AKS Contributor Role', () => {
    expect(roleWildcardActions(builtin('owner'))).toEqual(['*']);
    expect(roleWildcardActions(builtin('aksContributorRole'))).toEqual([
      'Microsoft.ContainerService/managedClusters/*',
    ]);
    expect(roleWildcardActions(builtin('reader'))).toEqual([]);
  });
});

/** A context: over the cluster only, Entra on, Azure RBAC off, run command disabled, unless said. */
function over(o: Partial<CapabilityContext> = {}): CapabilityContext {
  return {
    azureRbac: false,
    withoutEntra: false,
    runCommand: false,
    coversCluster: true,
    coversNodes: false,
    ...o,
  };
}
const RBAC = over({ azureRbac: true });
const PLAIN = over();

describe('roleCapabilities', () => {
  it('Owner: admin credential, cluster write, role assignment write, trusted access', () => {
    expect(roleCapabilities(builtin('owner'), PLAIN)).toEqual([
      'admin-credential',
      'cluster-write',
      'role-assignment-write',
      'trusted-access-write',
    ]);
    expect(roleCapabilities(builtin('owner'), RBAC)).toEqual(
      roleCapabilities(builtin('owner'), PLAIN),
    );
  });

  it('Owner with run command on and over the node resource group: every control-plane path', () => {
    expect(
      roleCapabilities(builtin('owner'), over({ runCommand: true, coversNodes: true })),
    ).toEqual([
      'admin-credential',
      'cluster-write',
      'role-assignment-write',
      'run-command',
      'trusted-access-write',
      'node-access',
    ]);
  });

  it('Contributor: admin credential, cluster write, trusted access; no role assignment write', () => {
    expect(roleCapabilities(builtin('contributor'), RBAC)).toEqual([
      'admin-credential',
      'cluster-write',
      'trusted-access-write',
    ]);
    expect(roleCapabilities(builtin('contributor'), over({ runCommand: true }))).toEqual([
      'admin-credential',
      'cluster-write',
      'run-command',
      'trusted-access-write',
    ]);
  });

  it('Contributor over the node resource group only: node-access and nothing else', () => {
    expect(
      roleCapabilities(
        builtin('contributor'),
        over({ coversCluster: false, coversNodes: true, runCommand: true, withoutEntra: true }),
      ),
    ).toEqual(['node-access']);
  });

  it('AKS Cluster Admin Role: admin credential only', () => {
    expect(roleCapabilities(builtin('aksClusterAdminRole'), RBAC)).toEqual(['admin-credential']);
  });

  it('AKS Contributor Role: admin credential, cluster write, run command and trusted access through managedClusters/*', () => {
    expect(roleCapabilities(builtin('aksContributorRole'), PLAIN)).toEqual([
      'admin-credential',
      'cluster-write',
      'trusted-access-write',
    ]);
    expect(roleCapabilities(builtin('aksContributorRole'), over({ runCommand: true }))).toEqual([
      'admin-credential',
      'cluster-write',
      'run-command',
      'trusted-access-write',
    ]);
  });

  it('Reader, AKS Cluster User Role, Cluster Monitoring User: nothing on an Entra cluster', () => {
    for (const context of [RBAC, over({ runCommand: true, coversNodes: true })]) {
      expect(roleCapabilities(builtin('reader'), context)).toEqual([]);
      expect(roleCapabilities(builtin('aksClusterUserRole'), context)).toEqual([]);
      expect(roleCapabilities(builtin('aksClusterMonitoringUser'), context)).toEqual([]);
    }
  });

  it('AKS Cluster User Role is admin-credential on a cluster without Entra integration', () => {
    expect(roleCapabilities(builtin('aksClusterUserRole'), over({ withoutEntra: true }))).toEqual([
      'admin-credential',
    ]);
    // …but not from the node resource group, which holds no cluster.
    expect(
      roleCapabilities(
        builtin('aksClusterUserRole'),
        over({ withoutEntra: true, coversCluster: false, coversNodes: true }),
      ),
    ).toEqual([]);
  });

  it('Cluster Monitoring User (the monitoring kubeconfig) is not the user credential: nothing without Entra', () => {
    expect(
      roleCapabilities(builtin('aksClusterMonitoringUser'), over({ withoutEntra: true })),
    ).toEqual([]);
  });

  it('User Access Administrator and RBAC Administrator: role assignment write, over the cluster or the nodes', () => {
    for (const key of ['userAccessAdministrator', 'roleBasedAccessControlAdministrator'] as const) {
      expect(roleCapabilities(builtin(key), RBAC)).toEqual(['role-assignment-write']);
      expect(
        roleCapabilities(builtin(key), over({ coversCluster: false, coversNodes: true })),
      ).toEqual(['role-assignment-write']);
    }
  });

  it('Virtual Machine Contributor: node-access over the node resource group, nothing over the cluster alone', () => {
    expect(
      roleCapabilities(builtin('virtualMachineContributor'), over({ runCommand: true })),
    ).toEqual([]);
    expect(
      roleCapabilities(
        builtin('virtualMachineContributor'),
        over({ coversCluster: false, coversNodes: true }),
      ),
    ).toEqual(['node-access']);
  });

  it('each of the four scale-set actions alone is node-access', () => {
    for (const action of NODE_ACCESS_ACTIONS) {
      const role = custom({ actions: [action.toLowerCase()] });
      expect(roleCapabilities(role, over({ coversNodes: true }))).toEqual(['node-access']);
      expect(roleCapabilities(role, PLAIN)).toEqual([]);
    }
  });

  it('scale-set read, VM (not scale set) run command and extension reads are not node-access', () => {
    const role = custom({
      actions: [
        'Microsoft.Compute/virtualMachineScaleSets/read',
        'Microsoft.Compute/virtualMachines/runCommand/action',
        'Microsoft.Compute/virtualMachineScaleSets/extensions/read',
      ],
    });
    expect(roleCapabilities(role, over({ coversNodes: true }))).toEqual([]);
  });

  it('Microsoft.Compute/* minus the scale-set writes keeps node-access through run command', () => {
    const role = custom({
      actions: ['Microsoft.Compute/*'],
      notActions: [
        'Microsoft.Compute/virtualMachineScaleSets/write',
        'Microsoft.Compute/virtualMachineScaleSets/extensions/write',
        'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/extensions/write',
      ],
    });
    expect(roleCapabilities(role, over({ coversNodes: true }))).toEqual(['node-access']);
  });

  it('run command counts only while the cluster allows it', () => {
    const role = custom({ actions: [ACTION_RUN_COMMAND] });
    expect(roleCapabilities(role, over({ runCommand: true }))).toEqual(['run-command']);
    expect(roleCapabilities(role, over({ runCommand: false }))).toEqual([]);
  });

  it('trusted access role binding write alone is trusted-access-write', () => {
    const role = custom({ actions: [ACTION_TRUSTED_ACCESS_WRITE] });
    expect(roleCapabilities(role, PLAIN)).toEqual(['trusted-access-write']);
    expect(
      roleCapabilities(
        custom({
          actions: ['Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings/read'],
        }),
        PLAIN,
      ),
    ).toEqual([]);
  });

  it('listClusterUserCredential alone: admin-credential only without Entra', () => {
    const role = custom({ actions: [ACTION_LIST_CLUSTER_USER_CREDENTIAL] });
    expect(roleCapabilities(role, PLAIN)).toEqual([]);
    expect(roleCapabilities(role, over({ withoutEntra: true }))).toEqual(['admin-credential']);
  });

  it('AKS RBAC Cluster Admin: Kubernetes cluster-admin only when Azure RBAC is on', () => {
    expect(roleCapabilities(builtin('aksRbacClusterAdmin'), RBAC)).toEqual([
      'kubernetes-cluster-admin',
    ]);
    expect(roleCapabilities(builtin('aksRbacClusterAdmin'), PLAIN)).toEqual([]);
  });

  it('AKS RBAC Admin, Writer and Reader: never Kubernetes cluster-admin', () => {
    for (const key of ['aksRbacAdmin', 'aksRbacWriter', 'aksRbacReader'] as const) {
      expect(roleCapabilities(builtin(key), RBAC)).toEqual([]);
    }
  });

  it('the access-profile credential action alone is admin-credential', () => {
    expect(
      roleCapabilities(custom({ actions: [ACTION_ACCESS_PROFILE_LIST_CREDENTIAL] }), PLAIN),
    ).toEqual(['admin-credential']);
  });

  it('listClusterAdminCredential alone is admin-credential', () => {
    expect(
      roleCapabilities(
        custom({ actions: [ACTION_LIST_CLUSTER_ADMIN_CREDENTIAL.toUpperCase()] }),
        PLAIN,
      ),
    ).toEqual(['admin-credential']);
  });

  it('* minus listClusterAdminCredential still has admin-credential through the access-profile path', () => {
    const role = custom({ actions: ['*'], notActions: [ACTION_LIST_CLUSTER_ADMIN_CREDENTIAL] });
    expect(roleCapabilities(role, PLAIN)).toEqual([
      'admin-credential',
      'cluster-write',
      'role-assignment-write',
      'trusted-access-write',
    ]);
  });

  it('* minus both credential actions has no admin-credential, unless the user credential counts', () => {
    const role = custom({
      actions: ['*'],
      notActions: [ACTION_LIST_CLUSTER_ADMIN_CREDENTIAL, ACTION_ACCESS_PROFILE_LIST_CREDENTIAL],
    });
    expect(roleCapabilities(role, PLAIN)).toEqual([
      'cluster-write',
      'role-assignment-write',
      'trusted-access-write',
    ]);
    expect(roleCapabilities(role, over({ withoutEntra: true }))[0]).toBe('admin-credential');
  });

  it('a data-action * gives no control-plane capability but is cluster-admin with Azure RBAC', () => {
    const role = custom({ dataActions: ['*'] });
    expect(roleCapabilities(role, PLAIN)).toEqual([]);
    expect(roleCapabilities(role, RBAC)).toEqual(['kubernetes-cluster-admin']);
    expect(
      roleCapabilities(role, over({ azureRbac: true, coversCluster: false, coversNodes: true })),
    ).toEqual([]);
  });

  it('returns capabilities in CAPABILITIES order whatever the order of the actions', () => {
    const role = custom({
      actions: [
        ...NODE_ACCESS_ACTIONS,
        ACTION_TRUSTED_ACCESS_WRITE,
        ACTION_RUN_COMMAND,
        ACTION_ROLE_ASSIGNMENT_WRITE,
        ACTION_MANAGED_CLUSTER_WRITE,
        ACTION_ACCESS_PROFILE_LIST_CREDENTIAL,
      ],
      dataActions: ['Microsoft.ContainerService/managedClusters/*'],
    });
    expect(roleCapabilities(role, EVERY_CAPABILITY_COUNTS)).toEqual([...CAPABILITIES]);
  });

  it('is cached per definition object: an edited definition under the same guid is recomputed', () => {
    const first = custom({ actions: [ACTION_MANAGED_CLUSTER_WRITE] });
    const edited: RoleDefinition = {
      ...first,
      permissions: [{ actions: [], notActions: [], dataActions: [], notDataActions: [] }],
    };
    expect(roleCapabilities(first, PLAIN)).toEqual(['cluster-write']);
    expect(roleCapabilities(edited, PLAIN)).toEqual([]);
    expect(roleCapabilities(first, PLAIN)).toBe(roleCapabilities(first, PLAIN));
  });

  it('equal lists are one shared, frozen array whatever the role', () => {
    const caps = roleCapabilities(builtin('owner'), PLAIN);
    expect(Object.isFrozen(caps)).toBe(true);
    expect(roleCapabilities(custom({ actions: ['*'] }), PLAIN)).toBe(caps);
  });
});

describe('roleContextSensitivity', () => {
  const bit = (o: Partial<CapabilityContext>) =>
    contextKey({
      azureRbac: false,
      withoutEntra: false,
      runCommand: false,
      coversCluster: false,
      coversNodes: false,
      ...o,
    });

  it('Reader depends on nothing', () => {
    expect(roleContextSensitivity(builtin('reader'))).toBe(0);
  });

  it('AKS RBAC Cluster Admin depends on Azure RBAC, Entra (it lists the user credential) and covering the cluster', () => {
    expect(roleContextSensitivity(builtin('aksRbacClusterAdmin'))).toBe(
      bit({ azureRbac: true, withoutEntra: true, coversCluster: true }),
    );
    expect(roleCapabilities(builtin('aksRbacClusterAdmin'), over({ withoutEntra: true }))).toEqual([
      'admin-credential',
    ]);
  });

  it('AKS Cluster User Role depends on Entra integration and on covering the cluster', () => {
    expect(roleContextSensitivity(builtin('aksClusterUserRole'))).toBe(
      bit({ withoutEntra: true, coversCluster: true }),
    );
  });

  it('Contributor depends on run command and on what the scope covers, not on Entra or Azure RBAC', () => {
    expect(roleContextSensitivity(builtin('contributor'))).toBe(
      bit({ runCommand: true, coversCluster: true, coversNodes: true }),
    );
  });

  it('agrees with roleCapabilities: flipping a bit outside the sensitivity never changes the answer', () => {
    const roles = [
      builtin('owner'),
      builtin('contributor'),
      builtin('aksClusterUserRole'),
      builtin('aksRbacClusterAdmin'),
      builtin('virtualMachineContributor'),
    ];
    for (const role of roles) {
      const sensitivity = roleContextSensitivity(role);
      for (let key = 0; key < 32; key++)
        for (let flip = 1; flip < 32; flip <<= 1)
          if ((sensitivity & flip) === 0)
            expect(roleCapabilities(role, contextOfKey(key ^ flip))).toBe(
              roleCapabilities(role, contextOfKey(key)),
            );
    }
  });
});
