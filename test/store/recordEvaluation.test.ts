import { odata, type TransactionAction } from '@azure/data-tables';
import { TableStore } from '../../src/adapters/tableStore';
import { dedupeKey } from '../../src/core/alerts';
import type { Alert } from '../../src/core/model';
import { startAzurite, uniqueTablePrefix, type TestAzurite } from '../helpers/azurite';
import { clusterId, grant, posture } from './postures';

const ALICE = 'aaaaaaaa-0000-0000-0000-000000000001';
const BOB = 'bbbbbbbb-0000-0000-0000-000000000002';

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

async function newStore(prefix = uniqueTablePrefix('rec')): Promise<TableStore> {
  return TableStore.create({
    connectionString: azurite.connectionString,
    allowInsecureConnection: true,
    tablePrefix: prefix,
    clock,
  });
}

/** Every row of the cluster's partition, by kind. */
async function rowsOf(store: TableStore, id: string) {
  const { clusterPartitionKey } = await import('../../src/adapters/tableKeys');
  const rows: Array<Record<string, unknown> & { rowKey?: string }> = [];
  for await (const row of store.clusters.listEntities({
    queryOptions: { filter: odata`PartitionKey eq ${clusterPartitionKey(id)}` },
  }))
    rows.push(row);
  return {
    posture: rows.filter((r) => r.rowKey === 'posture'),
    history: rows.filter((r) => r.rowKey!.startsWith('history-')),
    alerts: rows.filter((r) => r.rowKey!.startsWith('alert-')),
  };
}

