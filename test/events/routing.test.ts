import fc from 'fast-check';
import { InputError } from '../../src/core/errors';
import {
  untrustedClusterIdParts,
  splitUntrustedResourceId,
  routeEvent,
  validateArmEvent,
  type ArmEvent,
  type EventEnvelope,
  type Route,
} from '../../src/core/events';

const SUB = '11111111-1111-4111-8111-111111111111';
const SUB2 = '22222222-2222-4222-8222-222222222222';
const OTHER = '99999999-9999-4999-8999-999999999999';
const CLUSTER = `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod`;
const CLUSTER_RG2 = `/subscriptions/${SUB}/resourceGroups/rg-prod2/providers/Microsoft.ContainerService/managedClusters/aks-prod2`;
const CLUSTER_SUB2 = `/subscriptions/${SUB2}/resourceGroups/rg-dev/providers/Microsoft.ContainerService/managedClusters/aks-dev`;
const CLUSTER_OTHER = `/subscriptions/${OTHER}/resourceGroups/rg-x/providers/Microsoft.ContainerService/managedClusters/aks-x`;
const RA = 'providers/Microsoft.Authorization/roleAssignments/7f2a4c1e-3b5d-4e6f-8a9b-0c1d2e3f4a5b';

const ctx = {
  watchedSubscriptions: [SUB, SUB2],
  knownClusterIds: [CLUSTER, CLUSTER_RG2, CLUSTER_SUB2, CLUSTER_OTHER],
};

function event(overrides: Partial<ArmEvent> = {}): ArmEvent {
  return {
    id: 'evt-1',
    schema: 'eventgrid',
    type: 'Microsoft.Resources.ResourceWriteSuccess',
    time: '2026-11-22T10:15:30.123Z',
    subject: CLUSTER,
    operationName: 'Microsoft.ContainerService/managedClusters/write',
    caller: {},
    ...overrides,
  };
}

function roleWrite(subject: string, extra: Partial<ArmEvent> = {}): ArmEvent {
  return event({
    subject,
    operationName: 'Microsoft.Authorization/roleAssignments/write',
    ...extra,
  });
}

function expectKind<K extends Route['kind']>(route: Route, kind: K): Extract<Route, { kind: K }> {
  expect(route).toMatchObject({ kind });
  return route as Extract<Route, { kind: K }>;
}

describe('routeEvent: role assignments', () => {
  it('a write at a resource group re-evaluates the known clusters under it, not those of a look-alike group', () => {
    const route = expectKind(
      routeEvent(roleWrite(`/subscriptions/${SUB}/resourceGroups/rg-prod/${RA}`), ctx),
      'evaluate',
    );
    expect(route.clusterIds).toEqual([CLUSTER]);
    expect(route.subscriptionIds).toEqual([SUB]);
    expect(route.signal).toBe('privileged-role-granted');
    expect(route.roleAssignmentId).toContain('roleAssignments');
  });

  it('matches case-insensitively (resourcegroups / RESOURCEGROUPS, operation name in any case)', () => {
    const subject = `/subscriptions/${SUB.toUpperCase()}/resourcegroups/RG-PROD/${RA.toLowerCase()}`;
    const route = expectKind(
      routeEvent(
        roleWrite(subject, {
          operationName: 'MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE',
          type: 'microsoft.resources.resourcewritesuccess',
        }),
        ctx,
      ),
      'evaluate',
    );
    expect(route.clusterIds).toEqual([CLUSTER]);
  });

  it('a delete re-evaluates without the privileged-role-granted signal', () => {
    const route = expectKind(
      routeEvent(
        event({
          type: 'Microsoft.Resources.ResourceDeleteSuccess',
          subject: `/subscriptions/${SUB}/resourceGroups/rg-prod/${RA}`,
          operationName: 'Microsoft.Authorization/roleAssignments/delete',
        }),
        ctx,
      ),
      'evaluate',
    );
    expect(route.clusterIds).toEqual([CLUSTER]);
    expect(route.signal).toBeUndefined();
  });

  it('a subscription scope covers every known cluster of that subscription only', () => {
    const route = expectKind(routeEvent(roleWrite(`/subscriptions/${SUB}/${RA}`), ctx), 'evaluate');
    expect(route.clusterIds.sort()).toEqual([CLUSTER, CLUSTER_RG2].sort());
  });

  it('a cluster scope covers that cluster', () => {
    const route = expectKind(routeEvent(roleWrite(`${CLUSTER}/${RA}`), ctx), 'evaluate');
    expect(route.clusterIds).toEqual([CLUSTER]);
  });

  it('a management-group or root scope means every WATCHED known cluster', () => {
    for (const subject of [
      `/providers/Microsoft.Management/managementGroups/mg-corp/${RA}`,
      `/${RA}`,
    ]) {
      const route = expectKind(
        routeEvent(roleWrite(subject, { subscriptionId: SUB }), ctx),
        'evaluate',
      );
      expect(route.clusterIds.sort()).toEqual([CLUSTER, CLUSTER_RG2, CLUSTER_SUB2].sort());
      expect(route.subscriptionIds).toEqual([SUB, SUB2].sort());
    }
  });

  it('a scope with no known cluster under it is ignored with the reason', () => {
    const route = expectKind(
      routeEvent(roleWrite(`/subscriptions/${SUB}/resourceGroups/rg-empty/${RA}`), ctx),
      'ignored',
    );
    expect(route.reason).toMatch(/no known cluster under scope/);
  });

  it('a role assignment at a scope that is neither tenant, management group nor subscription is rejected', () => {
    const route = routeEvent(
      roleWrite(`/providers/Microsoft.Management/managementGroups/mg/subscriptions/${OTHER}/${RA}`),
      ctx,
    );
    expect(route.kind).toBe('rejected');
  });

  it('a subject that is not a role assignment id is rejected', () => {
    expect(routeEvent(roleWrite(CLUSTER), ctx).kind).toBe('rejected');
  });
});

