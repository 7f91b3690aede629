/**
 * The routes of docs/events.md added for every path to cluster-admin: credential fetches (the
 * user kubeconfig only without Entra integration), run command, trusted-access bindings, PIM
 * schedule requests, and the node resource group (role assignments and scale-set commands
 * there concern the cluster whose nodes it holds). Pure: the router against small contexts.
 */
import { holdsNodesOf, type KnownClusterFacts } from '../../src/core/clusterFacts';
import { routeEvent, type ArmEvent, type Route, type RouteContext } from '../../src/core/events';

const SUB = '11111111-1111-4111-8111-111111111111';
const SUB2 = '22222222-2222-4222-8222-222222222222';
const OTHER = '99999999-9999-4999-8999-999999999999';
const clusterId = (sub: string, rg: string, name: string) =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;
const ENTRA = clusterId(SUB, 'rg-prod', 'aks-entra');
const LEGACY = clusterId(SUB, 'rg-prod', 'aks-legacy');
const PLAIN = clusterId(SUB, 'rg-dev', 'aks-plain');
const UNRECORDED = clusterId(SUB, 'rg-dev', 'aks-old');
const SECOND = clusterId(SUB2, 'rg-b', 'aks-b');
const UNWATCHED = clusterId(OTHER, 'rg-x', 'aks-x');
const GUID = '7f2a4c1e-3b5d-4e6f-8a9b-0c1d2e3f4a5b';

const CLUSTERS: KnownClusterFacts[] = [
  { id: ENTRA, entraIntegration: 'managed', nodeResourceGroup: 'nodes-entra' },
  { id: LEGACY, entraIntegration: 'legacy', nodeResourceGroup: 'MC_rg-prod_aks-legacy_westeurope' },
  { id: PLAIN, entraIntegration: 'none', nodeResourceGroup: 'MC_rg-dev_aks-plain_westeurope' },
  // A posture stored before the facts were recorded.
  { id: UNRECORDED },
  { id: SECOND, entraIntegration: 'none', nodeResourceGroup: 'mc_rg-b_aks-b_eastus2' },
  { id: UNWATCHED, entraIntegration: 'none', nodeResourceGroup: 'nodes-x' },
];

const ctx: RouteContext = {
  watchedSubscriptions: [SUB, SUB2],
  knownClusterIds: CLUSTERS.map((c) => c.id),
  knownClusters: CLUSTERS,
};

const ACTION = 'Microsoft.Resources.ResourceActionSuccess';
const WRITE = 'Microsoft.Resources.ResourceWriteSuccess';
const DELETE = 'Microsoft.Resources.ResourceDeleteSuccess';

function event(subject: string, operationName: string, type: string): ArmEvent {
  return {
    id: 'evt-1',
    schema: 'eventgrid',
    type,
    time: '2026-11-22T10:15:30.123Z',
    subject,
    operationName,
    caller: { name: 'mallory@contoso.com', objectId: 'aaaaaaaa-0000-4000-8000-000000000001' },
  };
}

const route = (subject: string, operation: string, type: string, context = ctx): Route =>
  routeEvent(event(subject, operation, type), context);

