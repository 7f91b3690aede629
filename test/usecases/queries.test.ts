/**
 * The query use cases behind the HTTP API, called directly with real adapters: health with a
 * store on a closed port and a snapshot folder that is gone, the access view's grouping, and
 * the refusals that happen before any store is touched.
 */
import { createServer } from 'net';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { SnapshotSource } from '../../src/adapters/snapshotSource';
import { TableStore } from '../../src/adapters/tableStore';
import { InputError, NotFoundError } from '../../src/core/errors';
import type { Alert, ClusterPosture, Finding, PrincipalAccess } from '../../src/core/model';
import type { Notifier, PostureStore } from '../../src/core/ports';
import {
  accessView,
  checkHealth,
  clusterIdOf,
  evaluateClusterNow,
  getCluster,
  getClusterAccess,
  getClusterHistory,
  listClusters,
  listRegressions,
} from '../../src/usecases/queries';
import { startAzurite, uniqueTablePrefix, type TestAzurite } from '../helpers/azurite';
import { PROD_SUB, SAMPLE_ESTATE } from '../helpers/runtime';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A store whose every call would fail the test: for refusals that must happen before any query. */
const untouchable: PostureStore = new Proxy({} as PostureStore, {
  get: (_target, name) => () => {
    throw new Error(`the store was called (${String(name)})`);
  },
});