describe('recordEvaluation', () => {
  it('the first evaluation is the baseline: posture + one history row, no alert', async () => {
    const store = await newStore();
    const p = posture({
      local: 'fail',
      adminAccess: 'fail',
      principals: [grant(ALICE, ['admin-credential'])],
    });
    const result = await store.recordEvaluation(p, { sourceEventId: 'evt-1' });
    expect(result).toEqual({ baseline: true, regressions: [], alerts: [] });
    const rows = await rowsOf(store, p.id);
    expect(rows.posture).toHaveLength(1);
    expect(rows.history).toHaveLength(1);
    expect(rows.alerts).toHaveLength(0);
    expect(await store.getPosture(p.id)).toEqual({ ...p, regressions: [] });
    const history = await store.getHistory(p.id, {});
    expect(history.items).toEqual([
      {
        clusterId: p.id,
        evaluatedAt: p.evaluatedAt,
        status: 'fail',
        score: p.score,
        failingCheckIds: ['admin-credential-access', 'local-accounts-disabled'],
        regressions: [],
        sourceEventId: 'evt-1',
      },
    ]);
  });

  it('an identical re-evaluation adds no history row but updates evaluatedAt', async () => {
    const store = await newStore();
    await store.recordEvaluation(posture());
    const again = posture({ evaluatedAt: '2026-11-23T02:00:00.000Z' });
    const result = await store.recordEvaluation(again);
    expect(result).toEqual({ baseline: false, regressions: [], alerts: [] });
    const rows = await rowsOf(store, again.id);
    expect(rows.history).toHaveLength(1);
    expect((await store.getPosture(again.id))!.evaluatedAt).toBe('2026-11-23T02:00:00.000Z');
    expect(rows.posture[0].evaluatedAt).toBe('2026-11-23T02:00:00.000Z');
  });

  it('history stays newest first for evaluations within one millisecond', async () => {
    const store = await newStore();
    const frozen = new Date('2026-11-22T02:00:00.000Z');
    clock.current = frozen;
    for (let score = 1; score <= 4; score++) await store.recordEvaluation(posture({ score }));
    const history = await store.getHistory(posture().id, {});
    expect(history.items.map((h) => h.score)).toEqual([4, 3, 2, 1]);
  });

  it('check-failed: one alert row, in the same write as the history row that records it', async () => {
    const store = await newStore();
    await store.recordEvaluation(posture());
    const failing = posture({ local: 'fail' });
    const result = await store.recordEvaluation(failing, {
      minAlertSeverity: 'high',
      linkBase: 'http://localhost:7071',
    });
    expect(result.regressions).toEqual([
      {
        kind: 'check-failed',
        checkId: 'local-accounts-disabled',
        before: 'pass',
        after: 'fail',
        severity: 'high',
      },
    ]);
    expect(result.alerts.map((a) => a.dedupeKey)).toEqual([
      dedupeKey(failing.id, 'local-accounts-disabled'),
    ]);
    const rows = await rowsOf(store, failing.id);
    expect(rows.history).toHaveLength(2);
    expect(rows.alerts).toHaveLength(1);
    expect(rows.alerts[0]).toMatchObject({
      state: 'pending',
      open: true,
      attempts: 0,
      checkId: 'local-accounts-disabled',
      severity: 'high',
    });
    const [outbox] = await store.listAlerts({ state: 'pending' });
    expect(outbox.alert).toEqual(result.alerts[0]);
    expect(outbox.alert.link).toBe(
      'http://localhost:7071/api/dashboard/clusters/00000000-0000-0000-0000-00000000000a/rg-prod/aks-prod',
    );
    const history = await store.getHistory(failing.id, {});
    expect(history.items[0].regressions).toEqual(result.regressions);
    expect(history.items[1].regressions).toEqual([]);
  });

  it('regressions below the minimum severity are recorded in history but page nobody', async () => {
    const store = await newStore();
    await store.recordEvaluation(posture());
    const result = await store.recordEvaluation(posture({ defender: 'fail' }), {
      minAlertSeverity: 'high',
    });
    expect(result.regressions).toHaveLength(1);
    expect(result.alerts).toEqual([]);
    expect((await rowsOf(store, posture().id)).alerts).toHaveLength(0);
    expect((await store.getHistory(posture().id, {})).items[0].regressions[0].checkId).toBe(
      'defender-enabled',
    );
  });

  it('privilege-gained: one alert per principal, critical with local accounts enabled', async () => {
    const store = await newStore();
    await store.recordEvaluation(posture({ local: 'fail', adminAccess: 'pass' }));
    const after = posture({
      local: 'fail',
      adminAccess: 'fail',
      principals: [
        grant(ALICE, ['admin-credential', 'cluster-write'], 'Owner', 'User'),
        grant(BOB, ['cluster-write']),
      ],
    });
    const result = await store.recordEvaluation(after, { minAlertSeverity: 'high' });
    expect(result.regressions).toEqual([
      {
        kind: 'check-failed',
        checkId: 'admin-credential-access',
        before: 'pass',
        after: 'fail',
        severity: 'critical',
      },
      {
        kind: 'privilege-gained',
        checkId: 'admin-credential-access',
        principalId: ALICE,
        before: 'none',
        after: 'admin-credential, cluster-write',
        severity: 'critical',
      },
      {
        kind: 'privilege-gained',
        checkId: 'privileged-access-via-groups',
        principalId: BOB,
        before: 'none',
        after: 'cluster-write',
        severity: 'critical',
      },
    ]);
    const keys = (await store.listAlerts({})).map((a) => a.alert.dedupeKey).sort();
    expect(keys).toEqual(
      [
        dedupeKey(after.id, 'admin-credential-access'),
        dedupeKey(after.id, 'admin-credential-access', ALICE),
        dedupeKey(after.id, 'privileged-access-via-groups', BOB),
      ].sort(),
    );
    const alice = (await store.listAlerts({})).find(
      (a) => a.alert.principal?.principalId === ALICE,
    )!;
    expect(alice.alert.principal).toMatchObject({ roleName: 'Owner', principalType: 'User' });
  });

  it('severity-rose: one alert', async () => {
    const store = await newStore();
    const before = posture({ defender: 'fail' });
    await store.recordEvaluation(before);
    const after = posture({ defender: 'fail' });
    after.findings = after.findings.map((f) =>
      f.checkId === 'defender-enabled' ? { ...f, severity: 'critical' } : f,
    );
    const result = await store.recordEvaluation(after, { minAlertSeverity: 'high' });
    expect(result.regressions).toEqual([
      {
        kind: 'severity-rose',
        checkId: 'defender-enabled',
        before: 'low',
        after: 'critical',
        severity: 'critical',
      },
    ]);
    expect(await store.listAlerts({})).toHaveLength(1);
  });

  it('a regression still failing pages once; fixed and back again pages again', async () => {
    const store = await newStore();
    const id = posture().id;
    await store.recordEvaluation(posture());
    expect((await store.recordEvaluation(posture({ local: 'fail' }))).alerts).toHaveLength(1);
    await store.updateAlert(id, dedupeKey(id, 'local-accounts-disabled'), {
      state: 'sent',
      attempts: 1,
      channels: { email: 'sent' },
    });
    // Still failing (an error in between neither clears nor raises).
    expect((await store.recordEvaluation(posture({ local: 'error' }))).alerts).toHaveLength(0);
    expect((await store.recordEvaluation(posture({ local: 'fail' }))).alerts).toHaveLength(0);
    let rows = await rowsOf(store, id);
    expect(rows.alerts).toHaveLength(1);
    expect(rows.alerts[0]).toMatchObject({ open: true, state: 'sent' });
    // Fixed: the next evaluation closes the alert row.
    clock.current = new Date('2026-11-23T02:00:00.000Z');
    await store.recordEvaluation(posture());
    rows = await rowsOf(store, id);
    expect(rows.alerts[0]).toMatchObject({
      open: false,
      state: 'sent',
      closedAt: '2026-11-23T02:00:00.000Z',
    });
    // Back again: the row reopens as a new pending alert.
    clock.current = new Date('2026-11-24T02:00:00.000Z');
    const again = await store.recordEvaluation(posture({ local: 'fail' }));
    expect(again.alerts).toHaveLength(1);
    rows = await rowsOf(store, id);
    expect(rows.alerts).toHaveLength(1);
    expect(rows.alerts[0]).toMatchObject({
      open: true,
      state: 'pending',
      attempts: 0,
      closedAt: '',
    });
    const pending = await store.listAlerts({ state: 'pending' });
    expect(pending.map((a) => a.alert.createdAt)).toEqual(['2026-11-24T02:00:00.000Z']);
  });

  it('a privilege alert closes when the principal loses the capability, not while access is unreadable', async () => {
    const store = await newStore();
    const id = posture().id;
    await store.recordEvaluation(posture());
    await store.recordEvaluation(posture({ principals: [grant(ALICE, ['cluster-write'])] }));
    const key = dedupeKey(id, 'privileged-access-via-groups', ALICE);
    const alertRow = async () => (await rowsOf(store, id)).alerts.find((r) => r.dedupeKey === key)!;
    expect(await alertRow()).toMatchObject({ open: true });
    await store.recordEvaluation(
      posture({ adminAccess: 'error', viaGroups: 'error', principals: [] }),
    );
    expect(await alertRow()).toMatchObject({ open: true });
    // Access back with the same principal: no new page (the known set was carried through the error).
    expect(
      (await store.recordEvaluation(posture({ principals: [grant(ALICE, ['cluster-write'])] })))
        .alerts,
    ).toEqual([]);
    await store.recordEvaluation(posture());
    expect(await alertRow()).toMatchObject({ open: false });
    expect(
      (await store.recordEvaluation(posture({ principals: [grant(ALICE, ['cluster-write'])] })))
        .alerts,
    ).toHaveLength(1);
  });

  it('extra alerts are written with the posture, and share dedupe keys with regressions (one page)', async () => {
    const store = await newStore();
    const base = posture({ local: 'pass' });
    await store.recordEvaluation(base);
    const after = posture({ principals: [grant(ALICE, ['admin-credential'])] });
    const signal: Alert = {
      dedupeKey: dedupeKey(after.id, 'admin-credential-access', ALICE),
      clusterId: after.id,
      clusterName: after.name,
      subscriptionId: after.subscriptionId,
      resourceGroup: after.resourceGroup,
      severity: 'critical',
      kind: 'privileged-role-granted',
      checkId: 'admin-credential-access',
      title: 'granted',
      before: '',
      after: '',
      remediation: 'az role assignment delete …',
      createdAt: clock.now().toISOString(),
    };
    const other: Alert = {
      ...signal,
      dedupeKey: `${after.id.toLowerCase()}|admin-credential-retrieved|evt-9`,
      kind: 'admin-credential-retrieved',
    };
    const elsewhereId = clusterId('aks-other');
    const elsewhere: Alert = {
      ...other,
      clusterId: elsewhereId,
      dedupeKey: `${elsewhereId.toLowerCase()}|admin-credential-retrieved|evt-9`,
    };
    const result = await store.recordEvaluation(after, { extraAlerts: [signal, other, elsewhere] });
    expect(
      result.alerts
        .map((a) => `${a.clusterId === after.id ? 'here' : 'elsewhere'}:${a.kind}`)
        .sort(),
    ).toEqual([
      'elsewhere:admin-credential-retrieved',
      'here:admin-credential-retrieved',
      'here:privilege-gained',
    ]);
    expect(await store.listAlerts({})).toHaveLength(3);
    expect((await rowsOf(store, elsewhereId)).alerts).toHaveLength(1);
    // The same signal enqueued later (e.g. a redelivered event) pages nobody while open.
    expect(await store.enqueueAlerts([signal, other, elsewhere])).toEqual([]);
    await expect(store.enqueueAlerts([{ ...signal, dedupeKey: '' }])).rejects.toMatchObject({
      name: 'InputError',
    });
  });

  it('two concurrent evaluations with the same regression: two history rows, exactly one alert', async () => {
    const prefix = uniqueTablePrefix('race');
    const first = await newStore(prefix);
    const second = await newStore(prefix);
    await first.recordEvaluation(posture());
    // Both read the stored posture before either writes: hold each store's first commit until
    // both have reached it, then let them race.
    let arrived = 0;
    let release!: () => void;
    const bothReady = new Promise<void>((resolve) => (release = resolve));
    for (const store of [first, second]) {
      const submit = store.clusters.submitTransaction.bind(store.clusters);
      store.clusters.submitTransaction = async (actions: TransactionAction[]) => {
        if (++arrived === 2) release();
        await bothReady;
        return submit(actions);
      };
    }
    const failing = posture({ local: 'fail' });
    const [a, b] = await Promise.all([
      first.recordEvaluation(failing),
      second.recordEvaluation({ ...failing }),
    ]);
    expect([a.alerts.length, b.alerts.length].sort()).toEqual([0, 1]);
    expect([a.regressions.length, b.regressions.length].sort()).toEqual([0, 1]);
    const rows = await rowsOf(first, failing.id);
    expect(rows.history).toHaveLength(3);
    expect(rows.alerts).toHaveLength(1);
  });

  it('many concurrent evaluations of one new cluster: one baseline, never an alert', async () => {
    const prefix = uniqueTablePrefix('herd');
    const stores = await Promise.all([1, 2, 3, 4].map(() => newStore(prefix)));
    const p = posture({ local: 'fail' });
    const results = await Promise.all(stores.map((s) => s.recordEvaluation({ ...p })));
    expect(results.filter((r) => r.baseline).length).toBeGreaterThanOrEqual(1);
    expect(results.flatMap((r) => r.alerts)).toEqual([]);
    expect((await rowsOf(stores[0], p.id)).alerts).toHaveLength(0);
  });

  it('on 412 it re-reads and re-diffs against what the other writer stored', async () => {
    const prefix = uniqueTablePrefix('redo');
    const mine = await newStore(prefix);
    const theirs = await newStore(prefix);
    await mine.recordEvaluation(posture());
    // Just before my first commit, another evaluation records local accounts failing.
    const submit = mine.clusters.submitTransaction.bind(mine.clusters);
    let intercepted = 0;
    mine.clusters.submitTransaction = async (actions: TransactionAction[]) => {
      if (intercepted++ === 0) await theirs.recordEvaluation(posture({ local: 'fail' }));
      return submit(actions);
    };
    const result = await mine.recordEvaluation(
      posture({ local: 'fail', principals: [grant(ALICE, ['cluster-write'])] }),
    );
    expect(intercepted).toBe(2);
    // local-accounts-disabled was already failing in what the other writer stored: only the principal is new.
    expect(result.regressions.map((r) => r.kind)).toEqual(['privilege-gained']);
    expect(result.regressions[0].severity).toBe('critical');
    const keys = (await mine.listAlerts({})).map((a) => a.alert.dedupeKey).sort();
    expect(keys).toEqual(
      [
        dedupeKey(posture().id, 'local-accounts-disabled'),
        dedupeKey(posture().id, 'privileged-access-via-groups', ALICE),
      ].sort(),
    );
    expect((await rowsOf(mine, posture().id)).history).toHaveLength(3);
  });

  it('a cluster whose evaluation keeps conflicting gives up with a DependencyError', async () => {
    const prefix = uniqueTablePrefix('hot');
    const store = await TableStore.create({
      connectionString: azurite.connectionString,
      allowInsecureConnection: true,
      tablePrefix: prefix,
      clock,
      maxAttempts: 2,
    });
    const other = await newStore(prefix);
    await store.recordEvaluation(posture());
    const submit = store.clusters.submitTransaction.bind(store.clusters);
    let n = 0;
    store.clusters.submitTransaction = async (actions: TransactionAction[]) => {
      await other.recordEvaluation(posture({ score: ++n }));
      return submit(actions);
    };
    await expect(store.recordEvaluation(posture({ local: 'fail' }))).rejects.toMatchObject({
      name: 'DependencyError',
    });
  });

  it('more alerts than one transaction holds are all written, each once', async () => {
    const store = await newStore();
    await store.recordEvaluation(posture());
    const principals = Array.from({ length: 130 }, (_, i) =>
      grant(`cccccccc-0000-0000-0000-${String(i).padStart(12, '0')}`, ['cluster-write']),
    );
    const result = await store.recordEvaluation(posture({ principals }));
    expect(result.alerts).toHaveLength(130);
    expect(new Set(result.alerts.map((a) => a.dedupeKey)).size).toBe(130);
    expect(await store.listAlerts({})).toHaveLength(130);
    expect((await store.recordEvaluation(posture({ principals, score: 99 }))).alerts).toEqual([]);
  });

  it('refuses a posture without an id', async () => {
    const store = await newStore();
    await expect(store.recordEvaluation({ ...posture(), id: '' })).rejects.toMatchObject({
      name: 'InputError',
    });
  });
});