describe('routeEvent: role definitions', () => {
  it('write and delete ask the use case for every cluster with an assignment of that role', () => {
    const guid = 'AAAAAAAA-1111-4222-8333-444444444444';
    for (const [type, op] of [
      ['Microsoft.Resources.ResourceWriteSuccess', 'Microsoft.Authorization/roleDefinitions/write'],
      [
        'Microsoft.Resources.ResourceDeleteSuccess',
        'Microsoft.Authorization/roleDefinitions/delete',
      ],
    ]) {
      const route = routeEvent(
        event({
          type,
          operationName: op,
          subject: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
        }),
        ctx,
      );
      expect(route).toEqual({
        kind: 'evaluate-role',
        roleDefinitionGuid: guid.toLowerCase(),
        subscriptionIds: [SUB, SUB2].sort(),
      });
    }
  });

  it('a role definition name that is not a GUID is rejected', () => {
    const route = routeEvent(
      event({
        operationName: 'Microsoft.Authorization/roleDefinitions/write',
        subject: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/not-a-guid`,
      }),
      ctx,
    );
    expect(route.kind).toBe('rejected');
  });
});

describe('routeEvent: managed clusters', () => {
  it('a cluster write re-evaluates that cluster, spelt as stored', () => {
    const subject = CLUSTER.replace('resourceGroups', 'resourcegroups').replace(
      'managedClusters',
      'MANAGEDCLUSTERS',
    );
    expect(routeEvent(event({ subject }), ctx)).toEqual({
      kind: 'evaluate',
      clusterIds: [CLUSTER],
      subscriptionIds: [SUB],
    });
  });

  it('a write of a cluster not yet known re-evaluates it (a new cluster)', () => {
    const subject = `/subscriptions/${SUB}/resourcegroups/rg-new/providers/Microsoft.ContainerService/managedClusters/aks-new`;
    const route = expectKind(routeEvent(event({ subject }), ctx), 'evaluate');
    expect(route.clusterIds).toEqual([
      `/subscriptions/${SUB}/resourceGroups/rg-new/providers/Microsoft.ContainerService/managedClusters/aks-new`,
    ]);
  });

  it('an agent-pool write re-evaluates its cluster', () => {
    const route = routeEvent(
      event({
        subject: `${CLUSTER}/agentPools/nodepool1`,
        operationName: 'Microsoft.ContainerService/managedClusters/agentPools/write',
      }),
      ctx,
    );
    expect(route).toEqual({ kind: 'evaluate', clusterIds: [CLUSTER], subscriptionIds: [SUB] });
  });

  it('a cluster delete routes to deleted', () => {
    const route = routeEvent(
      event({
        type: 'Microsoft.Resources.ResourceDeleteSuccess',
        operationName: 'Microsoft.ContainerService/managedClusters/delete',
      }),
      ctx,
    );
    expect(route).toEqual({ kind: 'deleted', clusterId: CLUSTER, subscriptionId: SUB });
  });

  it('listClusterAdminCredential success is the admin-credential signal', () => {
    const route = routeEvent(
      event({
        type: 'Microsoft.Resources.ResourceActionSuccess',
        operationName:
          'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action',
      }),
      ctx,
    );
    expect(route).toEqual({
      kind: 'signal',
      signal: 'admin-credential-retrieved',
      clusterId: CLUSTER,
      subscriptionId: SUB,
      action: 'fetched the cluster-admin kubeconfig',
    });
  });

  it('the access-profile clusterAdmin credential is the same signal; clusterUser is one only without Entra; others are ignored', () => {
    const base = {
      type: 'Microsoft.Resources.ResourceActionSuccess',
      operationName:
        'Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action',
    };
    expect(
      routeEvent(event({ ...base, subject: `${CLUSTER}/accessProfiles/clusterAdmin` }), ctx),
    ).toMatchObject({ kind: 'signal', signal: 'admin-credential-retrieved' });
    expect(
      routeEvent(event({ ...base, subject: `${CLUSTER}/accessProfiles/clusterUser` }), ctx),
    ).toMatchObject({ kind: 'signal', onlyWithoutEntra: true });
    expect(
      routeEvent(event({ ...base, subject: `${CLUSTER}/accessProfiles/clusterMonitoring` }), ctx)
        .kind,
    ).toBe('ignored');
  });

  it('a subject that does not match the operation is rejected', () => {
    const storage = `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.Storage/storageAccounts/st1`;
    expect(routeEvent(event({ subject: storage }), ctx).kind).toBe('rejected');
    expect(routeEvent(event({ subject: `${CLUSTER}/agentPools/np1` }), ctx).kind).toBe('rejected');
  });
});

describe('routeEvent: ignored', () => {
  it('failures and cancellations are ignored with the reason', () => {
    for (const type of [
      'Microsoft.Resources.ResourceWriteFailure',
      'Microsoft.Resources.ResourceWriteCancel',
      'Microsoft.Resources.ResourceActionFailure',
    ]) {
      const route = expectKind(routeEvent(event({ type }), ctx), 'ignored');
      expect(route.reason).toMatch(/did not succeed/);
    }
  });

  it('other operations and unknown event types are ignored', () => {
    expect(
      routeEvent(
        event({
          operationName: 'Microsoft.Storage/storageAccounts/write',
          subject: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st`,
        }),
        ctx,
      ).kind,
    ).toBe('ignored');
    expect(
      routeEvent(event({ type: 'Microsoft.Storage.BlobCreated', operationName: '' }), ctx).kind,
    ).toBe('ignored');
    expect(
      routeEvent(
        event({
          operationName:
            'Microsoft.ContainerService/managedClusters/listClusterMonitoringUserCredential/action',
          type: 'Microsoft.Resources.ResourceActionSuccess',
        }),
        ctx,
      ).kind,
    ).toBe('ignored');
  });

  it('an operation paired with the wrong event type is ignored', () => {
    const route = routeEvent(event({ type: 'Microsoft.Resources.ResourceDeleteSuccess' }), ctx);
    expect(route.kind).toBe('ignored');
  });
});

