import { odata } from '@azure/data-tables';
import { createServer } from 'net';
import { clusterPartitionKey } from '../../src/adapters/tableKeys';
import { TableStore } from '../../src/adapters/tableStore';
import { InputError } from '../../src/core/errors';
import type { ClusterPosture } from '../../src/core/model';
import { startAzurite, uniqueTablePrefix, type TestAzurite } from '../helpers/azurite';
import { clusterId, grant, manyPrincipals, posture, SUB_A, SUB_B } from './postures';

let azurite: TestAzurite;
const clock = {
  current: new Date('2026-11-22T02:00:00.000Z'),
  now() {
    return this.current;
  },
};

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(() => azurite.stop());

async function newStore(prefix = uniqueTablePrefix('q')): Promise<TableStore> {
  return TableStore.create({
    connectionString: azurite.connectionString,
    allowInsecureConnection: true,
    tablePrefix: prefix,
    clock,
  });
}

async function postureRow(store: TableStore, id: string) {
  return store.clusters.getEntity<Record<string, unknown>>(clusterPartitionKey(id), 'posture');
}

async function rowKeys(store: TableStore, id: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const row of store.clusters.listEntities({
    queryOptions: { filter: odata`PartitionKey eq ${clusterPartitionKey(id)}`, select: ['RowKey'] },
  }))
    keys.push(row.rowKey!);
  return keys;
}

describe('listPostures', () => {
  let store: TableStore;
  const postures: ClusterPosture[] = [];

  beforeAll(async () => {
    store = await newStore();
    for (let i = 0; i < 7; i++) {
      const p = posture({
        name: `aks-${i}`,
        subscriptionId: i < 4 ? SUB_A : SUB_B,
        local: i % 2 === 0 ? 'fail' : 'pass',
        defender: i === 1 ? 'fail' : 'pass',
        principals:
          i === 3
            ? [
                grant('p1', ['cluster-write']),
                grant('P1', ['admin-credential']),
                grant('p2', ['cluster-write']),
              ]
            : [],
      });
      postures.push(p);
      await store.recordEvaluation(p);
    }
  });

  it('pages with small page sizes and round-tripping tokens, nothing lost or repeated', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    const sizes: number[] = [];
    do {
      const page = await store.listPostures({}, { pageSize: 3, continuationToken: token });
      sizes.push(page.items.length);
      seen.push(...page.items.map((s) => s.id));
      token = page.continuationToken;
    } while (token);
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen.sort()).toEqual(postures.map((p) => p.id).sort());
  });

  it('returns summary columns only', async () => {
    const page = await store.listPostures({}, { pageSize: 100 });
    const three = page.items.find((s) => s.name === 'aks-3')!;
    expect(three).toEqual({
      id: postures[3].id,
      name: 'aks-3',
      subscriptionId: SUB_A,
      resourceGroup: 'rg-prod',
      status: 'pass',
      score: 100,
      failingCheckIds: [],
      privilegedPrincipalCount: 2,
      evaluatedAt: '2026-11-22T02:00:00.000Z',
    });
    const zero = page.items.find((s) => s.name === 'aks-0')!;
    expect(zero).toMatchObject({
      status: 'fail',
      failingCheckIds: ['local-accounts-disabled'],
      worstSeverity: 'high',
    });
    expect(Object.keys(zero)).not.toContain('findings');
  });

  it('filters by subscription (case-insensitively), status and severity', async () => {
    const collect = async (filter: Parameters<TableStore['listPostures']>[0]) => {
      const out: string[] = [];
      let token: string | undefined;
      do {
        const page = await store.listPostures(filter, { pageSize: 2, continuationToken: token });
        out.push(...page.items.map((s) => s.name));
        token = page.continuationToken;
      } while (token);
      return out.sort();
    };
    const names = collect;
    expect(await names({ subscriptionId: SUB_B.toUpperCase() })).toEqual([
      'aks-4',
      'aks-5',
      'aks-6',
    ]);
    expect(await names({ status: 'pass' })).toEqual(['aks-3', 'aks-5']);
    expect(await names({ severity: 'high' })).toEqual(['aks-0', 'aks-2', 'aks-4', 'aks-6']);
    expect(await names({ severity: 'low' })).toEqual(['aks-0', 'aks-1', 'aks-2', 'aks-4', 'aks-6']);
    expect(await names({ severity: 'critical' })).toEqual([]);
    expect(await names({ subscriptionId: SUB_A, status: 'fail' })).toEqual([
      'aks-0',
      'aks-1',
      'aks-2',
    ]);
  });

  it('a filter value with quotes cannot inject', async () => {
    expect((await store.listPostures({ subscriptionId: "O'Brien" }, {})).items).toEqual([]);
    expect((await store.listPostures({ subscriptionId: "x' or RowKey ne 'y" }, {})).items).toEqual(
      [],
    );
    expect(
      (await store.listPostures({ status: "pass' or status ne 'x" as never }, {})).items,
    ).toEqual([]);
  });

  it.each([
    'garbage!',
    Buffer.from('{"k":"postures"}').toString('base64url'),
    Buffer.from(JSON.stringify({ nextPartitionKey: 'x' })).toString('base64'),
  ])('a malformed continuation token is an InputError: %p', async (token) => {
    await expect(store.listPostures({}, { continuationToken: token })).rejects.toBeInstanceOf(
      InputError,
    );
  });

  it('a token from another query is an InputError', async () => {
    const historyStore = await newStore();
    await historyStore.recordEvaluation(posture({ name: 'aks-0' }));
    await historyStore.recordEvaluation(posture({ name: 'aks-0', local: 'fail' }));
    const history = await historyStore.getHistory(postures[0].id, { pageSize: 1 });
    expect(history.continuationToken).toBeDefined();
    await expect(
      store.listPostures({}, { continuationToken: history.continuationToken }),
    ).rejects.toBeInstanceOf(InputError);
    await expect(
      store.getHistory(postures[1].id, { continuationToken: history.continuationToken }),
    ).rejects.toBeInstanceOf(InputError);
  });

  it('a bad page size is an InputError', async () => {
    await expect(store.listPostures({}, { pageSize: 0 })).rejects.toBeInstanceOf(InputError);
    await expect(store.listPostures({}, { pageSize: 1.5 })).rejects.toBeInstanceOf(InputError);
  });
});

