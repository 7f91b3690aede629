/**
 * The paths to cluster-admin in the access graph (docs/checks.md "Capabilities"): the node
 * resource group and its scale sets, the user kubeconfig without Entra, run command, and how
 * deny assignments and constrained-delegation conditions act on them.
 */
import { accessViewsOf, buildAccessIndex } from '../src/core/access';
import { BUILTIN_ROLE_GUIDS as G } from '../src/core/builtinRoles';
import { EVERYONE } from '../src/core/denyAssignments';
import type { Cluster, DenyAssignment, RoleAssignment } from '../src/core/model';
import { NODE_ACCESS_ACTIONS } from '../src/core/permissions';

const SUB_ID = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';
const SUB = `/subscriptions/${SUB_ID}`;
const RG = `${SUB}/resourceGroups/rg-prod`;
const CLUSTER_ID = `${RG}/providers/Microsoft.ContainerService/managedClusters/aks-prod`;
const NODE_RG = `${SUB}/resourceGroups/MC_rg-prod_aks-prod_westeurope`;
const SCALE_SET = `${NODE_RG}/providers/Microsoft.Compute/virtualMachineScaleSets/aks-system-12345678-vmss`;
const OTHER_RG = `${SUB}/resourceGroups/rg-other`;
const ROLE_ASSIGNMENT_WRITE = 'Microsoft.Authorization/roleAssignments/write';

function cluster(overrides: Partial<Cluster> = {}): Cluster {
  return {
    id: CLUSTER_ID,
    name: 'aks-prod',
    subscriptionId: SUB_ID,
    resourceGroup: 'rg-prod',
    aadProfile: { managed: true, enableAzureRbac: false },
    disableLocalAccounts: true,
    identity: null,
    kubeletIdentity: null,
    apiServerAccess: { disableRunCommand: true },
    nodeResourceGroup: 'MC_rg-prod_aks-prod_westeurope',
    addons: {},
    ...overrides,
  };
}