describe('routeEvent: nothing outside the watched subscriptions', () => {
  it('a subject in an unwatched subscription is rejected, whatever the operation', () => {
    for (const op of [
      'Microsoft.ContainerService/managedClusters/write',
      'Microsoft.Storage/storageAccounts/write',
    ]) {
      const route = expectKind(
        routeEvent(event({ subject: CLUSTER_OTHER, operationName: op }), ctx),
        'rejected',
      );
      expect(route.reason).toBe(`subscription "${OTHER}" is not watched`);
    }
  });

  it('a known cluster of an unwatched subscription is never routed by a tenant-wide assignment', () => {
    const route = expectKind(routeEvent(roleWrite(`/${RA}`), ctx), 'evaluate');
    expect(route.clusterIds).not.toContain(CLUSTER_OTHER);
  });

  it('an event naming an unwatched subscription elsewhere is rejected', () => {
    const route = routeEvent(
      roleWrite(`/providers/Microsoft.Management/managementGroups/mg/${RA}`, {
        subscriptionId: OTHER,
      }),
      ctx,
    );
    expect(route.kind).toBe('rejected');
  });

  it.each([
    [
      `/subscriptions/${OTHER}/../${SUB}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod`,
    ],
    [
      `/subscriptions/${SUB}/../${OTHER}/resourceGroups/rg-x/providers/Microsoft.ContainerService/managedClusters/aks-x`,
    ],
    [
      `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod/../../../../../../subscriptions/${OTHER}`,
    ],
    [
      `/subscriptions/${SUB}/resourceGroups/rg%2Fprod/providers/Microsoft.ContainerService/managedClusters/aks-prod`,
    ],
    [
      `/subscriptions/${SUB}//resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod`,
    ],
    [
      `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks prod`,
    ],
    [
      `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod?x=/subscriptions/${OTHER}`,
    ],
    [
      `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/.`,
    ],
    [
      `subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod`,
    ],
  ])('hostile subject %s is rejected, never evaluated', (subject) => {
    expect(routeEvent(event({ subject }), ctx).kind).toBe('rejected');
  });

  it('nothing is watched: everything with a subscription is rejected', () => {
    expect(routeEvent(event(), { watchedSubscriptions: [], knownClusterIds: [CLUSTER] }).kind).toBe(
      'rejected',
    );
  });
});