describe('getHistory', () => {
  it('pages newest first', async () => {
    const store = await newStore();
    const id = posture().id;
    for (let i = 0; i < 5; i++) {
      clock.current = new Date(Date.UTC(2026, 10, 1 + i));
      await store.recordEvaluation(
        posture({ score: 50 + i, evaluatedAt: clock.current.toISOString() }),
      );
    }
    const times: string[] = [];
    let token: string | undefined;
    const sizes: number[] = [];
    do {
      const page = await store.getHistory(id, { pageSize: 2, continuationToken: token });
      sizes.push(page.items.length);
      times.push(...page.items.map((h) => h.evaluatedAt));
      token = page.continuationToken;
    } while (token);
    expect(sizes).toEqual([2, 2, 1]);
    expect(times).toEqual(
      [5, 4, 3, 2, 1].map((d) => new Date(Date.UTC(2026, 10, d)).toISOString()),
    );
  });

  it('is empty for an unknown cluster', async () => {
    const store = await newStore();
    expect(await store.getHistory(clusterId('nobody'), {})).toEqual({ items: [] });
  });
});

describe('large postures', () => {
  it('a posture with findings over 64 KiB round-trips exactly', async () => {
    const store = await newStore();
    const p = posture({ name: 'aks-big', principals: manyPrincipals(200) });
    expect(JSON.stringify(p.findings).length).toBeGreaterThan(64 * 1024);
    await store.recordEvaluation(p);
    expect(await store.getPosture(p.id)).toEqual({ ...p, regressions: [] });
    expect(await postureRow(store, p.id)).toMatchObject({
      payloadEncoding: 'json',
      payloadParts: 0,
    });
    expect((await postureRow(store, p.id)).payload_count).toBeGreaterThan(2);
    expect((await store.listPostures({}, {})).items[0].privilegedPrincipalCount).toBe(200);
  });

  it('a posture near 1 MiB spreads over part rows and round-trips; shrinking removes the stale parts', async () => {
    const store = await newStore();
    const big = posture({ name: 'aks-huge', principals: manyPrincipals(1200) });
    expect(JSON.stringify(big).length).toBeGreaterThan(900 * 1024);
    await store.recordEvaluation(big);
    expect(await store.getPosture(big.id)).toEqual({ ...big, regressions: [] });
    const parts = (await rowKeys(store, big.id)).filter((k) => k.startsWith('posture-part-'));
    expect(parts.length).toBeGreaterThanOrEqual(2);
    expect(await postureRow(store, big.id)).toMatchObject({
      payloadEncoding: 'json',
      payloadParts: parts.length,
    });
    const small = posture({ name: 'aks-huge', principals: manyPrincipals(3) });
    await store.recordEvaluation(small);
    expect(await store.getPosture(small.id)).toEqual({ ...small, regressions: [] });
    expect((await rowKeys(store, big.id)).filter((k) => k.startsWith('posture-part-'))).toEqual([]);
  });

  it('a posture too large for one transaction as JSON is stored compressed, exactly', async () => {
    const store = await newStore();
    const huge = posture({ name: 'aks-giant', principals: manyPrincipals(5000) });
    expect(JSON.stringify(huge).length).toBeGreaterThan(4 * 1024 * 1024);
    await store.recordEvaluation(huge);
    expect(await store.getPosture(huge.id)).toEqual({ ...huge, regressions: [] });
    expect(await postureRow(store, huge.id)).toMatchObject({ payloadEncoding: 'gzip-base64' });
  });
});