describe('outbox', () => {
  function alertFor(id: string, key: string): Alert {
    return {
      dedupeKey: key,
      clusterId: id,
      clusterName: 'aks-prod',
      subscriptionId: 'x',
      resourceGroup: 'rg-prod',
      severity: 'critical',
      kind: 'admin-credential-retrieved',
      checkId: 'admin-credential-access',
      title: 'Someone fetched the admin kubeconfig',
      before: '',
      after: 'fetched by alice@example.com from 203.0.113.7',
      caller: { name: 'alice@example.com', ipAddress: '203.0.113.7' },
      remediation: 'az aks update -g rg-prod -n aks-prod --disable-local-accounts',
      createdAt: clock.now().toISOString(),
    };
  }

  it('enqueueAlerts writes pending rows once per dedupe key; updateAlert records delivery; listAlerts filters', async () => {
    const store = await newStore();
    const id = clusterId('aks-prod');
    clock.current = new Date('2026-11-22T02:00:00.000Z');
    const first = alertFor(id, `${id.toLowerCase()}|admin-credential-retrieved|evt-1`);
    expect(await store.enqueueAlerts([first, first])).toEqual([first]);
    expect(await store.enqueueAlerts([first])).toEqual([]);
    clock.current = new Date('2026-11-22T05:00:00.000Z');
    const second = alertFor(id, `${id.toLowerCase()}|admin-credential-retrieved|evt-2`);
    expect(await store.enqueueAlerts([second])).toEqual([second]);

    await store.updateAlert(id, first.dedupeKey, {
      state: 'failed',
      attempts: 3,
      channels: { email: 'failed', teams: 'sent' },
      lastError: 'smtp 550',
    });
    const all = await store.listAlerts({});
    expect(all).toHaveLength(2);
    const failed = await store.listAlerts({ state: 'failed' });
    expect(failed).toEqual([
      {
        alert: first,
        state: 'failed',
        attempts: 3,
        channels: { email: 'failed', teams: 'sent' },
        lastError: 'smtp 550',
        updatedAt: '2026-11-22T05:00:00.000Z',
      },
    ]);
    expect(
      (await store.listAlerts({ since: new Date('2026-11-22T04:00:00.000Z') })).map(
        (a) => a.alert.dedupeKey,
      ),
    ).toEqual([second.dedupeKey]);
    expect(await store.listAlerts({ state: 'sent' })).toEqual([]);
  });

  it('updateAlert of an unknown alert is NotFound', async () => {
    const store = await newStore();
    await expect(
      store.updateAlert(clusterId('nope'), 'nope', { state: 'sent' }),
    ).rejects.toMatchObject({ name: 'NotFoundError' });
  });
});