let counter = 0;
function grant(
  scope: string,
  role: string,
  principalId: string,
  extra: Partial<RoleAssignment> = {},
): RoleAssignment {
  counter += 1;
  return {
    id: `${scope}/providers/Microsoft.Authorization/roleAssignments/n${counter}`,
    scope,
    principalId,
    principalType: 'Group',
    roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${role}`,
    roleDefinitionGuid: role,
    ...extra,
  };
}

function deny(
  scope: string,
  actions: readonly string[],
  extra: Partial<DenyAssignment> = {},
): DenyAssignment {
  counter += 1;
  return {
    id: `${scope}/providers/Microsoft.Authorization/denyAssignments/d${counter}`,
    scope,
    permissions: [{ actions: [...actions], notActions: [], dataActions: [], notDataActions: [] }],
    principals: [{ id: EVERYONE, type: 'SystemDefined' }],
    excludePrincipals: [],
    doNotApplyToChildScopes: false,
    ...extra,
  };
}

/** The "Constrain roles" template allowing only the given role guids. */
function constrainedTo(...roles: string[]): string {
  const list = roles.join(', ');
  return `((!(ActionMatches{'${ROLE_ASSIGNMENT_WRITE}'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${list}}))`;
}

function pathsOf(
  assignments: RoleAssignment[],
  c: Cluster = cluster(),
  denyAssignments: DenyAssignment[] = [],
): Record<string, string[]> {
  const index = buildAccessIndex({
    roleAssignments: assignments,
    roleDefinitions: [],
    failures: [],
    denyAssignments,
  });
  return Object.fromEntries(
    index.forCluster(c).privileged.map((p) => [p.principalId, [...p.capabilities]]),
  );
}

describe('node-access through the node resource group', () => {
  it('Contributor at the node resource group holds node-access and nothing over the cluster', () => {
    expect(pathsOf([grant(NODE_RG, G.contributor, 'nodes-team')])).toEqual({
      'nodes-team': ['node-access'],
    });
  });

  it('the node resource group name compares case-insensitively', () => {
    expect(pathsOf([grant(NODE_RG.toUpperCase(), G.virtualMachineContributor, 'vm')])).toEqual({
      vm: ['node-access'],
    });
  });

  it('Virtual Machine Contributor at a scale set in the node resource group holds node-access', () => {
    const a = grant(SCALE_SET, G.virtualMachineContributor, 'vmss-operator');
    expect(pathsOf([a])).toEqual({ 'vmss-operator': ['node-access'] });
  });

  it('a grant beneath a scale set (one instance) counts too', () => {
    const a = grant(`${SCALE_SET}/virtualMachines/0`, G.virtualMachineContributor, 'one-vm');
    expect(pathsOf([a])).toEqual({ 'one-vm': ['node-access'] });
  });

  it("the cluster's own resource group does not cover the nodes: Virtual Machine Contributor there is nothing", () => {
    expect(pathsOf([grant(RG, G.virtualMachineContributor, 'vm')])).toEqual({});
  });

  it('a scale set in another resource group, or a VM in the node resource group that is not a scale set, is nothing', () => {
    expect(
      pathsOf([
        grant(
          `${OTHER_RG}/providers/Microsoft.Compute/virtualMachineScaleSets/x`,
          G.virtualMachineContributor,
          'a',
        ),
        grant(
          `${NODE_RG}/providers/Microsoft.Compute/virtualMachines/jumpbox`,
          G.virtualMachineContributor,
          'b',
        ),
      ]),
    ).toEqual({});
  });

  it('the subscription and above cover the node resource group: Owner there holds node-access too', () => {
    const mg = '/providers/Microsoft.Management/managementGroups/platform';
    const paths = pathsOf([
      grant(SUB, G.owner, 'sub-owner'),
      grant(mg, G.contributor, 'mg-contributor', { listedInSubscriptionId: SUB_ID }),
      grant('/', G.virtualMachineContributor, 'root-vm'),
    ]);
    expect(paths['sub-owner']).toEqual([
      'admin-credential',
      'cluster-write',
      'role-assignment-write',
      'trusted-access-write',
      'node-access',
    ]);
    expect(paths['mg-contributor']).toContain('node-access');
    expect(paths['root-vm']).toEqual(['node-access']);
  });

  it('without nodeResourceGroup only the subscription and above give node-access', () => {
    const paths = pathsOf(
      [grant(NODE_RG, G.contributor, 'rg-level'), grant(SUB, G.contributor, 'sub-level')],
      cluster({ nodeResourceGroup: undefined }),
    );
    expect(paths['rg-level']).toBeUndefined();
    expect(paths['sub-level']).toContain('node-access');
  });

  it('role assignment write at the node resource group is a path (it can grant the node actions)', () => {
    expect(pathsOf([grant(NODE_RG, G.roleBasedAccessControlAdministrator, 'delegate')])).toEqual({
      delegate: ['role-assignment-write'],
    });
  });

  it('Reader and AKS Cluster User Role at the node resource group are nothing', () => {
    expect(
      pathsOf(
        [grant(NODE_RG, G.reader, 'r'), grant(NODE_RG, G.aksClusterUserRole, 'u')],
        cluster({ aadProfile: null }),
      ),
    ).toEqual({});
  });
});

describe('the cluster settings that open paths', () => {
  it('without Entra integration AKS Cluster User Role is admin-credential; with it, nothing', () => {
    const a = grant(CLUSTER_ID, G.aksClusterUserRole, 'devs');
    expect(pathsOf([a], cluster({ aadProfile: null }))).toEqual({ devs: ['admin-credential'] });
    expect(pathsOf([a])).toEqual({});
    // Legacy (non-managed) integration is still Entra integration: the user kubeconfig needs a sign-in.
    expect(pathsOf([a], cluster({ aadProfile: { managed: false } }))).toEqual({});
  });

  it('run command counts unless disableRunCommand is true', () => {
    const a = grant(RG, G.aksClusterAdminRole, 'ops');
    expect(pathsOf([a])).toEqual({ ops: ['admin-credential'] });
    expect(pathsOf([a], cluster({ apiServerAccess: null }))).toEqual({
      ops: ['admin-credential', 'run-command'],
    });
    expect(pathsOf([a], cluster({ apiServerAccess: { disableRunCommand: false } }))).toEqual({
      ops: ['admin-credential', 'run-command'],
    });
  });

  it('a cluster document without configuration counts only what holds on any cluster', () => {
    const paths = pathsOf(
      [grant(RG, G.contributor, 'c'), grant(RG, G.aksClusterUserRole, 'u')],
      cluster({ incomplete: 'no properties', aadProfile: null, apiServerAccess: null }),
    );
    expect(paths).toEqual({ c: ['admin-credential', 'cluster-write', 'trusted-access-write'] });
  });
});

describe('deny assignments on the new paths', () => {
  it('a deny of the scale-set actions at the node resource group takes node-access from a subscription Owner, nothing else', () => {
    const paths = pathsOf([grant(SUB, G.owner, 'o')], cluster(), [
      deny(NODE_RG, NODE_ACCESS_ACTIONS),
    ]);
    expect(paths.o).toEqual([
      'admin-credential',
      'cluster-write',
      'role-assignment-write',
      'trusted-access-write',
    ]);
  });

  it("the same deny at the cluster's resource group does not cover the nodes: node-access stays", () => {
    const paths = pathsOf([grant(SUB, G.owner, 'o')], cluster(), [deny(RG, NODE_ACCESS_ACTIONS)]);
    expect(paths.o).toContain('node-access');
  });

  it('a deny at the node resource group that does not apply to child scopes leaves the scale sets open', () => {
    const paths = pathsOf([grant(NODE_RG, G.contributor, 'c')], cluster(), [
      deny(NODE_RG, NODE_ACCESS_ACTIONS, { doNotApplyToChildScopes: true }),
    ]);
    expect(paths.c).toEqual(['node-access']);
  });

  it('denying three of the four scale-set actions leaves node-access through the fourth', () => {
    const paths = pathsOf([grant(NODE_RG, G.contributor, 'c')], cluster(), [
      deny(NODE_RG, NODE_ACCESS_ACTIONS.slice(1)),
    ]);
    expect(paths.c).toEqual(['node-access']);
  });

  it('run command and trusted access writes can be denied like the older paths', () => {
    const paths = pathsOf([grant(RG, G.contributor, 'c')], cluster({ apiServerAccess: null }), [
      deny(RG, [
        'Microsoft.ContainerService/managedClusters/runCommand/action',
        'Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings/write',
      ]),
    ]);
    expect(paths.c).toEqual(['admin-credential', 'cluster-write']);
  });

  it('without Entra, the user credential gives admin-credential: denying only the admin actions leaves it', () => {
    const adminActions = [
      'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action',
      'Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action',
    ];
    const userAction =
      'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action';
    const a = grant(RG, G.contributor, 'c');
    expect(pathsOf([a], cluster({ aadProfile: null }), [deny(RG, adminActions)]).c).toContain(
      'admin-credential',
    );
    expect(
      pathsOf([a], cluster({ aadProfile: null }), [deny(RG, [...adminActions, userAction])]).c,
    ).not.toContain('admin-credential');
    // With Entra, denying the admin actions is enough.
    expect(pathsOf([a], cluster(), [deny(RG, adminActions)]).c).not.toContain('admin-credential');
  });

  it('role assignment write from the subscription survives a deny over the cluster alone (it still reaches the nodes)', () => {
    const paths = pathsOf([grant(SUB, G.userAccessAdministrator, 'uaa')], cluster(), [
      deny(RG, [ROLE_ASSIGNMENT_WRITE]),
    ]);
    expect(paths.uaa).toEqual(['role-assignment-write']);
    const both = pathsOf([grant(SUB, G.userAccessAdministrator, 'uaa')], cluster(), [
      deny(SUB, [ROLE_ASSIGNMENT_WRITE]),
    ]);
    expect(both.uaa).toBeUndefined();
  });

  it('role assignment write at the node resource group is taken by a deny there', () => {
    const paths = pathsOf([grant(NODE_RG, G.userAccessAdministrator, 'uaa')], cluster(), [
      deny(NODE_RG, [ROLE_ASSIGNMENT_WRITE]),
    ]);
    expect(paths).toEqual({});
  });
});

describe('conditions judged in the same context', () => {
  it('a delegate at the node resource group that may assign Virtual Machine Contributor keeps role-assignment-write', () => {
    const a = grant(NODE_RG, G.roleBasedAccessControlAdministrator, 'd', {
      condition: constrainedTo(G.virtualMachineContributor),
      conditionVersion: '2.0',
    });
    expect(pathsOf([a])).toEqual({ d: ['role-assignment-write'] });
  });

  it("the same delegate at the cluster's resource group does not: Virtual Machine Contributor there is nothing", () => {
    const a = grant(RG, G.roleBasedAccessControlAdministrator, 'd', {
      condition: constrainedTo(G.virtualMachineContributor),
      conditionVersion: '2.0',
    });
    expect(pathsOf([a])).toEqual({});
  });

  it('a delegate that may assign only AKS Cluster User Role: a path without Entra, none with it', () => {
    const a = grant(RG, G.roleBasedAccessControlAdministrator, 'd', {
      condition: constrainedTo(G.aksClusterUserRole),
      conditionVersion: '2.0',
    });
    expect(pathsOf([a], cluster({ aadProfile: null }))).toEqual({ d: ['role-assignment-write'] });
    expect(pathsOf([a])).toEqual({});
  });
});

describe('shared views', () => {
  const other = (overrides: Partial<Cluster>) =>
    cluster({
      id: CLUSTER_ID.replace('aks-prod', 'aks-two'),
      name: 'aks-two',
      nodeResourceGroup: 'MC_rg-prod_aks-two_westeurope',
      ...overrides,
    });

  it('clusters whose settings their roles cannot tell apart share one view of a scope', () => {
    const index = buildAccessIndex({
      roleAssignments: [grant(RG, G.reader, 'r'), grant(RG, G.contributor, 'c')],
      roleDefinitions: [],
      failures: [],
    });
    // Contributor does not depend on Entra or Azure RBAC: one view for both clusters.
    const first = accessViewsOf(index.forCluster(cluster()))!;
    const second = accessViewsOf(
      index.forCluster(other({ aadProfile: { managed: true, enableAzureRbac: true } })),
    )!;
    expect(second[0]).toBe(first[0]);
    // Run command does change what Contributor gives: another view.
    const third = accessViewsOf(index.forCluster(other({ apiServerAccess: null })))!;
    expect(third[0]).not.toBe(first[0]);
    expect(third[0].privileged.find((p) => p.principalId === 'c')?.capabilities).toContain(
      'run-command',
    );
  });

  it('a deny changes only the views it touches: the others stay shared with other clusters', () => {
    const index = buildAccessIndex({
      roleAssignments: [grant(SUB, G.contributor, 'sub-c'), grant(RG, G.contributor, 'rg-c')],
      roleDefinitions: [],
      failures: [],
      denyAssignments: [deny(CLUSTER_ID, ['Microsoft.ContainerService/managedClusters/write'])],
    });
    const deniedViews = accessViewsOf(index.forCluster(cluster()))!;
    const plainViews = accessViewsOf(index.forCluster(other({})))!;
    expect(deniedViews).toHaveLength(2);
    // The deny (to Everyone) changes both the resource group's view and the subscription's: the
    // denied cluster's are its own, without cluster-write; the other cluster's keep it.
    expect(deniedViews[0]).not.toBe(plainViews[0]);
    expect(deniedViews[0].privileged[0].capabilities).not.toContain('cluster-write');
    expect(plainViews[0].privileged[0].capabilities).toContain('cluster-write');
  });

  it('a deny that applies to nobody in a view leaves that view shared', () => {
    const index = buildAccessIndex({
      roleAssignments: [grant(SUB, G.contributor, 'sub-c'), grant(RG, G.contributor, 'rg-c')],
      roleDefinitions: [],
      failures: [],
      denyAssignments: [
        deny(CLUSTER_ID, ['Microsoft.ContainerService/managedClusters/write'], {
          principals: [{ id: 'rg-c', type: 'User' }],
        }),
      ],
    });
    const deniedViews = accessViewsOf(index.forCluster(cluster()))!;
    const plainViews = accessViewsOf(index.forCluster(other({})))!;
    expect(deniedViews[0]).not.toBe(plainViews[0]); // rg-c, at the resource group, is denied
    expect(deniedViews[1]).toBe(plainViews[1]); // sub-c, at the subscription, is not
  });
});

describe('cluster-admin-paths with exemptions, end to end (evaluateEstate)', () => {
  it('an active exemption naming a principal approves it: the check passes, the principal is marked exempted', async () => {
    const { evaluateEstate } = await import('../src/core/evaluate');
    const estate = {
      source: 'snapshot' as const,
      clusters: [cluster()],
      roleAssignments: [grant(RG, G.owner, 'BreakGlass')],
      roleDefinitions: [],
      failures: [],
    };
    const now = new Date('2026-11-26T00:00:00Z');
    const exemption = {
      id: 'breakglass-owner',
      checkId: 'cluster-admin-paths',
      scope: RG,
      // Stored lower-cased (validation does so); the grant's spelling differs.
      principalIds: ['breakglass'],
      reason: 'Break-glass account, reviewed quarterly',
      owner: 'platform@contoso.example',
      expiresOn: '2027-03-31T00:00:00Z',
    };
    const finding = (exemptions: (typeof exemption)[]) =>
      evaluateEstate(estate as never, { now, exemptions })[0].findings.find(
        (f) => f.checkId === 'cluster-admin-paths',
      )!;
    const without = finding([]);
    expect(without.status).toBe('fail');
    const withIt = finding([exemption]);
    expect(withIt.status).toBe('pass');
    expect(withIt.principals).toEqual([
      expect.objectContaining({ principalId: 'BreakGlass', exempted: true }),
    ]);
    expect(withIt.exemptions).toEqual([expect.objectContaining({ id: 'breakglass-owner' })]);
    // Expired, it approves nobody any more.
    expect(finding([{ ...exemption, expiresOn: '2026-11-25T00:00:00Z' }]).status).toBe('fail');
  });
});