describe('keys from odd ids', () => {
  it.each([
    "/subscriptions/x/resourceGroups/O'Brien (prod)/providers/Microsoft.ContainerService/managedClusters/a#b?c",
    '/subscriptions/x/resourceGroups/rg-ünïcødé-日本/providers/Microsoft.ContainerService/managedClusters/aks\\back/slash',
    `/subscriptions/x/resourceGroups/${'r'.repeat(450)}/providers/Microsoft.ContainerService/managedClusters/long`,
  ])('round-trip posture, history, alerts and known ids: %s', async (id) => {
    const store = await newStore();
    const base = { ...posture(), id, resourceGroup: id.split('/')[4] };
    await store.recordEvaluation(base);
    const failing = { ...posture({ local: 'fail' }), id, resourceGroup: base.resourceGroup };
    const result = await store.recordEvaluation(failing);
    expect(result.alerts).toHaveLength(1);
    expect(await store.getPosture(id)).toEqual({ ...failing, regressions: result.regressions });
    // Another spelling of the same ARM id finds the same partition.
    expect((await store.getPosture(id.replace('resourceGroups', 'RESOURCEGROUPS')))!.id).toBe(id);
    expect(await store.knownClusterIds()).toEqual([id]);
    expect((await store.getHistory(id, {})).items).toHaveLength(2);
    const [alert] = await store.listAlerts({});
    expect(alert.alert.clusterId).toBe(id);
    await store.updateAlert(id, alert.alert.dedupeKey, { state: 'sent' });
    expect(await store.listAlerts({ state: 'sent' })).toHaveLength(1);
    expect((await store.listPostures({}, {})).items[0].resourceGroup).toBe(base.resourceGroup);
  });
});

