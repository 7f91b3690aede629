/**
 * The `handleArmEvents` use case against the real parts: the Table Storage store on Azurite,
 * the snapshot source reading exports from a temporary folder (edited between events, as the
 * estate changes in Azure), and the real `evaluateEstate`.
 */
import { SteppedClock } from '../helpers/clock';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseEventBatch } from '../../src/adapters/eventGridInput';
import { SnapshotSource } from '../../src/adapters/snapshotSource';
import { TableStore } from '../../src/adapters/tableStore';
import { evaluateEstate } from '../../src/core/evaluate';
import type { ArmEvent } from '../../src/core/events';
import type { Estate } from '../../src/core/model';
import type { EstateFilter, EstateSource } from '../../src/core/ports';
import { createEvaluationCoalescer, type EvaluateFn } from '../../src/usecases/evaluateRequests';
import { handleArmEvents, type HandleEventsDeps } from '../../src/usecases/handleEvents';
import type { WindowTimer } from '../../src/usecases/coalescer';
import { startAzurite, uniqueTablePrefix, type TestAzurite } from '../helpers/azurite';

const FIXTURES = join(__dirname, '..', 'fixtures', 'events');
const SUB = '11111111-1111-4111-8111-111111111111';
const OTHER = '99999999-9999-4999-8999-999999999999';
const CLUSTER = `/subscriptions/${SUB}/resourcegroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod`;
const CLUSTER_DEV = `/subscriptions/${SUB}/resourcegroups/rg-dev/providers/Microsoft.ContainerService/managedClusters/aks-dev`;
const RA_ID = '7f2a4c1e-3b5d-4e6f-8a9b-0c1d2e3f4a5b';
const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c';
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const BOB = 'b0b00000-0000-4000-8000-000000000002';
const CUSTOM_ROLE = 'c0570000-0000-4000-8000-000000000009';

function cluster(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    name: id.split('/').pop(),
    resourceGroup: id.split('/')[4],
    location: 'westeurope',
    aadProfile: {
      managed: true,
      enableAzureRbac: true,
      adminGroupObjectIds: ['a0a0a0a0-0000-4000-8000-000000000001'],
    },
    disableLocalAccounts: false,
    enableRbac: true,
    identity: { type: 'SystemAssigned', principalId: 'c0c0c0c0-0000-4000-8000-000000000001' },
    identityProfile: {
      kubeletidentity: {
        objectId: 'b1b1b1b1-0000-4000-8000-000000000001',
        clientId: 'b2b2b2b2-0000-4000-8000-000000000001',
      },
    },
    oidcIssuerProfile: { enabled: true },
    securityProfile: { workloadIdentity: { enabled: true } },
    ...overrides,
  };
}