describe('splitUntrustedResourceId / untrustedClusterIdParts', () => {
  it('splits whole segments and refuses relative or empty ones', () => {
    expect(splitUntrustedResourceId('/a/b')).toEqual({ ok: true, segments: ['a', 'b'] });
    expect(splitUntrustedResourceId('/a/b/')).toEqual({ ok: true, segments: ['a', 'b'] });
    expect(splitUntrustedResourceId('/a/../b').ok).toBe(false);
    expect(splitUntrustedResourceId('/a//b').ok).toBe(false);
    expect(splitUntrustedResourceId('/a/b\\c').ok).toBe(false);
  });

  it('names the parts of a cluster id', () => {
    expect(untrustedClusterIdParts(CLUSTER)).toEqual({
      subscriptionId: SUB,
      resourceGroup: 'rg-prod',
      name: 'aks-prod',
    });
    expect(untrustedClusterIdParts(`${CLUSTER}/agentPools/np`)).toBeUndefined();
  });
});

describe('validateArmEvent', () => {
  const data = {
    operationName: 'Microsoft.ContainerService/managedClusters/write',
    status: 'Succeeded',
    subscriptionId: SUB,
    resourceUri: CLUSTER,
    claims: {
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': 'alice@contoso.example',
      name: 'Alice Operator',
      'http://schemas.microsoft.com/identity/claims/objectidentifier':
        'a11ce000-0000-4000-8000-000000000001',
      appid: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
    },
    httpRequest: { clientIpAddress: '203.0.113.24', method: 'PUT' },
    authorization: {
      evidence: {
        role: 'Owner',
        principalType: 'User',
        principalId: 'a11ce0000000400080000000000000001',
      },
    },
  };
  const envelope = (overrides: Partial<EventEnvelope> = {}): EventEnvelope => ({
    id: 'evt-1',
    schema: 'eventgrid',
    type: 'Microsoft.Resources.ResourceWriteSuccess',
    time: new Date('2026-11-22T10:15:30.123Z'),
    subject: CLUSTER,
    source: `/subscriptions/${SUB}`,
    data,
    ...overrides,
  });

  it('keeps who and from where, never more of the claims', () => {
    const e = validateArmEvent(envelope());
    expect(e).toEqual({
      id: 'evt-1',
      schema: 'eventgrid',
      type: 'Microsoft.Resources.ResourceWriteSuccess',
      time: '2026-11-22T10:15:30.123Z',
      subject: CLUSTER,
      operationName: 'Microsoft.ContainerService/managedClusters/write',
      status: 'Succeeded',
      subscriptionId: SUB,
      caller: {
        name: 'alice@contoso.example',
        objectId: 'a11ce000-0000-4000-8000-000000000001',
        appId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
        ipAddress: '203.0.113.24',
      },
      evidence: {
        role: 'Owner',
        principalType: 'User',
        principalId: 'a11ce0000000400080000000000000001',
      },
    });
  });

  it('a service principal caller has an app id and object id, no name', () => {
    const e = validateArmEvent(
      envelope({ data: { ...data, claims: { appid: 'app-1', oid: 'oid-1' } } }),
    );
    expect(e.caller).toEqual({ appId: 'app-1', objectId: 'oid-1', ipAddress: '203.0.113.24' });
  });

  it('strips control characters from claims so a log line stays one line', () => {
    const e = validateArmEvent(
      envelope({ data: { ...data, claims: { name: 'eve\nevent x: evaluated' } } }),
    );
    expect(e.caller.name).toBe('eveevent x: evaluated');
  });

  const problems: Array<[string, Partial<EventEnvelope>, RegExp]> = [
    ['no id', { id: '' }, /id must be/],
    ['a numeric id', { id: 42 }, /event 42: id must be/],
    ['an id with a newline', { id: 'a\nb' }, /id must be/],
    ['an invalid time', { time: new Date('garbage') }, /event evt-1: time .* not a valid date/],
    ['no subject', { subject: '' }, /event evt-1: subject .* missing/],
    ['data that is a string', { data: 'nope' }, /event evt-1: data must be a JSON object/],
    ['binary data', { data: new Uint8Array([1, 2]) }, /binary data/],
    ['no data on a resource event', { data: undefined }, /data is missing/],
    [
      'no operation name',
      { data: { ...data, operationName: undefined } },
      /event evt-1: data.operationName/,
    ],
    [
      'a topic in another subscription',
      { source: `/subscriptions/${OTHER}` },
      /subject names subscription .* but topic names/,
    ],
    [
      'data.subscriptionId of another subscription',
      { data: { ...data, subscriptionId: OTHER } },
      /but data.subscriptionId names/,
    ],
    [
      'data.resourceUri in another subscription',
      { data: { ...data, resourceUri: CLUSTER_OTHER } },
      /but data.resourceUri names/,
    ],
  ];
  it.each(problems)('refuses %s with one line naming the id', (_what, overrides, message) => {
    let error: unknown;
    try {
      validateArmEvent(envelope(overrides));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('accepts a non-ARM event type without an operation name (it routes to ignored)', () => {
    const e = validateArmEvent(
      envelope({ type: 'Microsoft.Storage.BlobCreated', data: { url: 'x' } }),
    );
    expect(e.operationName).toBe('');
    expect(routeEvent(e, ctx).kind).toBe('ignored');
  });
});

describe('routeEvent: property — no sender-chosen subject evaluates outside the watched subscriptions', () => {
  const segment = fc.oneof(
    fc.constantFrom(
      'subscriptions',
      'SUBSCRIPTIONS',
      SUB,
      OTHER,
      SUB2.toUpperCase(),
      'resourceGroups',
      'resourcegroups',
      'rg-prod',
      'providers',
      'Microsoft.ContainerService',
      'managedClusters',
      'aks-prod',
      'agentPools',
      'Microsoft.Authorization',
      'roleAssignments',
      'roleDefinitions',
      'Microsoft.Management',
      'managementGroups',
      '7f2a4c1e-3b5d-4e6f-8a9b-0c1d2e3f4a5b',
      '..',
      '.',
      '',
      '%2F',
      'a b',
    ),
    fc.string({ maxLength: 6 }),
  );
  const subject = fc.array(segment, { maxLength: 12 }).map((parts) => '/' + parts.join('/'));
  const operation = fc.constantFrom(
    'Microsoft.Authorization/roleAssignments/write',
    'Microsoft.Authorization/roleAssignments/delete',
    'Microsoft.Authorization/roleDefinitions/write',
    'Microsoft.ContainerService/managedClusters/write',
    'Microsoft.ContainerService/managedClusters/agentPools/write',
    'Microsoft.ContainerService/managedClusters/delete',
    'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action',
    'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action',
    'Microsoft.ContainerService/managedClusters/runCommand/action',
    'Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings/write',
    'Microsoft.Authorization/roleEligibilityScheduleRequests/write',
    'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommand/action',
    'Microsoft.Compute/virtualMachineScaleSets/extensions/write',
  );
  const type = fc.constantFrom(
    'Microsoft.Resources.ResourceWriteSuccess',
    'Microsoft.Resources.ResourceDeleteSuccess',
    'Microsoft.Resources.ResourceActionSuccess',
  );

  it('every routed cluster and subscription is watched', () => {
    const watched = new Set([SUB, SUB2]);
    fc.assert(
      fc.property(
        subject,
        operation,
        type,
        fc.option(fc.constantFrom(SUB, OTHER), { nil: undefined }),
        (s, op, t, sub) => {
          const route = routeEvent(
            event({ subject: s, operationName: op, type: t, subscriptionId: sub }),
            ctx,
          );
          const subOf = (id: string) =>
            /^\/subscriptions\/([^/]+)/i.exec(id)?.[1]?.toLowerCase() ?? '';
          if (route.kind === 'evaluate') {
            for (const id of route.clusterIds) expect(watched.has(subOf(id))).toBe(true);
            for (const id of route.subscriptionIds) expect(watched.has(id)).toBe(true);
          } else if (route.kind === 'deleted' || route.kind === 'signal') {
            expect(watched.has(subOf(route.clusterId))).toBe(true);
            expect(watched.has(route.subscriptionId)).toBe(true);
          } else if (route.kind === 'evaluate-role') {
            for (const id of route.subscriptionIds) expect(watched.has(id)).toBe(true);
          }
          if (sub === OTHER)
            expect(route.kind === 'rejected' || route.kind === 'ignored').toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