describe('checkHealth', () => {
  let azurite: TestAzurite;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(() => azurite.stop());

  it('is ok with a reachable store and a readable snapshot', async () => {
    const store = await TableStore.create({
      connectionString: azurite.connectionString,
      allowInsecureConnection: true,
      tablePrefix: uniqueTablePrefix('h'),
    });
    const report = await checkHealth(store, new SnapshotSource(SAMPLE_ESTATE));
    expect(report).toEqual({
      status: 'ok',
      store: { ok: true, detail: expect.any(String) },
      source: { ok: true, detail: expect.any(String), kind: 'snapshot' },
      disabled: [],
      events: {
        silentAfterHours: 24,
        subscriptions: [
          {
            subscriptionId: '00000000-0000-4000-a000-000000000001',
            lastEventAt: null,
            silent: false,
          },
          {
            subscriptionId: '00000000-0000-4000-a000-000000000002',
            lastEventAt: null,
            silent: false,
          },
        ],
      },
      deadLetters: {
        ok: true,
        configured: false,
        detail: expect.stringContaining('AUDIT_DEAD_LETTER_CONTAINER'),
      },
    });
  });

  it('is degraded, naming the store, when the store is on a closed port', async () => {
    const port = await closedPort();
    const connectionString = azurite.connectionString.replace(
      /TableEndpoint=http:\/\/127\.0\.0\.1:\d+/,
      `TableEndpoint=http://127.0.0.1:${port}`,
    );
    expect(connectionString).toContain(`:${port}/`);
    const store = new TableStore({
      connectionString,
      allowInsecureConnection: true,
      clientOptions: { retryOptions: { maxRetries: 0 } },
    });
    const report = await checkHealth(store, new SnapshotSource(SAMPLE_ESTATE));
    expect(report.status).toBe('degraded');
    expect(report.store).toEqual({
      ok: false,
      detail: expect.stringMatching(/Table Storage unreachable/),
    });
    expect(report.source.ok).toBe(true);
  });

  it('is degraded, naming the folder, when the snapshot folder is gone', async () => {
    const store = await TableStore.create({
      connectionString: azurite.connectionString,
      allowInsecureConnection: true,
      tablePrefix: uniqueTablePrefix('h'),
    });
    const parent = mkdtempSync(join(tmpdir(), 'aks-auditor-gone-'));
    const gone = join(parent, 'nothing-here');
    const report = await checkHealth(store, new SnapshotSource(gone)).finally(() =>
      rmSync(parent, { recursive: true, force: true }),
    );
    expect(report.status).toBe('degraded');
    expect(report.store.ok).toBe(true);
    expect(report.source).toEqual({
      ok: false,
      detail: expect.stringContaining(gone),
      kind: 'snapshot',
    });
  });

  it.each([
    [
      'truncated',
      (text: string) => text.slice(0, Math.floor(text.length / 2)),
      /clusters\.json: not valid JSON/,
    ],
    ['not an array', () => '{"clusters": 1}', /clusters\.json/],
  ])('is degraded, naming the file, when clusters.json is %s', async (_case, spoil, detail) => {
    const store = await TableStore.create({
      connectionString: azurite.connectionString,
      allowInsecureConnection: true,
      tablePrefix: uniqueTablePrefix('h'),
    });
    const dir = mkdtempSync(join(tmpdir(), 'aks-auditor-spoilt-'));
    try {
      cpSync(SAMPLE_ESTATE, dir, { recursive: true });
      writeFileSync(
        join(dir, 'clusters.json'),
        spoil(readFileSync(join(dir, 'clusters.json'), 'utf8')),
      );
      const report = await checkHealth(store, new SnapshotSource(dir));
      expect(report.status).toBe('degraded');
      expect(report.source).toEqual({
        ok: false,
        detail: expect.stringMatching(detail),
        kind: 'snapshot',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is degraded, listing each disabled channel, when a channel setting could not be used', async () => {
    const store = await TableStore.create({
      connectionString: azurite.connectionString,
      allowInsecureConnection: true,
      tablePrefix: uniqueTablePrefix('h'),
    });
    const disabled = [
      {
        disables: 'teams',
        setting: 'ALERT_TEAMS_WEBHOOK_URL',
        message: 'ALERT_TEAMS_WEBHOOK_URL: unresolved Key Vault reference',
      },
    ];
    const report = await checkHealth(store, new SnapshotSource(SAMPLE_ESTATE), disabled);
    expect(report).toMatchObject({
      status: 'degraded',
      store: { ok: true },
      source: { ok: true },
      disabled,
    });
  });

  it('turns a health probe that throws into a degraded report rather than an error', async () => {
    const throwing = { health: () => Promise.reject(new Error('boom')) } as unknown as PostureStore;
    const report = await checkHealth(throwing, new SnapshotSource(SAMPLE_ESTATE));
    expect(report).toMatchObject({ status: 'degraded', store: { ok: false, detail: 'boom' } });
  });
});

describe('refusals before the store is touched', () => {
  const segments = {
    subscriptionId: PROD_SUB,
    resourceGroup: 'rg-prod',
    clusterName: 'aks-checkout-prod',
  };

  it.each([
    ['listClusters, unknown parameter', () => listClusters(untouchable, { top: '1' })],
    [
      'listClusters, hostile status',
      () => listClusters(untouchable, { status: "pass' or '1' eq '1" }),
    ],
    [
      'listClusters, hostile subscription',
      () => listClusters(untouchable, { subscriptionId: "' or ''='" }),
    ],
    ['listClusters, page size', () => listClusters(untouchable, { pageSize: '1e3' })],
    [
      'getCluster, bad subscription',
      () => getCluster(untouchable, { ...segments, subscriptionId: 'x' }),
    ],
    ['getCluster, parameter', () => getCluster(untouchable, segments, { expand: 'all' })],
    [
      'getClusterHistory, page size',
      () => getClusterHistory(untouchable, segments, { pageSize: 'ten' }),
    ],
    [
      'getClusterAccess, bad name',
      () => getClusterAccess(untouchable, { ...segments, clusterName: '-x' }),
    ],
    ['listRegressions, since', () => listRegressions(untouchable, { since: 'now' }, new Date())],
    [
      'evaluateClusterNow, bad resource group',
      () =>
        evaluateClusterNow(
          {
            store: untouchable,
            source: new SnapshotSource(SAMPLE_ESTATE),
            clock: { now: () => new Date() },
          },
          { ...segments, resourceGroup: 'rg/..' },
        ),
    ],
  ])('%s → InputError', async (_what, call) => {
    await expect(call()).rejects.toBeInstanceOf(InputError);
  });

  it('evaluateClusterNow refuses a subscription the source does not watch (NotFound), before reading or recording', async () => {
    const source = new SnapshotSource(SAMPLE_ESTATE);
    await expect(
      evaluateClusterNow(
        { store: untouchable, source, clock: { now: () => new Date() } },
        { ...segments, subscriptionId: '99999999-9999-4999-8999-999999999999' },
      ),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('evaluateClusterNow records the alerts of a regression and leaves sending them to the delivery loop', async () => {
    const azurite = await startAzurite();
    const dir = mkdtempSync(join(tmpdir(), 'aia-evaluate-'));
    try {
      cpSync(SAMPLE_ESTATE, dir, { recursive: true });
      const store = await TableStore.create({
        connectionString: azurite.connectionString,
        allowInsecureConnection: true,
        tablePrefix: uniqueTablePrefix('ev'),
      });
      const sent: Alert[][] = [];
      // A channel that would hang the caller if it were called inline.
      const teams: Notifier = {
        channel: 'teams',
        send: (alerts) => {
          sent.push(alerts);
          return new Promise(() => undefined);
        },
      };
      const deps = {
        store,
        source: new SnapshotSource(dir),
        clock: { now: () => new Date() },
        notifiers: [teams],
        minAlertSeverity: 'info' as const,
      };
      const target = {
        subscriptionId: PROD_SUB,
        resourceGroup: 'rg-payments-prod',
        clusterName: 'aks-payments-prod',
      };
      await evaluateClusterNow(deps, target);
      const clusters = JSON.parse(readFileSync(join(dir, 'clusters.json'), 'utf8')) as {
        name: string;
        disableLocalAccounts?: boolean;
      }[];
      const payments = clusters.find((c) => c.name === 'aks-payments-prod');
      expect(payments?.disableLocalAccounts).toBe(true);
      if (payments) payments.disableLocalAccounts = false;
      writeFileSync(join(dir, 'clusters.json'), JSON.stringify(clusters));

      const posture = await evaluateClusterNow(deps, target);
      expect(posture.regressions?.map((r) => r.checkId)).toContain('local-accounts-disabled');
      expect(sent).toEqual([]);
      const alerts = await store.listAlerts({});
      const recorded = alerts.find((a) => a.alert.checkId === 'local-accounts-disabled');
      expect(recorded).toMatchObject({ state: 'pending', attempts: 0 });
    } finally {
      await azurite.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('clusterIdOf builds the resource id the segments address', () => {
    expect(
      clusterIdOf({
        subscriptionId: PROD_SUB.toUpperCase(),
        resourceGroup: 'rg-prod',
        clusterName: 'aks-checkout-prod',
      }),
    ).toBe(
      `/subscriptions/${PROD_SUB}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-checkout-prod`,
    );
  });
});

describe('accessView', () => {
  const grant = (
    principalId: string,
    roleName: string,
    scope: string,
    capabilities: PrincipalAccess['capabilities'],
  ): PrincipalAccess => ({
    principalId,
    principalType: 'User',
    roleName,
    roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${roleName.toLowerCase()}`,
    scope,
    capabilities,
  });
  const finding = (status: Finding['status']): Finding => ({
    checkId: 'local-accounts-disabled',
    status,
    severity: 'high',
    title: 't',
    detail: 'd',
    remediation: 'r',
  });
  const posture = (grants: PrincipalAccess[], local?: Finding['status']): ClusterPosture => ({
    id: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c',
    name: 'c',
    subscriptionId: 'x',
    resourceGroup: 'rg',
    status: 'fail',
    score: 10,
    findings: local ? [finding(local)] : [],
    privilegedPrincipals: grants,
    evaluatedAt: '2026-11-22T02:00:00.000Z',
  });

  it('groups grants by principal (case-insensitively), unions capabilities, sorts principals', () => {
    const view = accessView(
      posture(
        [
          grant('B-principal', 'Contributor', '/subscriptions/x/resourceGroups/rg', [
            'admin-credential',
            'cluster-write',
          ]),
          grant('a-principal', 'Owner', '/', [
            'admin-credential',
            'cluster-write',
            'role-assignment-write',
          ]),
          grant(
            'b-PRINCIPAL',
            'AKS Cluster Admin Role',
            '/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c',
            ['admin-credential'],
          ),
        ],
        'fail',
      ),
    );
    expect(view.localAccountsEnabled).toBe(true);
    expect(view.principals.map((p) => p.principalId)).toEqual(['a-principal', 'B-principal']);
    const b = view.principals[1];
    expect(b.grants.map((g) => g.roleName)).toEqual(['Contributor', 'AKS Cluster Admin Role']);
    expect(b.capabilities).toEqual(['admin-credential', 'cluster-write']);
  });

  it('says whether local accounts are enabled only when the check says so', () => {
    expect(accessView(posture([], 'pass')).localAccountsEnabled).toBe(false);
    expect(accessView(posture([], 'error')).localAccountsEnabled).toBe('unknown');
    expect(accessView(posture([])).localAccountsEnabled).toBe('unknown');
  });
});