function assignment(
  name: string,
  scope: string,
  principalId: string,
  roleGuid: string,
  roleName: string,
) {
  return {
    id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
    name,
    scope,
    principalId,
    principalType: 'User',
    roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`,
    roleDefinitionName: roleName,
  };
}

/** The snapshot source, counting reads: the real adapter, observed. */
class CountingSource implements EstateSource {
  readonly kind = 'snapshot' as const;
  reads: Array<EstateFilter | undefined> = [];
  /** Set to make estate reads fail as ARM does when it is down (listing subscriptions still works). */
  down?: Error;
  constructor(private readonly inner: SnapshotSource) {}
  watchedSubscriptions() {
    return this.inner.watchedSubscriptions();
  }
  readEstate(filter?: EstateFilter): Promise<Estate> {
    this.reads.push(filter);
    if (this.down) return Promise.reject(this.down);
    return this.inner.readEstate(filter);
  }
  health() {
    return this.inner.health();
  }
}

function fixtureEvents(name: string): Record<string, unknown>[] {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>[];
}

async function eventsFrom(...raw: unknown[]): Promise<ArmEvent[]> {
  const batch = await parseEventBatch(raw);
  expect(batch.rejected).toEqual([]);
  return batch.events;
}

function withId(raw: Record<string, unknown>, id: string): Record<string, unknown> {
  return { ...raw, id };
}

let azurite: TestAzurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

interface World {
  dir: string;
  source: CountingSource;
  store: TableStore;
  evaluated: string[][];
  logs: string[];
  clock: SteppedClock;
  deps: HandleEventsDeps;
  writeEstate(estate: {
    clusters?: unknown[];
    assignments?: unknown[];
    definitions?: unknown[];
  }): void;
}

const worlds: World[] = [];
afterEach(() => {
  for (const w of worlds.splice(0)) rmSync(w.dir, { recursive: true, force: true });
});

async function world(
  initial: { clusters?: unknown[]; assignments?: unknown[]; definitions?: unknown[] } = {},
): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'aia-events-'));
  const writeEstate: World['writeEstate'] = ({ clusters, assignments, definitions }) => {
    if (clusters) writeFileSync(join(dir, 'clusters.json'), JSON.stringify(clusters));
    if (assignments) writeFileSync(join(dir, 'role-assignments.json'), JSON.stringify(assignments));
    if (definitions) writeFileSync(join(dir, 'role-definitions.json'), JSON.stringify(definitions));
  };
  writeEstate({
    clusters: [cluster(CLUSTER), cluster(CLUSTER_DEV)],
    assignments: [
      assignment(
        'reader-everyone',
        `/subscriptions/${SUB}`,
        'e0e0e0e0-0000-4000-8000-00000000000e',
        READER,
        'Reader',
      ),
    ],
    ...initial,
  });
  const source = new CountingSource(new SnapshotSource(dir));
  const clock = new SteppedClock(Date.parse('2026-11-22T10:16:00.000Z'));
  const store = await TableStore.create({
    connectionString: azurite.connectionString,
    allowInsecureConnection: true,
    tablePrefix: uniqueTablePrefix('ev'),
    clock,
  });
  const evaluated: string[][] = [];
  const evaluate: EvaluateFn = (estate, options) => {
    const postures = evaluateEstate(estate, options);
    evaluated.push(postures.map((p) => p.id));
    return postures;
  };
  const logs: string[] = [];
  const w: World = {
    dir,
    source,
    store,
    evaluated,
    logs,
    clock,
    writeEstate,
    deps: {
      source,
      store,
      evaluate,
      clock,
      log: (line) => logs.push(line),
      minAlertSeverity: 'high',
      linkBase: 'http://localhost:7071',
    },
  };
  worlds.push(w);
  return w;
}

/** A first cluster write per cluster: the baseline, which pages nobody. */
async function baseline(w: World): Promise<void> {
  const [write] = fixtureEvents('eventgrid-cluster-write.json');
  const results = await handleArmEvents(
    await eventsFrom(withId(write, 'baseline-prod'), {
      ...withId(write, 'baseline-dev'),
      subject: CLUSTER_DEV,
      data: { ...(write.data as object), resourceUri: CLUSTER_DEV },
    }),
    w.deps,
  );
  expect(results.map((r) => r.outcome)).toEqual(['evaluated', 'evaluated']);
  expect(results.flatMap((r) => r.regressions)).toEqual([]);
  w.source.reads = [];
  w.evaluated.length = 0;
  w.clock.advance(60_000);
}

describe('handleArmEvents', () => {
  it('a new cluster write evaluates it and records the baseline, paging nobody', async () => {
    const w = await world();
    const results = await handleArmEvents(
      await eventsFrom(...fixtureEvents('eventgrid-cluster-write.json')),
      w.deps,
    );
    expect(results).toEqual([
      {
        id: 'e7a1c2d3-0003-4000-8000-000000000003',
        type: 'Microsoft.Resources.ResourceWriteSuccess',
        operationName: 'Microsoft.ContainerService/managedClusters/write',
        subject: CLUSTER,
        outcome: 'evaluated',
        reason: 're-evaluated 1 cluster',
        clusters: [CLUSTER],
        signals: [],
        regressions: [],
      },
    ]);
    expect((await w.store.knownClusterIds()).map((id) => id.toLowerCase())).toEqual([
      CLUSTER.toLowerCase(),
    ]);
    expect(await w.store.listAlerts({})).toEqual([]);
  });

  it('a Contributor granted at the resource group: one regression, the signal, and ONE alert that names who granted it', async () => {
    const w = await world();
    await baseline(w);
    w.writeEstate({
      assignments: [
        assignment(
          RA_ID,
          `/subscriptions/${SUB}/resourceGroups/rg-prod`,
          BOB,
          CONTRIBUTOR,
          'Contributor',
        ),
      ],
    });

    const [result] = await handleArmEvents(
      await eventsFrom(...fixtureEvents('eventgrid-role-assignment-write.json')),
      w.deps,
    );
    expect(result.outcome).toBe('evaluated');
    expect(result.clusters).toEqual([CLUSTER]);
    expect(result.regressions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ clusterId: CLUSTER, kind: 'privilege-gained', principalId: BOB }),
      ]),
    );
    expect(result.signals).toEqual([
      {
        signal: 'privileged-role-granted',
        clusterId: CLUSTER,
        caller: {
          name: 'alice@contoso.example',
          objectId: 'a11ce000-0000-4000-8000-000000000001',
          appId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
          ipAddress: '203.0.113.24',
        },
        eventId: 'e7a1c2d3-0001-4000-8000-000000000001',
        eventTime: '2026-11-22T10:15:30.123Z',
      },
    ]);
    // Only the rg-prod cluster was read and evaluated: rg-dev is not under the scope.
    expect(w.evaluated).toEqual([[CLUSTER]]);

    const pending = await w.store.listAlerts({ state: 'pending' });
    const bobAlerts = pending.filter(
      (a) => a.alert.kind === 'privilege-gained' && a.alert.principal?.principalId === BOB,
    );
    expect(bobAlerts.length).toBeGreaterThan(0);
    // Pages once: no separate privileged-role-granted alert; the regression alert carries the caller.
    expect(pending.filter((a) => a.alert.kind === 'privileged-role-granted')).toEqual([]);
    for (const a of bobAlerts) expect(a.alert.caller).toEqual(result.signals[0].caller);
    expect(new Set(pending.map((a) => a.alert.dedupeKey)).size).toBe(pending.length);
  });

  it('a redelivered event is a duplicate and evaluates nothing', async () => {
    const w = await world();
    await baseline(w);
    const events = await eventsFrom(...fixtureEvents('eventgrid-role-assignment-write.json'));
    w.writeEstate({
      assignments: [
        assignment(
          RA_ID,
          `/subscriptions/${SUB}/resourceGroups/rg-prod`,
          BOB,
          CONTRIBUTOR,
          'Contributor',
        ),
      ],
    });
    await handleArmEvents(events, w.deps);
    const alertsBefore = await w.store.listAlerts({});
    w.evaluated.length = 0;

    const [again] = await handleArmEvents(events, w.deps);
    expect(again).toMatchObject({
      outcome: 'duplicate',
      clusters: [],
      signals: [],
      regressions: [],
    });
    expect(w.evaluated).toEqual([]);
    expect((await w.store.listAlerts({})).length).toBe(alertsBefore.length);
  });

  it('an admin-credential fetch pages at critical with who, where, when and local-account state; each fetch pages once', async () => {
    const w = await world();
    await baseline(w);
    const [fetch] = fixtureEvents('cloudevents-admin-credential.json');
    const [result] = await handleArmEvents(await eventsFrom(fetch), w.deps);
    expect(result.outcome).toBe('evaluated');
    expect(result.clusters).toEqual([CLUSTER]);
    expect(result.signals).toEqual([
      expect.objectContaining({
        signal: 'admin-credential-retrieved',
        clusterId: CLUSTER,
        localAccountsEnabled: true,
        eventId: fetch.id,
      }),
    ]);
    const alerts = (await w.store.listAlerts({})).filter(
      (a) => a.alert.kind === 'admin-credential-retrieved',
    );
    expect(alerts).toHaveLength(1);
    const [{ alert }] = alerts;
    expect(alert).toMatchObject({
      severity: 'critical',
      clusterId: CLUSTER,
      clusterName: 'aks-prod',
      resourceGroup: 'rg-prod',
      subscriptionId: SUB,
      caller: { name: 'alice@contoso.example', ipAddress: '203.0.113.24' },
      link: `http://localhost:7071/api/dashboard/clusters/${SUB}/rg-prod/aks-prod`,
    });
    expect(alert.before).toMatch(/local accounts are enabled/);
    expect(alert.after).toContain('alice@contoso.example');
    expect(alert.after).toContain('203.0.113.24');
    expect(alert.after).toContain('2026-11-22T10:15:30.123Z');
    expect(alert.remediation).toMatch(/--disable-local-accounts/);

    // Redelivery: duplicate, no second page. Another fetch: another page.
    await handleArmEvents(await eventsFrom(fetch), w.deps);
    await handleArmEvents(await eventsFrom(withId(fetch, 'second-fetch')), w.deps);
    expect(
      (await w.store.listAlerts({})).filter((a) => a.alert.kind === 'admin-credential-retrieved'),
    ).toHaveLength(2);
  });

  it('an admin-credential fetch on a cluster with local accounts disabled says so', async () => {
    const w = await world({
      clusters: [cluster(CLUSTER, { disableLocalAccounts: true }), cluster(CLUSTER_DEV)],
    });
    const [result] = await handleArmEvents(
      await eventsFrom(...fixtureEvents('eventgrid-admin-credential.json')),
      w.deps,
    );
    expect(result.signals[0].localAccountsEnabled).toBe(false);
    const [{ alert }] = (await w.store.listAlerts({})).filter(
      (a) => a.alert.kind === 'admin-credential-retrieved',
    );
    expect(alert.before).toMatch(/local accounts are disabled/);
    // Disabling them again fixes nothing: the kubeconfig already fetched stays valid until the
    // cluster's certificates are rotated.
    expect(alert.remediation).not.toContain('--disable-local-accounts');
    expect(alert.remediation).toMatch(/^az aks rotate-certs -g rg-prod -n aks-prod {3}# /);
  });

  it('an event about an unwatched subscription is rejected and evaluates nothing', async () => {
    const w = await world();
    const [write] = fixtureEvents('eventgrid-cluster-write.json');
    const foreign = CLUSTER.replace(SUB, OTHER);
    const events = await eventsFrom({
      ...write,
      subject: foreign,
      topic: `/subscriptions/${OTHER}`,
      data: { ...(write.data as object), subscriptionId: OTHER, resourceUri: foreign },
    });
    const [result] = await handleArmEvents(events, w.deps);
    expect(result).toMatchObject({
      outcome: 'rejected',
      reason: `subscription "${OTHER}" is not watched`,
      clusters: [],
    });
    expect(w.source.reads).toEqual([]);
    expect(await w.store.knownClusterIds()).toEqual([]);
  });

  it('failures and other operations are ignored with a reason, and counted in the log', async () => {
    const w = await world();
    const [write] = fixtureEvents('eventgrid-cluster-write.json');
    const results = await handleArmEvents(
      await eventsFrom(...fixtureEvents('eventgrid-role-assignment-write-failure.json'), {
        ...withId(write, 'storage-write'),
        subject: `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.Storage/storageAccounts/st1`,
        data: {
          ...(write.data as object),
          operationName: 'Microsoft.Storage/storageAccounts/write',
          resourceUri: undefined,
        },
      }),
      w.deps,
    );
    expect(results.map((r) => r.outcome)).toEqual(['ignored', 'ignored']);
    expect(results[0].reason).toMatch(/did not succeed/);
    expect(results[1].reason).toMatch(/does not affect/);
    expect(w.source.reads).toEqual([]);
    expect(w.logs).toContain(
      'events: 0 handled, 2 ignored, 0 duplicate, 0 rejected; 0 clusters re-evaluated',
    );
  });

  it('a burst is coalesced: one estate read, each cluster evaluated once, every event reports its clusters', async () => {
    const w = await world();
    await baseline(w);
    const [roleWrite] = fixtureEvents('eventgrid-role-assignment-write.json');
    const [clusterWrite] = fixtureEvents('eventgrid-cluster-write.json');
    const burst = [
      ...Array.from({ length: 12 }, (_, i) => withId(roleWrite, `burst-role-${i}`)),
      ...Array.from({ length: 5 }, (_, i) => withId(clusterWrite, `burst-cluster-${i}`)),
      {
        ...withId(clusterWrite, 'burst-pool'),
        subject: `${CLUSTER_DEV}/agentPools/np1`,
        data: {
          ...(clusterWrite.data as object),
          operationName: 'Microsoft.ContainerService/managedClusters/agentPools/write',
          resourceUri: `${CLUSTER_DEV}/agentPools/np1`,
        },
      },
    ];
    const results = await handleArmEvents(await eventsFrom(...burst), w.deps);
    expect(w.source.reads).toHaveLength(1);
    expect(w.evaluated).toHaveLength(1);
    expect([...w.evaluated[0]].sort()).toEqual([CLUSTER, CLUSTER_DEV].sort());
    expect(results.every((r) => r.outcome === 'evaluated')).toBe(true);
    expect(results[0].clusters).toEqual([CLUSTER]);
    expect(results[results.length - 1].clusters).toEqual([CLUSTER_DEV]);
  });

  it('concurrent invocations share one evaluation through a long-lived coalescer', async () => {
    const w = await world();
    await baseline(w);
    const callbacks: Array<() => void> = [];
    const timer: WindowTimer = {
      set: (cb) => callbacks.push(cb),
      clear: () => undefined,
      now: () => 0,
    };
    const coalescer = createEvaluationCoalescer(w.deps, { windowMs: 1500, timer });
    // Observe the real coalescer: resolve once both invocations have queued their request.
    let submitted = 0;
    let bothQueued!: () => void;
    const queued = new Promise<void>((resolve) => (bothQueued = resolve));
    const observed = {
      submit: (...requests: Parameters<typeof coalescer.submit>) => {
        const shared = coalescer.submit(...requests);
        if (++submitted === 2) bothQueued();
        return shared;
      },
    };
    const deps = { ...w.deps, coalescer: observed };
    const [write] = fixtureEvents('eventgrid-cluster-write.json');
    const first = handleArmEvents(await eventsFrom(withId(write, 'invocation-1')), deps);
    const second = handleArmEvents(
      await eventsFrom({
        ...withId(write, 'invocation-2'),
        subject: CLUSTER_DEV,
        data: { ...(write.data as object), resourceUri: CLUSTER_DEV },
      }),
      deps,
    );
    await queued;
    expect(coalescer.pending).toBe(2);
    expect(w.source.reads).toHaveLength(0);
    callbacks.splice(0).forEach((cb) => cb());
    const [[a], [b]] = await Promise.all([first, second]);
    expect(a.clusters).toEqual([CLUSTER]);
    expect(b.clusters).toEqual([CLUSTER_DEV]);
    expect(w.source.reads).toHaveLength(1);
    expect(coalescer.runCount).toBe(1);
  });

  it('delete and write of one cluster give the same result in either order: deleted, not evaluated', async () => {
    for (const order of ['write-first', 'delete-first']) {
      const w = await world();
      await baseline(w);
      const [write] = fixtureEvents('eventgrid-cluster-write.json');
      const [del] = fixtureEvents('eventgrid-cluster-delete.json');
      w.writeEstate({ clusters: [cluster(CLUSTER_DEV)] });
      const batch =
        order === 'write-first' ? [withId(write, 'w1'), del] : [del, withId(write, 'w1')];
      const results = await handleArmEvents(await eventsFrom(...batch), w.deps);
      const deleteResult = results.find((r) => r.operationName.endsWith('/delete'))!;
      const writeResult = results.find((r) => r.operationName.endsWith('/write'))!;
      expect(deleteResult).toMatchObject({ outcome: 'evaluated', clusters: [] });
      expect(deleteResult.reason).toMatch(/marked deleted/);
      expect(writeResult.clusters).toEqual([]);
      // The delete was confirmed by reading the cluster's subscription: nothing to evaluate there.
      expect(w.evaluated.flat()).toEqual([]);
      // Deleted: gone from the estate view, its history kept with the deletion as newest entry.
      expect((await w.store.knownClusterIds()).map((id) => id.toLowerCase())).toEqual([
        CLUSTER_DEV.toLowerCase(),
      ]);
      const history = await w.store.getHistory(CLUSTER, {});
      expect(history.items[0]).toMatchObject({ deleted: true, sourceEventId: del.id });
      expect(history.items.length).toBeGreaterThan(1);
    }
  });

  it('a late delete (older than the stored evaluation) of a live cluster is ignored: the cluster is not hidden', async () => {
    const w = await world();
    await baseline(w);
    const [del] = fixtureEvents('eventgrid-cluster-delete.json');
    // Delivered late: sent before the baseline evaluation; the cluster is gone by now, yet the
    // stored evaluation saw it after the delete happened.
    w.writeEstate({ clusters: [cluster(CLUSTER_DEV)] });
    const [late] = await handleArmEvents(
      await eventsFrom({ ...del, id: 'late-delete', eventTime: '2026-11-22T10:00:00.000Z' }),
      w.deps,
    );
    expect(late.outcome).toBe('ignored');
    expect(late.reason).toMatch(/older than the stored evaluation/);
    expect((await w.store.knownClusterIds()).map((id) => id.toLowerCase()).sort()).toEqual(
      [CLUSTER, CLUSTER_DEV].map((id) => id.toLowerCase()).sort(),
    );
  });

  it('a delete of a cluster that still exists (read now) is not confirmed: the cluster is re-evaluated, not hidden', async () => {
    const w = await world();
    await baseline(w);
    const [del] = fixtureEvents('eventgrid-cluster-delete.json');
    const [result] = await handleArmEvents(await eventsFrom(del), w.deps);
    expect(result.outcome).toBe('ignored');
    expect(result.reason).toMatch(/still exists/);
    expect(result.clusters).toEqual([CLUSTER]);
    expect((await w.store.knownClusterIds()).map((id) => id.toLowerCase())).toContain(
      CLUSTER.toLowerCase(),
    );
    // Later events about it are still evaluated.
    const [write] = fixtureEvents('eventgrid-cluster-write.json');
    const [after] = await handleArmEvents(await eventsFrom(withId(write, 'after-delete')), w.deps);
    expect(after.clusters).toEqual([CLUSTER]);
  });

  it('a delete that cannot be confirmed (the estate cannot be read) is not applied and is left for redelivery', async () => {
    const w = await world();
    await baseline(w);
    w.source.down = new Error('ARM is unreachable');
    const [del] = await eventsFrom(...fixtureEvents('eventgrid-cluster-delete.json'));
    await expect(handleArmEvents([del], w.deps)).rejects.toThrow(/ARM is unreachable/);
    expect((await w.store.knownClusterIds()).map((id) => id.toLowerCase())).toContain(
      CLUSTER.toLowerCase(),
    );
    expect(await w.store.isEventProcessed(del.id, w.clock.now())).toBe(false);
    // Redelivered once ARM answers, with the cluster gone: marked deleted.
    w.source.down = undefined;
    w.writeEstate({ clusters: [cluster(CLUSTER_DEV)] });
    const [redelivered] = await handleArmEvents([del], w.deps);
    expect(redelivered.reason).toMatch(/marked deleted/);
    expect((await w.store.knownClusterIds()).map((id) => id.toLowerCase())).toEqual([
      CLUSTER_DEV.toLowerCase(),
    ]);
  });

  it('a late write after the delete finds nothing to evaluate (current state decides)', async () => {
    const w = await world();
    await baseline(w);
    w.writeEstate({ clusters: [cluster(CLUSTER_DEV)] });
    await handleArmEvents(
      await eventsFrom(...fixtureEvents('eventgrid-cluster-delete.json')),
      w.deps,
    );
    const [late] = await handleArmEvents(
      await eventsFrom(withId(fixtureEvents('eventgrid-cluster-write.json')[0], 'late-write')),
      w.deps,
    );
    expect(late).toMatchObject({ outcome: 'evaluated', clusters: [] });
    expect(late.reason).toMatch(/not found in the current state/);
  });

  it('a role definition change re-evaluates every cluster with an assignment of that role', async () => {
    const custom = {
      id: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${CUSTOM_ROLE}`,
      name: CUSTOM_ROLE,
      roleName: 'AKS Operator (custom)',
      roleType: 'CustomRole',
      assignableScopes: [`/subscriptions/${SUB}`],
      permissions: [
        {
          actions: ['Microsoft.ContainerService/managedClusters/read'],
          notActions: [],
          dataActions: [],
          notDataActions: [],
        },
      ],
    };
    const w = await world({
      assignments: [
        assignment(
          '1b2c3d4e-0000-4000-8000-000000000001',
          `/subscriptions/${SUB}/resourceGroups/rg-dev`,
          BOB,
          CUSTOM_ROLE,
          'AKS Operator (custom)',
        ),
      ],
      definitions: [custom],
    });
    await baseline(w);
    w.writeEstate({
      definitions: [
        {
          ...custom,
          permissions: [
            {
              ...custom.permissions[0],
              actions: [
                'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action',
              ],
            },
          ],
        },
      ],
    });
    const [write] = fixtureEvents('eventgrid-role-assignment-write.json');
    const subject = custom.id;
    const [result] = await handleArmEvents(
      await eventsFrom({
        ...withId(write, 'role-def-write'),
        subject,
        data: {
          ...(write.data as object),
          operationName: 'Microsoft.Authorization/roleDefinitions/write',
          resourceUri: subject,
        },
      }),
      w.deps,
    );
    expect(result.outcome).toBe('evaluated');
    expect(result.clusters).toEqual([CLUSTER_DEV]);
    expect(result.regressions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'privilege-gained',
          principalId: BOB,
          clusterId: CLUSTER_DEV,
        }),
      ]),
    );
  });

  it('a role definition nobody is assigned is ignored', async () => {
    const w = await world({
      assignments: [
        assignment(
          '1b2c3d4e-0000-4000-8000-000000000002',
          `/subscriptions/${SUB}`,
          BOB,
          READER,
          'Reader',
        ),
      ],
    });
    const [write] = fixtureEvents('eventgrid-role-assignment-write.json');
    const subject = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${CUSTOM_ROLE}`;
    const [result] = await handleArmEvents(
      await eventsFrom({
        ...withId(write, 'unused-role'),
        subject,
        data: {
          ...(write.data as object),
          operationName: 'Microsoft.Authorization/roleDefinitions/write',
          resourceUri: subject,
        },
      }),
      w.deps,
    );
    expect(result).toMatchObject({ outcome: 'ignored', clusters: [] });
  });

  it('the order and duplication of a batch do not change the recorded posture', async () => {
    const finalPostures: string[] = [];
    const [roleWrite] = fixtureEvents('eventgrid-role-assignment-write.json');
    const [cloudRoleWrite] = fixtureEvents('cloudevents-role-assignment-write.json');
    for (const reverse of [false, true]) {
      const w = await world();
      await baseline(w);
      w.writeEstate({
        clusters: [cluster(CLUSTER, { disableLocalAccounts: true }), cluster(CLUSTER_DEV)],
        assignments: [
          assignment(
            RA_ID,
            `/subscriptions/${SUB}/resourceGroups/rg-prod`,
            BOB,
            CONTRIBUTOR,
            'Contributor',
          ),
        ],
      });
      const batch = [roleWrite, cloudRoleWrite, withId(roleWrite, 'copy')];
      await handleArmEvents(await eventsFrom(...(reverse ? batch.reverse() : batch)), w.deps);
      const posture = await w.store.getPosture(CLUSTER);
      finalPostures.push(JSON.stringify({ ...posture, evaluatedAt: '', regressions: undefined }));
    }
    expect(finalPostures[0]).toBe(finalPostures[1]);
  });

  it('the signal is raised only for the principal the written assignment granted', async () => {
    const CAROL = 'ca201000-0000-4000-8000-000000000003';
    const w = await world();
    await baseline(w);
    // The event's assignment gives Carol Reader; Bob's Contributor appeared without an event of its own.
    w.writeEstate({
      assignments: [
        assignment(RA_ID, `/subscriptions/${SUB}/resourceGroups/rg-prod`, CAROL, READER, 'Reader'),
        assignment(
          '1b2c3d4e-0000-4000-8000-000000000003',
          `/subscriptions/${SUB}/resourceGroups/rg-prod`,
          BOB,
          CONTRIBUTOR,
          'Contributor',
        ),
      ],
    });
    const [result] = await handleArmEvents(
      await eventsFrom(...fixtureEvents('eventgrid-role-assignment-write.json')),
      w.deps,
    );
    expect(result.regressions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'privilege-gained', principalId: BOB }),
      ]),
    );
    expect(result.signals).toEqual([]);
    const bobAlerts = (await w.store.listAlerts({})).filter(
      (a) => a.alert.principal?.principalId === BOB,
    );
    expect(bobAlerts.length).toBeGreaterThan(0);
    for (const a of bobAlerts) expect(a.alert.caller).toBeUndefined();
  });

  it('a management-group assignment re-evaluates every watched known cluster', async () => {
    const w = await world();
    await baseline(w);
    const [write] = fixtureEvents('eventgrid-role-assignment-write.json');
    const subject = `/providers/Microsoft.Management/managementGroups/mg-contoso/providers/Microsoft.Authorization/roleAssignments/${RA_ID}`;
    const [result] = await handleArmEvents(
      await eventsFrom({
        ...withId(write, 'mg-write'),
        subject,
        data: { ...(write.data as object), resourceUri: subject },
      }),
      w.deps,
    );
    expect([...result.clusters].sort()).toEqual([CLUSTER, CLUSTER_DEV].sort());
  });

  it('a delete of a cluster never audited is ignored; the same event twice in one call is a duplicate', async () => {
    const w = await world();
    const events = await eventsFrom(...fixtureEvents('eventgrid-cluster-delete.json'));
    const results = await handleArmEvents([...events, ...events], w.deps);
    expect(results.map((r) => r.outcome)).toEqual(['ignored', 'duplicate']);
    expect(results[0].reason).toMatch(/not among the audited clusters/);
  });

  it('when the estate cannot be read, the admin-credential page and deletes still happen, then the failure is thrown', async () => {
    const w = await world();
    await baseline(w);
    w.source.down = new Error('ARM is unreachable');
    const [write] = fixtureEvents('eventgrid-cluster-write.json');
    const batch = await eventsFrom(...fixtureEvents('eventgrid-admin-credential.json'), {
      ...withId(write, 'dev-write'),
      subject: CLUSTER_DEV,
      data: { ...(write.data as object), resourceUri: CLUSTER_DEV },
    });
    await expect(handleArmEvents(batch, w.deps)).rejects.toThrow(
      /re-evaluation for event\(s\) .*dev-write.* failed: ARM is unreachable/,
    );
    const [page] = (await w.store.listAlerts({})).filter(
      (a) => a.alert.kind === 'admin-credential-retrieved',
    );
    // Local-account state comes from the stored posture when the current one cannot be read.
    expect(page.alert.before).toMatch(/local accounts are enabled/);
    expect(w.logs.some((l) => l.includes('ARM is unreachable'))).toBe(true);

    // ARM is back and Event Grid redelivers the batch: evaluated, not skipped as duplicates,
    // and the fetch (its dedupe key holds the event id) does not page a second time.
    w.source.down = undefined;
    const again = await handleArmEvents(batch, w.deps);
    expect(again.map((r) => r.outcome)).toEqual(['evaluated', 'evaluated']);
    expect(again[1].clusters).toEqual([CLUSTER_DEV]);
    expect(
      (await w.store.listAlerts({})).filter((a) => a.alert.kind === 'admin-credential-retrieved'),
    ).toHaveLength(1);
  });

  it('rejected and ignored events read nothing from the source', async () => {
    const w = await world();
    const [write] = fixtureEvents('eventgrid-cluster-write.json');
    const hostile = `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod/../../../../../../subscriptions/${OTHER}`;
    const results = await handleArmEvents(
      await eventsFrom({
        ...withId(write, 'hostile'),
        subject: hostile,
        data: { ...(write.data as object), resourceUri: hostile },
      }),
      w.deps,
    );
    expect(results[0]).toMatchObject({ outcome: 'rejected', clusters: [] });
    expect(results[0].reason).toMatch(/relative path segment/);
    expect(w.source.reads).toEqual([]);
  });
});