describe('upgrading the check catalogue (a store written by the current version)', () => {
  /** Rewrites the stored payload as versions before the catalogue version wrote it: memory without `catalogueVersion`. */
  async function asWrittenBeforeVersions(store: TableStore, id: string): Promise<void> {
    const { clusterPartitionKey } = await import('../../src/adapters/tableKeys');
    const row = await store.clusters.getEntity<Record<string, unknown>>(
      clusterPartitionKey(id),
      'posture',
    );
    expect(row.payloadEncoding).toBe('json');
    const payload = JSON.parse(String(row.payload_0));
    delete payload.memory.catalogueVersion;
    await store.clusters.updateEntity(
      {
        partitionKey: row.partitionKey!,
        rowKey: row.rowKey!,
        payload_0: JSON.stringify(payload),
        catalogueVersion: '',
      },
      'Merge',
    );
  }

  it('the first evaluation under a new catalogue pages nobody, records catalogue-upgraded in history and keeps open alerts', async () => {
    const prefix = uniqueTablePrefix('cat');
    const current = await newStore(prefix);
    const { CATALOGUE_VERSION } = await import('../../src/core/checks');
    clock.current = new Date('2026-11-22T02:00:00.000Z');
    await current.recordEvaluation(posture({ principals: [grant(ALICE, ['cluster-write'])] }));
    // A real regression under the current catalogue: its alert is open when the upgrade comes.
    const failing = posture({ local: 'fail', principals: [grant(ALICE, ['cluster-write'])] });
    const paged = await current.recordEvaluation(failing);
    expect(paged.alerts).toHaveLength(1);
    await asWrittenBeforeVersions(current, failing.id);

    // The upgrade: the new catalogue counts more capabilities (Alice gains admin-credential, Bob appears).
    const upgraded = await TableStore.create({
      connectionString: azurite.connectionString,
      allowInsecureConnection: true,
      tablePrefix: prefix,
      clock,
      catalogueVersion: CATALOGUE_VERSION + 1,
    });
    clock.current = new Date('2026-11-23T02:00:00.000Z');
    const seenByNewCatalogue = posture({
      local: 'fail',
      principals: [
        grant(ALICE, ['cluster-write', 'admin-credential']),
        grant(BOB, ['kubernetes-cluster-admin']),
      ],
    });
    const result = await upgraded.recordEvaluation(seenByNewCatalogue, {
      minAlertSeverity: 'info',
    });
    expect(result).toEqual({ baseline: false, regressions: [], alerts: [] });
    const rows = await rowsOf(upgraded, failing.id);
    expect(rows.alerts).toHaveLength(1);
    expect(rows.alerts[0]).toMatchObject({
      open: true,
      dedupeKey: dedupeKey(failing.id, 'local-accounts-disabled'),
    });
    expect(rows.posture[0].catalogueVersion).toBe(CATALOGUE_VERSION + 1);
    const [latest] = (await upgraded.getHistory(failing.id, {})).items;
    expect(latest.regressions).toEqual([]);
    expect(latest.catalogueUpgraded).toMatchObject({ from: 1, to: CATALOGUE_VERSION + 1 });
    expect(latest.catalogueUpgraded!.changes.map((c) => c.principalId).sort()).toEqual([
      ALICE,
      BOB,
    ]);

    // The next evaluation under the new catalogue compares with the new baseline: a real gain pages.
    clock.current = new Date('2026-11-24T02:00:00.000Z');
    const gain = await upgraded.recordEvaluation(
      posture({
        local: 'fail',
        principals: [
          ...seenByNewCatalogue.privilegedPrincipals,
          grant('cccccccc-0000-0000-0000-000000000003', ['admin-credential']),
        ],
      }),
    );
    expect(gain.alerts.map((a) => a.principal?.principalId)).toEqual([
      'cccccccc-0000-0000-0000-000000000003',
    ]);
  });

  it('without an upgrade, the same store pages for the same gain (the re-baseline is what silenced it)', async () => {
    const store = await newStore();
    await store.recordEvaluation(posture({ principals: [grant(ALICE, ['cluster-write'])] }));
    const result = await store.recordEvaluation(
      posture({ principals: [grant(ALICE, ['cluster-write', 'admin-credential'])] }),
    );
    expect(result.alerts).toHaveLength(1);
  });
});