describe('events, deletion, retention, health', () => {
  it('markEventProcessed: true the first time, false for a duplicate that day; a mark across midnight still counts', async () => {
    const store = await newStore();
    const at = new Date('2026-11-22T23:59:59.000Z');
    expect(await store.markEventProcessed('evt/1#?', at)).toBe(true);
    expect(await store.markEventProcessed('evt/1#?', at)).toBe(false);
    const afterMidnight = new Date('2026-11-23T00:00:01.000Z');
    expect(await store.isEventProcessed('evt/1#?', afterMidnight)).toBe(true);
    await store.markEventProcessed('evt/1#?', afterMidnight);
    expect(await store.isEventProcessed('evt/1#?', afterMidnight)).toBe(true);
    expect(await store.markEventProcessed('evt/2', at)).toBe(true);
    await expect(store.markEventProcessed('', at)).rejects.toBeInstanceOf(InputError);
  });

  it('recordEventsReceived: the last time per subscription, written at most once a minute by one store', async () => {
    const store = await newStore();
    const A = 'aaaaaaaa-0000-4000-8000-000000000001';
    const B = 'bbbbbbbb-0000-4000-8000-000000000002';
    expect(await store.eventsReceived()).toEqual([]);
    const at = new Date('2026-11-22T10:00:00.000Z');
    await store.recordEventsReceived([B.toUpperCase(), A, 'not-a-subscription'], at);
    expect(await store.eventsReceived()).toEqual([
      { subscriptionId: A, lastEventAt: at.toISOString() },
      { subscriptionId: B, lastEventAt: at.toISOString() },
    ]);
    await store.recordEventsReceived([A], new Date(at.getTime() + 59_000));
    expect((await store.eventsReceived())[0].lastEventAt).toBe(at.toISOString());
    const later = new Date(at.getTime() + 60_000);
    await store.recordEventsReceived([A], later);
    expect(await store.eventsReceived()).toEqual([
      { subscriptionId: A, lastEventAt: later.toISOString() },
      { subscriptionId: B, lastEventAt: at.toISOString() },
    ]);
    // The 48-hour purge of processed ids leaves them alone.
    await store.purgeExpired(new Date(at.getTime() + 10 * 24 * 3600_000), 400);
    expect(await store.eventsReceived()).toHaveLength(2);
  });

  it('isEventProcessed: only once marked, within 48 hours, also across midnight', async () => {
    const store = await newStore();
    const at = new Date('2026-11-22T23:59:59.000Z');
    expect(await store.isEventProcessed('evt/1#?', at)).toBe(false);
    // Asking does not mark: an event is processed only once its products are stored.
    expect(await store.isEventProcessed('evt/1#?', at)).toBe(false);
    expect(await store.markEventProcessed('evt/1#?', at)).toBe(true);
    expect(await store.isEventProcessed('evt/1#?', at)).toBe(true);
    expect(await store.isEventProcessed('evt/1#?', new Date('2026-11-24T23:00:00.000Z'))).toBe(
      true,
    );
    // Two days back is still looked at; three days back is past the 48 hours kept.
    expect(await store.isEventProcessed('evt/1#?', new Date('2026-11-24T00:00:01.000Z'))).toBe(
      true,
    );
    expect(await store.isEventProcessed('evt/1#?', new Date('2026-11-25T00:00:01.000Z'))).toBe(
      false,
    );
    // A later day's mark does not count for an earlier check.
    expect(await store.isEventProcessed('evt/1#?', new Date('2026-11-21T12:00:00.000Z'))).toBe(
      false,
    );
    expect(await store.isEventProcessed('evt/2', at)).toBe(false);
    await expect(store.isEventProcessed('', at)).rejects.toBeInstanceOf(InputError);
  });

  it('markClusterDeleted flags the posture, keeps history, adds a deleted row, pages nobody', async () => {
    const store = await newStore();
    const p = posture({ local: 'fail' });
    await store.recordEvaluation(posture());
    await store.recordEvaluation(p);
    await store.markClusterDeleted(p.id, new Date('2026-11-25T00:00:00.000Z'), 'evt-del');
    await store.markClusterDeleted(p.id, new Date('2026-11-25T00:00:05.000Z'), 'evt-del-again');
    const history = await store.getHistory(p.id, {});
    expect(history.items).toHaveLength(3);
    expect(history.items[0]).toMatchObject({
      deleted: true,
      evaluatedAt: '2026-11-25T00:00:00.000Z',
      sourceEventId: 'evt-del',
      regressions: [],
    });
    expect((await store.listPostures({}, {})).items).toEqual([]);
    expect(await store.knownClusterIds()).toEqual([]);
    expect((await store.getPosture(p.id))!.findings).toEqual(p.findings);
    const alerts = await store.listAlerts({});
    expect(alerts).toHaveLength(1); // the earlier regression's, not a deletion alert
    // Created again under the same id: a new baseline, no page.
    const again = await store.recordEvaluation(
      posture({ local: 'fail', principals: [grant('x', ['admin-credential'])] }),
    );
    expect(again).toEqual({ baseline: true, regressions: [], alerts: [] });
    expect(await store.knownClusterIds()).toEqual([p.id]);
    // Deleting an unknown cluster is a no-op.
    await store.markClusterDeleted(clusterId('never-seen'), new Date());
  });

  it('purgeExpired removes history past the retention and event ids past 48 hours', async () => {
    const store = await newStore();
    const now = new Date('2026-11-22T02:00:00.000Z');
    const daysAgo = (d: number) => new Date(now.getTime() - d * 24 * 3600 * 1000);
    for (const [i, d] of [500, 401, 10, 0].entries()) {
      clock.current = daysAgo(d);
      await store.recordEvaluation(posture({ score: i, evaluatedAt: clock.current.toISOString() }));
    }
    expect(await store.markEventProcessed('old', daysAgo(3))).toBe(true);
    expect(await store.markEventProcessed('recent', daysAgo(1))).toBe(true);
    await store.purgeExpired(now, 400);
    const history = await store.getHistory(posture().id, {});
    expect(history.items.map((h) => h.evaluatedAt)).toEqual([
      daysAgo(0).toISOString(),
      daysAgo(10).toISOString(),
    ]);
    expect(await store.isEventProcessed('recent', now)).toBe(true);
    expect(await store.isEventProcessed('old', daysAgo(3))).toBe(false);
    expect(await store.markEventProcessed('old', daysAgo(3))).toBe(true);
    expect(await store.getPosture(posture().id)).toBeDefined();
  });

  it('health is ok against Azurite and not ok when storage is unreachable', async () => {
    const store = await newStore();
    expect((await store.health()).ok).toBe(true);
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as { port: number };
        server.close(() => resolve(p));
      });
    });
    const dead = new TableStore({
      connectionString: azurite.connectionString.replace(
        /TableEndpoint=[^;]+/,
        `TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1`,
      ),
      allowInsecureConnection: true,
      clientOptions: { retryOptions: { maxRetries: 0 } },
    });
    const health = await dead.health();
    expect(health.ok).toBe(false);
    expect(health.detail).toMatch(/unreachable/);
    await expect(dead.getPosture(clusterId('x'))).rejects.toMatchObject({
      name: 'DependencyError',
    });
  });
});