const nodeRg = (sub: string, rg: string) => `/subscriptions/${sub}/resourceGroups/${rg}`;
const vmss = (sub: string, rg: string, name = 'aks-nodepool1-12345678-vmss') =>
  `${nodeRg(sub, rg)}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;

describe('listClusterUserCredential: a signal only on a cluster without Entra integration', () => {
  const op = 'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action';

  it('without Entra integration it is the admin-credential signal, naming what was fetched', () => {
    expect(route(PLAIN, op, ACTION)).toEqual({
      kind: 'signal',
      signal: 'admin-credential-retrieved',
      clusterId: PLAIN,
      subscriptionId: SUB,
      action: 'fetched the cluster-user kubeconfig',
      entraIntegration: 'none',
    });
  });

  it.each([
    [ENTRA, 'managed'],
    [LEGACY, 'legacy'],
  ])('on %s (%s Entra integration) it is ignored with the reason', (cluster, kind) => {
    const r = route(cluster, op, ACTION);
    expect(r.kind).toBe('ignored');
    expect(r).toMatchObject({ reason: expect.stringContaining(`${kind} Entra integration`) });
  });

  it('when the stored posture does not say, the current read decides (onlyWithoutEntra)', () => {
    expect(route(UNRECORDED, op, ACTION)).toMatchObject({
      kind: 'signal',
      signal: 'admin-credential-retrieved',
      onlyWithoutEntra: true,
    });
    expect(route(UNRECORDED, op, ACTION)).not.toHaveProperty('entraIntegration');
  });

  it('an unknown cluster is left to the current read too', () => {
    const unknown = clusterId(SUB, 'rg-new', 'aks-new');
    expect(route(unknown, op, ACTION)).toMatchObject({
      kind: 'signal',
      clusterId: unknown,
      onlyWithoutEntra: true,
    });
  });

  it('without facts in the context (an older caller) nothing is assumed', () => {
    const bare = { watchedSubscriptions: [SUB], knownClusterIds: [ENTRA] };
    expect(route(ENTRA, op, ACTION, bare)).toMatchObject({
      kind: 'signal',
      onlyWithoutEntra: true,
    });
  });

  it.each([
    op.toLowerCase(),
    op.toUpperCase(),
    'microsoft.containerservice/MANAGEDCLUSTERS/listclusterusercredential/ACTION',
  ])('the operation name %s compares case-insensitively', (spelling) => {
    expect(route(PLAIN, spelling, ACTION).kind).toBe('signal');
  });

  it('the stored id spelling is kept when the subject differs in case', () => {
    const shouted = PLAIN.replace('resourceGroups', 'resourcegroups').replace(
      'aks-plain',
      'AKS-PLAIN',
    );
    expect(route(shouted, op, ACTION)).toMatchObject({
      clusterId: PLAIN,
      entraIntegration: 'none',
    });
  });

  it('the action appended to the subject is tolerated; anything else below the cluster is not', () => {
    expect(route(`${PLAIN}/listClusterUserCredential`, op, ACTION).kind).toBe('signal');
    expect(route(`${PLAIN}/agentPools/np1`, op, ACTION).kind).toBe('rejected');
  });

  it('only on an Action Success event', () => {
    expect(route(PLAIN, op, WRITE).kind).toBe('ignored');
    expect(route(PLAIN, op, 'Microsoft.Resources.ResourceActionFailure').kind).toBe('ignored');
  });

  it('the access profile clusterUser is the same rule', () => {
    const ap = 'Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action';
    expect(route(`${PLAIN}/accessProfiles/clusterUser`, ap, ACTION)).toMatchObject({
      kind: 'signal',
      signal: 'admin-credential-retrieved',
    });
    expect(route(`${ENTRA}/accessProfiles/clusterUser`, ap, ACTION).kind).toBe('ignored');
    expect(route(`${ENTRA}/accessProfiles/clusterAdmin`, ap, ACTION)).toMatchObject({
      kind: 'signal',
      signal: 'admin-credential-retrieved',
      entraIntegration: 'managed',
    });
  });
});

describe('runCommand: the run-command-invoked signal', () => {
  const op = 'Microsoft.ContainerService/managedClusters/runCommand/action';

  it.each([
    [ENTRA, 'managed'],
    [LEGACY, 'legacy'],
    [PLAIN, 'none'],
  ])(
    'on %s it signals, with the stored Entra integration (%s) for the severity',
    (cluster, entra) => {
      expect(route(cluster, op, ACTION)).toMatchObject({
        kind: 'signal',
        signal: 'run-command-invoked',
        clusterId: cluster,
        subscriptionId: SUB,
        entraIntegration: entra,
      });
    },
  );

  it('on a cluster whose posture does not say, the Entra integration is left out', () => {
    const r = route(UNRECORDED, op, ACTION);
    expect(r).toMatchObject({ kind: 'signal', signal: 'run-command-invoked' });
    expect(r).not.toHaveProperty('entraIntegration');
    expect(r).not.toHaveProperty('onlyWithoutEntra');
  });

  it.each([op.toLowerCase(), 'MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/RUNCOMMAND/ACTION'])(
    '%s routes the same',
    (spelling) => {
      expect(route(PLAIN, spelling, ACTION)).toMatchObject({ signal: 'run-command-invoked' });
    },
  );

  it('the subject may carry /runCommand; the command results are not a command', () => {
    expect(route(`${PLAIN}/runCommand`, op, ACTION).kind).toBe('signal');
    expect(route(`${PLAIN}/commandResults/abc`, op, ACTION).kind).toBe('rejected');
  });

  it('a cluster in an unwatched subscription is rejected before anything else', () => {
    expect(route(UNWATCHED, op, ACTION).kind).toBe('rejected');
  });

  it('a subject that is not a cluster is rejected', () => {
    expect(route(vmss(SUB, 'nodes-entra'), op, ACTION).kind).toBe('rejected');
  });
});

describe('trusted-access role bindings: the cluster is re-evaluated', () => {
  const binding = (cluster: string) => `${cluster}/trustedAccessRoleBindings/ml-workspace`;

  it.each([
    ['Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings/write', WRITE],
    ['Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings/delete', DELETE],
  ])('%s', (op, type) => {
    expect(route(binding(ENTRA), op, type)).toEqual({
      kind: 'evaluate',
      clusterIds: [ENTRA],
      subscriptionIds: [SUB],
    });
    expect(route(binding(ENTRA), op.toUpperCase(), type).kind).toBe('evaluate');
  });

  it('a new cluster is evaluated as built from the subject', () => {
    const fresh = clusterId(SUB2, 'rg-new', 'aks-new');
    expect(
      route(
        binding(fresh),
        'Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings/write',
        WRITE,
      ),
    ).toMatchObject({ kind: 'evaluate', clusterIds: [fresh], subscriptionIds: [SUB2] });
  });

  it('the wrong event type or a subject without the binding is not routed', () => {
    const op = 'Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings/write';
    expect(route(binding(ENTRA), op, DELETE).kind).toBe('ignored');
    expect(route(ENTRA, op, WRITE).kind).toBe('rejected');
    expect(route(`${ENTRA}/agentPools/np1`, op, WRITE).kind).toBe('rejected');
  });
});

describe('PIM schedule requests: re-evaluated like role assignments at their scope', () => {
  const requests = [
    [
      'Microsoft.Authorization/roleEligibilityScheduleRequests/write',
      'roleEligibilityScheduleRequests',
    ],
    [
      'Microsoft.Authorization/roleAssignmentScheduleRequests/write',
      'roleAssignmentScheduleRequests',
    ],
  ] as const;

  it.each(requests)('%s at a resource group: its clusters, watching for a gain', (op, type) => {
    const subject = `${nodeRg(SUB, 'rg-prod')}/providers/Microsoft.Authorization/${type}/${GUID}`;
    expect(route(subject, op, WRITE)).toEqual({
      kind: 'evaluate',
      clusterIds: [ENTRA, LEGACY],
      subscriptionIds: [SUB],
      roleAssignmentId: subject,
      signal: 'privileged-role-granted',
    });
  });

  it.each(requests)('%s at a management group: every watched cluster', (op, type) => {
    const subject = `/providers/Microsoft.Management/managementGroups/mg-1/providers/Microsoft.Authorization/${type}/${GUID}`;
    const r = route(subject, op, WRITE);
    expect(r).toMatchObject({ kind: 'evaluate', subscriptionIds: [SUB, SUB2] });
    expect((r as Extract<Route, { kind: 'evaluate' }>).clusterIds).not.toContain(UNWATCHED);
  });

  it.each(requests)('%s in an unwatched subscription is rejected', (op, type) => {
    const subject = `/subscriptions/${OTHER}/providers/Microsoft.Authorization/${type}/${GUID}`;
    expect(route(subject, op, WRITE).kind).toBe('rejected');
  });

  it('a request id under the wrong resource type is rejected', () => {
    const subject = `${nodeRg(SUB, 'rg-prod')}/providers/Microsoft.Authorization/roleAssignments/${GUID}`;
    expect(
      route(subject, 'Microsoft.Authorization/roleEligibilityScheduleRequests/write', WRITE).kind,
    ).toBe('rejected');
  });

  it('a request at the node resource group reaches the cluster of those nodes', () => {
    const subject = `${nodeRg(SUB, 'nodes-entra')}/providers/Microsoft.Authorization/roleEligibilityScheduleRequests/${GUID}`;
    expect(
      route(subject, 'microsoft.authorization/roleeligibilityschedulerequests/write', WRITE),
    ).toMatchObject({ kind: 'evaluate', clusterIds: [ENTRA] });
  });
});

describe('role assignments in a node resource group: the cluster whose nodes it holds', () => {
  const assignment = (scope: string) =>
    `${scope}/providers/Microsoft.Authorization/roleAssignments/${GUID}`;
  const write = 'Microsoft.Authorization/roleAssignments/write';

  it('at the recorded node resource group (any case)', () => {
    for (const rg of ['nodes-entra', 'NODES-ENTRA'])
      expect(route(assignment(nodeRg(SUB, rg)), write, WRITE)).toMatchObject({
        kind: 'evaluate',
        clusterIds: [ENTRA],
        subscriptionIds: [SUB],
        signal: 'privileged-role-granted',
      });
  });

  it('below it (a scale set) too, and deletes as well', () => {
    expect(
      route(assignment(vmss(SUB, 'MC_rg-dev_aks-plain_westeurope')), write, WRITE),
    ).toMatchObject({ kind: 'evaluate', clusterIds: [PLAIN] });
    const r = route(
      assignment(nodeRg(SUB, 'MC_rg-dev_aks-plain_westeurope')),
      'Microsoft.Authorization/roleAssignments/delete',
      DELETE,
    );
    expect(r).toMatchObject({ kind: 'evaluate', clusterIds: [PLAIN] });
    expect(r).not.toHaveProperty('signal');
  });

  it('the default MC_ name maps a cluster whose posture did not record its node resource group', () => {
    expect(
      route(assignment(nodeRg(SUB, 'MC_rg-dev_aks-old_northeurope')), write, WRITE),
    ).toMatchObject({ kind: 'evaluate', clusterIds: [UNRECORDED] });
  });

  it('a recorded custom name wins over the default pattern', () => {
    // ENTRA's nodes are in nodes-entra: an MC_ group named after it is not its node group.
    expect(
      route(assignment(nodeRg(SUB, 'MC_rg-prod_aks-entra_westeurope')), write, WRITE),
    ).toMatchObject({
      kind: 'ignored',
    });
  });

  it('the node resource group must be in the cluster subscription', () => {
    expect(route(assignment(nodeRg(SUB2, 'nodes-entra')), write, WRITE).kind).toBe('ignored');
  });

  it('a resource group of no known cluster is ignored, naming the scope', () => {
    const r = route(assignment(nodeRg(SUB, 'MC_rg-gone_aks-gone_westeurope')), write, WRITE);
    expect(r).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('MC_rg-gone') });
  });

  it('a group holding clusters and a look-alike node group are told apart', () => {
    expect(route(assignment(nodeRg(SUB, 'rg-dev')), write, WRITE)).toMatchObject({
      clusterIds: [PLAIN, UNRECORDED],
    });
  });
});

describe('scale-set commands and extensions in a node resource group: node-command-invoked', () => {
  const runOp = 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommand/action';
  const extOp = 'Microsoft.Compute/virtualMachineScaleSets/extensions/write';

  it('a run command on an instance names the cluster, the scale set and the instance', () => {
    expect(route(`${vmss(SUB, 'nodes-entra')}/virtualMachines/3`, runOp, ACTION)).toEqual({
      kind: 'signal',
      signal: 'node-command-invoked',
      clusterId: ENTRA,
      subscriptionId: SUB,
      action: 'ran a command on node 3 of scale set aks-nodepool1-12345678-vmss',
      target: vmss(SUB, 'nodes-entra'),
    });
  });

  it('with /runCommand appended, and in any case', () => {
    expect(
      route(
        `${vmss(SUB, 'nodes-entra')}/virtualMachines/3/runCommand`,
        runOp.toLowerCase(),
        ACTION,
      ),
    ).toMatchObject({ signal: 'node-command-invoked', clusterId: ENTRA });
    expect(
      route(
        `${vmss(SUB, 'NODES-ENTRA').replace('virtualMachineScaleSets', 'VIRTUALMACHINESCALESETS')}/virtualMachines/3`,
        runOp.toUpperCase(),
        ACTION,
      ),
    ).toMatchObject({ signal: 'node-command-invoked', clusterId: ENTRA });
  });

  it('an extension written to a scale set of the default-named node group', () => {
    expect(
      route(`${vmss(SUB2, 'MC_rg-b_aks-b_eastus2')}/extensions/CustomScript`, extOp, WRITE),
    ).toMatchObject({
      kind: 'signal',
      signal: 'node-command-invoked',
      clusterId: SECOND,
      subscriptionId: SUB2,
      action: 'wrote extension CustomScript to scale set aks-nodepool1-12345678-vmss',
    });
  });

  it('a scale set outside any node resource group is ignored with the reason', () => {
    const r = route(`${vmss(SUB, 'rg-vms')}/extensions/CustomScript`, extOp, WRITE);
    expect(r).toMatchObject({
      kind: 'ignored',
      reason: expect.stringContaining('holds the nodes of no known cluster'),
    });
  });

  it('a node resource group of an unwatched subscription is rejected', () => {
    expect(route(`${vmss(OTHER, 'nodes-x')}/virtualMachines/0`, runOp, ACTION).kind).toBe(
      'rejected',
    );
  });

  it('subjects of the wrong shape are rejected', () => {
    expect(route(vmss(SUB, 'nodes-entra'), runOp, ACTION).kind).toBe('rejected');
    expect(route(`${vmss(SUB, 'nodes-entra')}/extensions/x`, runOp, ACTION).kind).toBe('rejected');
    expect(route(`${vmss(SUB, 'nodes-entra')}/virtualMachines/3`, extOp, WRITE).kind).toBe(
      'rejected',
    );
    expect(route(`${vmss(SUB, 'nodes-entra')}/extensions`, extOp, WRITE).kind).toBe('rejected');
    expect(route(`${vmss(SUB, 'nodes-entra')}/virtualMachines/3/x`, runOp, ACTION).kind).toBe(
      'rejected',
    );
    const vm = `${nodeRg(SUB, 'nodes-entra')}/providers/Microsoft.Compute/virtualMachines/vm1/extensions/x`;
    expect(route(vm, extOp, WRITE).kind).toBe('rejected');
  });

  it('only on the event type that carries the operation', () => {
    expect(route(`${vmss(SUB, 'nodes-entra')}/virtualMachines/3`, runOp, WRITE).kind).toBe(
      'ignored',
    );
    expect(route(`${vmss(SUB, 'nodes-entra')}/extensions/x`, extOp, DELETE).kind).toBe('ignored');
  });
});

describe('holdsNodesOf', () => {
  const facts = (nodeResourceGroup?: string): KnownClusterFacts => ({
    id: PLAIN,
    ...(nodeResourceGroup ? { nodeResourceGroup } : {}),
  });

  it.each([
    ['MC_rg-dev_aks-plain_westeurope', true],
    ['mc_RG-DEV_AKS-PLAIN_westeurope', true],
    ['MC_rg-dev_aks-plain_', false],
    ['MC_rg-dev_aks-plain_west_europe', false],
    ['MC_rg-dev_aks-plain-2_westeurope', false],
    ['MC_rg-dev_aks_westeurope', false],
    ['rg-dev', false],
  ])('without a recorded group, %s → %s (the default name)', (rg, expected) => {
    expect(holdsNodesOf(facts(), SUB, rg)).toBe(expected);
  });

  it('a recorded group is the only one', () => {
    expect(holdsNodesOf(facts('custom-nodes'), SUB, 'CUSTOM-NODES')).toBe(true);
    expect(holdsNodesOf(facts('custom-nodes'), SUB, 'MC_rg-dev_aks-plain_westeurope')).toBe(false);
  });

  it('never in another subscription, never for an id that is not a cluster', () => {
    expect(holdsNodesOf(facts('custom-nodes'), SUB2, 'custom-nodes')).toBe(false);
    expect(holdsNodesOf({ id: '/subscriptions/x/resourceGroups/y' }, 'x', 'MC_y__z')).toBe(false);
  });
});
