/**
 * The HTTP functions called as the Functions host calls them (real HttpRequest and
 * InvocationContext, @azure/functions test mode) against a real runtime: Table Storage and
 * queues on an in-memory Azurite, the estate from a temporary copy of samples/estate. The
 * first describe blocks only read; the last ones edit the copy and re-evaluate, in order.
 */
import type { HttpResponseInit } from '@azure/functions';
import { CHECKS } from '../../src/core/checks';
import { SEVERITIES, type ClusterPosture } from '../../src/core/model';
import type { HistoryEntry, PostureSummary } from '../../src/core/ports';
import { evaluateCluster } from '../../src/functions/evaluateCluster';
import { getCluster } from '../../src/functions/getCluster';
import { getClusterAccess } from '../../src/functions/getClusterAccess';
import { getClusterHistory } from '../../src/functions/getClusterHistory';
import { health } from '../../src/functions/health';
import { listClusters } from '../../src/functions/listClusters';
import { listRegressions } from '../../src/functions/listRegressions';
import type { ClusterAccessView, RegressionView } from '../../src/usecases/queries';
import {
  bodyOf,
  CLUSTERS,
  clusterIdOf,
  errorOf,
  httpRequest,
  NONPROD_SUB,
  PROD_SUB,
  startTestRuntime,
  testContext,
  type ClusterParams,
  type TestRuntime,
} from '../helpers/runtime';

let t: TestRuntime;

beforeAll(async () => {
  t = await startTestRuntime();
  await t.runtime.auditNow();
});
afterAll(() => t?.close());

type ClusterList = { clusters: PostureSummary[]; continuationToken?: string };

async function list(query: Record<string, string>): Promise<HttpResponseInit> {
  return listClusters(
    httpRequest({ path: 'clusters', query }),
    testContext('listClusters').context,
  );
}

async function listOk(query: Record<string, string> = {}): Promise<ClusterList> {
  const response = await list(query);
  expect(response.status).toBe(200);
  return bodyOf<ClusterList>(response);
}

async function get(
  params: ClusterParams,
  query?: Record<string, string>,
): Promise<HttpResponseInit> {
  return getCluster(
    httpRequest({ path: 'clusters/…', params, query }),
    testContext('getCluster').context,
  );
}

async function history(
  params: ClusterParams,
  query?: Record<string, string>,
): Promise<HttpResponseInit> {
  return getClusterHistory(
    httpRequest({ path: 'clusters/…/history', params, query }),
    testContext('getClusterHistory').context,
  );
}

async function access(
  params: ClusterParams,
  query?: Record<string, string>,
): Promise<HttpResponseInit> {
  return getClusterAccess(
    httpRequest({ path: 'clusters/…/access', params, query }),
    testContext('getClusterAccess').context,
  );
}

async function regressions(query?: Record<string, string>): Promise<HttpResponseInit> {
  return listRegressions(
    httpRequest({ path: 'regressions', query }),
    testContext('listRegressions').context,
  );
}

async function evaluate(
  params: ClusterParams,
  query?: Record<string, string>,
): Promise<HttpResponseInit> {
  return evaluateCluster(
    httpRequest({ method: 'POST', path: 'clusters/…/evaluate', params, query }),
    testContext('evaluateCluster').context,
  );
}

const ALL_NAMES = Object.values(CLUSTERS)
  .map((c) => c.clusterName)
  .sort();

describe('GET /api/clusters (listClusters)', () => {
  it('lists all seven sample clusters with their summary columns', async () => {
    const body = await listOk();
    expect(body.clusters.map((c) => c.name).sort()).toEqual(ALL_NAMES);
    expect(body.continuationToken).toBeUndefined();
    const payments = body.clusters.find((c) => c.name === 'aks-payments-prod')!;
    expect(payments).toMatchObject({
      id: clusterIdOf(CLUSTERS.paymentsProd),
      subscriptionId: PROD_SUB,
      resourceGroup: 'rg-payments-prod',
      status: 'pass',
      failingCheckIds: [],
    });
    const checkout = body.clusters.find((c) => c.name === 'aks-checkout-prod')!;
    expect(checkout.status).toBe('fail');
    expect(checkout.worstSeverity).toBe('critical');
    expect(checkout.failingCheckIds).toEqual(
      expect.arrayContaining(['local-accounts-disabled', 'admin-credential-access']),
    );
  });

  it('filters by subscription (any case), status and severity', async () => {
    const prod = await listOk({ subscriptionId: PROD_SUB.toUpperCase() });
    expect(prod.clusters.map((c) => c.name).sort()).toEqual([
      'aks-checkout-prod',
      'aks-payments-prod',
      'aks-search-prod2',
    ]);
    const nonProd = await listOk({ subscriptionId: NONPROD_SUB });
    expect(nonProd.clusters).toHaveLength(4);
    expect(nonProd.clusters.every((c) => c.subscriptionId === NONPROD_SUB)).toBe(true);

    const passing = await listOk({ status: 'pass' });
    expect(passing.clusters.map((c) => c.name)).toEqual(['aks-payments-prod']);
    const failing = await listOk({ status: 'FAIL' });
    expect(failing.clusters).toHaveLength(6);
    expect(await listOk({ status: 'error' })).toEqual({ clusters: [] });

    const all = (await listOk()).clusters;
    for (const severity of SEVERITIES) {
      const rank = SEVERITIES.indexOf(severity);
      const expected = all
        .filter((c) => c.worstSeverity !== undefined && SEVERITIES.indexOf(c.worstSeverity) <= rank)
        .map((c) => c.name)
        .sort();
      const got = (await listOk({ severity })).clusters.map((c) => c.name).sort();
      expect({ severity, names: got }).toEqual({ severity, names: expected });
    }
    const critical = (await listOk({ severity: 'critical' })).clusters.map((c) => c.name);
    expect(critical).toEqual(expect.arrayContaining(['aks-checkout-prod', 'aks-data-dev']));
    expect(critical).not.toContain('aks-payments-prod');

    const combined = await listOk({
      subscriptionId: PROD_SUB,
      status: 'fail',
      severity: 'critical',
    });
    expect(
      combined.clusters.every(
        (c) =>
          c.subscriptionId === PROD_SUB && c.status === 'fail' && c.worstSeverity === 'critical',
      ),
    ).toBe(true);
  });

  it('pages two at a time: the continuation token round-trips until exhausted, nothing lost or repeated', async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const body = await listOk({ pageSize: '2', ...(token ? { continuationToken: token } : {}) });
      sizes.push(body.clusters.length);
      seen.push(...body.clusters.map((c) => c.name));
      token = body.continuationToken;
      pages += 1;
      expect(pages).toBeLessThanOrEqual(7);
    } while (token);
    expect(seen.sort()).toEqual(ALL_NAMES);
    expect(sizes.slice(0, -1).every((n) => n === 2)).toBe(true);
    expect(sizes.length).toBeGreaterThanOrEqual(4);
  });

  it('pages a filtered list too, with the filter repeated on every page', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const body = await listOk({
        subscriptionId: NONPROD_SUB,
        pageSize: '1',
        ...(token ? { continuationToken: token } : {}),
      });
      expect(body.clusters.length).toBeLessThanOrEqual(1);
      seen.push(...body.clusters.map((c) => c.name));
      token = body.continuationToken;
    } while (token);
    expect(seen.sort()).toEqual([
      'aks-data-dev',
      'aks-dev-shared',
      'aks-legacy-batch',
      'aks-sandbox-pods',
    ]);
  });

  it('accepts the `code` function-key parameter', async () => {
    const body = await listOk({ code: 'c2VjcmV0LWtleQ==', status: 'pass' });
    expect(body.clusters.map((c) => c.name)).toEqual(['aks-payments-prod']);
  });

  it.each([
    ['an unknown parameter', { colour: 'red' }],
    ['a misspelt filter', { subscription: PROD_SUB }],
    ['an OData injection in status', { status: "pass' or '1' eq '1" }],
    ['an OData injection in subscriptionId', { subscriptionId: "x' or PartitionKey ne '" }],
    ['an OData injection in severity', { severity: 'high or true' }],
    ['an unknown status', { status: 'failing' }],
    ['a zero page size', { pageSize: '0' }],
    ['a negative page size', { pageSize: '-1' }],
    ['a page size over the limit', { pageSize: '100000' }],
    ['a fractional page size', { pageSize: '2.5' }],
    ['a malformed continuation token', { continuationToken: 'not-a-token' }],
    [
      'a base64 continuation token that is not ours',
      { continuationToken: Buffer.from('{"hello":"world"}').toString('base64url') },
    ],
    [
      'a continuation token of another query kind',
      { continuationToken: Buffer.from('{"k":"history:x","p":"a","r":"b"}').toString('base64url') },
    ],
  ])('answers 400 with { error: { code, message } } for %s', async (_what, query) => {
    const response = await list(query);
    expect(response.status).toBe(400);
    const error = errorOf(response);
    expect(error.message.length).toBeGreaterThan(0);
    expect(error.message).not.toMatch(/\n/);
  });

  it('answers 400 for a parameter given twice', async () => {
    const response = await listClusters(
      httpRequest({ path: 'clusters?status=pass&status=fail' }),
      testContext('listClusters').context,
    );
    expect(response.status).toBe(400);
    expect(errorOf(response).message).toMatch(/more than once/);
  });

  it('names a bad continuation token with its own code', async () => {
    const response = await list({ continuationToken: '%%%' });
    expect(response.status).toBe(400);
    expect(errorOf(response).code).toBe('BadContinuationToken');
  });
});

describe('GET /api/clusters/{sub}/{rg}/{name} (getCluster)', () => {
  it('returns the posture document: every check of the catalogue exactly once', async () => {
    const response = await get(CLUSTERS.checkoutProd);
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({
      'content-type': expect.stringMatching(/^application\/json/),
    });
    const posture = bodyOf<ClusterPosture>(response);
    expect(posture).toMatchObject({
      id: clusterIdOf(CLUSTERS.checkoutProd),
      name: 'aks-checkout-prod',
      subscriptionId: PROD_SUB,
      resourceGroup: 'rg-prod',
      status: 'fail',
      score: expect.any(Number),
      evaluatedAt: expect.any(String),
    });
    expect(posture.findings.map((f) => f.checkId).sort()).toEqual(CHECKS.map((c) => c.id).sort());
    for (const finding of posture.findings) {
      expect(finding).toMatchObject({
        checkId: expect.any(String),
        status: expect.stringMatching(/^(pass|fail|not-applicable|error)$/),
        severity: expect.stringMatching(/^(critical|high|medium|low|info)$/),
        title: expect.any(String),
        detail: expect.any(String),
        remediation: expect.any(String),
      });
    }
    const admin = posture.findings.find((f) => f.checkId === 'admin-credential-access')!;
    expect(admin.status).toBe('fail');
    expect(admin.principals?.length).toBeGreaterThan(0);
  });

  it('finds the cluster whatever the case of the segments', async () => {
    const response = await get({
      subscriptionId: PROD_SUB.toUpperCase(),
      resourceGroup: 'RG-PAYMENTS-PROD',
      clusterName: 'AKS-Payments-Prod',
    });
    expect(response.status).toBe(200);
    expect(bodyOf<ClusterPosture>(response).name).toBe('aks-payments-prod');
  });

  it('answers 404 for an unknown cluster', async () => {
    const response = await get({ ...CLUSTERS.paymentsProd, clusterName: 'aks-nowhere' });
    expect(response.status).toBe(404);
    expect(errorOf(response).code).toBe('NotFound');
  });

  it.each([
    ['a subscription that is not a GUID', { ...CLUSTERS.paymentsProd, subscriptionId: 'prod' }],
    ['an empty subscription', { ...CLUSTERS.paymentsProd, subscriptionId: '' }],
    ['a cluster name with a dot', { ...CLUSTERS.paymentsProd, clusterName: 'aks.prod' }],
    ['a cluster name of `..`', { ...CLUSTERS.paymentsProd, clusterName: '..' }],
    ['a resource group of `..`', { ...CLUSTERS.paymentsProd, resourceGroup: '..' }],
    ['a cluster name with a slash', { ...CLUSTERS.paymentsProd, clusterName: 'a/../b' }],
    [
      'a resource group with a quote',
      { ...CLUSTERS.paymentsProd, resourceGroup: "rg' or '1' eq '1" },
    ],
    ['a cluster name too long', { ...CLUSTERS.paymentsProd, clusterName: `a${'b'.repeat(63)}` }],
  ])('answers 400 for %s', async (_what, params) => {
    const response = await get(params);
    expect(response.status).toBe(400);
    expect(errorOf(response).code).toBe('BadInput');
  });

  it('answers 400 for a query parameter it does not take, but accepts `code`', async () => {
    expect((await get(CLUSTERS.paymentsProd, { verbose: 'true' })).status).toBe(400);
    expect((await get(CLUSTERS.paymentsProd, { code: 'key' })).status).toBe(200);
  });
});

describe('GET …/access (getClusterAccess)', () => {
  it('groups the privileged principals with the grants they hold them through', async () => {
    const response = await access(CLUSTERS.checkoutProd);
    expect(response.status).toBe(200);
    const view = bodyOf<ClusterAccessView>(response);
    expect(view.clusterId).toBe(clusterIdOf(CLUSTERS.checkoutProd));
    expect(view.localAccountsEnabled).toBe(true);
    expect(view.principals.length).toBeGreaterThan(0);
    const ids = view.principals.map((p) => p.principalId.toLowerCase());
    expect(new Set(ids).size).toBe(ids.length);
    for (const principal of view.principals) {
      expect(principal.grants.length).toBeGreaterThan(0);
      for (const grant of principal.grants) {
        expect(grant).toMatchObject({
          roleName: expect.any(String),
          roleDefinitionId: expect.any(String),
          scope: expect.any(String),
        });
        for (const capability of grant.capabilities)
          expect(principal.capabilities).toContain(capability);
      }
    }
    // alice is Contributor at rg-prod (samples/README.md): admin-credential through that grant.
    const alice = view.principals.find((p) =>
      p.grants.some(
        (g) => g.roleName === 'Contributor' && /\/resourcegroups\/rg-prod$/i.test(g.scope),
      ),
    );
    expect(alice).toBeDefined();
    expect(alice!.principalType).toBe('User');
    expect(alice!.capabilities).toContain('admin-credential');
  });

  it('says local accounts are disabled on the hardened cluster, and keeps rg-prod grants off rg-prod2', async () => {
    const payments = bodyOf<ClusterAccessView>(await access(CLUSTERS.paymentsProd));
    expect(payments.localAccountsEnabled).toBe(false);
    const search = bodyOf<ClusterAccessView>(await access(CLUSTERS.searchProd2));
    for (const principal of search.principals) {
      for (const grant of principal.grants)
        expect(grant.scope).not.toMatch(/\/resourcegroups\/rg-prod$/i);
    }
  });

  it('says how each path is held: approved holders, PIM eligibility, the new paths', async () => {
    const payments = bodyOf<ClusterAccessView>(await access(CLUSTERS.paymentsProd));
    const byName = (name: string) => payments.principals.find((p) => p.displayName === name)!;
    // Fiona Park's Owner at rg-payments-prod is a PIM eligibility; she is a member of the
    // cluster's admin group grp-payments-sre, so approved (samples/README.md).
    expect(byName('Fiona Park')).toMatchObject({
      approved: true,
      grants: [expect.objectContaining({ roleName: 'Owner', eligible: true })],
    });
    expect(byName('grp-payments-sre')).toMatchObject({
      approved: true,
      capabilities: ['kubernetes-cluster-admin'],
    });
    // The platform team's management-group Owner reaches the node resource group too.
    expect(byName('grp-cloud-platform').capabilities).toContain('node-access');
    const devShared = bodyOf<ClusterAccessView>(await access(CLUSTERS.devShared));
    const patching = devShared.principals.find((p) => p.displayName === 'sp-node-patching')!;
    expect(patching.approved).toBeUndefined();
    expect(patching.grants).toEqual([
      expect.objectContaining({
        roleName: 'Virtual Machine Contributor',
        capabilities: ['node-access'],
        scope: expect.stringMatching(/\/resourceGroups\/MC_rg-dev_aks-dev-shared_westeurope$/),
      }),
    ]);
  });

  it('answers 404 for an unknown cluster and 400 for a bad segment', async () => {
    expect((await access({ ...CLUSTERS.paymentsProd, resourceGroup: 'rg-nowhere' })).status).toBe(
      404,
    );
    expect((await access({ ...CLUSTERS.paymentsProd, subscriptionId: 'not-a-guid' })).status).toBe(
      400,
    );
  });
});

describe('GET /api/regressions (listRegressions), before any regression', () => {
  it('answers an empty list after the baseline audit, with the default window of seven days', async () => {
    const response = await regressions();
    expect(response.status).toBe(200);
    const body = bodyOf<{ since: string; regressions: RegressionView[] }>(response);
    expect(body.regressions).toEqual([]);
    const since = Date.parse(body.since);
    expect(Date.now() - since).toBeGreaterThan(6 * 24 * 3600 * 1000);
    expect(Date.now() - since).toBeLessThan(8 * 24 * 3600 * 1000);
  });

  it.each(['2026-11-22T02:00:00Z', '2026-11-22T02:00:00.123+01:00', '2026-11-22'])(
    'parses since=%s',
    async (since) => {
      const response = await regressions({ since });
      expect(response.status).toBe(200);
      expect(bodyOf<{ since: string }>(response).since).toBe(
        new Date(Date.parse(since)).toISOString(),
      );
    },
  );

  it.each(['yesterday', '1700000000', '2026-13-45T99:00:00Z', "2026-11-22' or '1' eq '1", ''])(
    'answers 400 for since=%j',
    async (since) => {
      const response = await regressions({ since });
      expect(response.status).toBe(400);
      expect(errorOf(response).code).toBe('BadInput');
    },
  );

  it('answers 400 for an unknown parameter', async () => {
    expect((await regressions({ until: '2026-11-22' })).status).toBe(400);
  });
});

describe('GET /api/health', () => {
  it('answers 200 ok with the store and the source', async () => {
    const response = await health(httpRequest({ path: 'health' }), testContext('health').context);
    expect(response.status).toBe(200);
    expect(bodyOf(response)).toMatchObject({
      status: 'ok',
      store: { ok: true, detail: expect.any(String) },
      source: { ok: true, kind: 'snapshot' },
    });
  });
});

describe('a regression, seen through evaluate, history and regressions', () => {
  let before: HistoryEntry[];

  it('history holds the baseline entry, without regressions', async () => {
    const response = await history(CLUSTERS.paymentsProd);
    expect(response.status).toBe(200);
    const body = bodyOf<{ clusterId: string; history: HistoryEntry[] }>(response);
    expect(body.clusterId).toBe(clusterIdOf(CLUSTERS.paymentsProd));
    expect(body.history).toHaveLength(1);
    expect(body.history[0]).toMatchObject({ status: 'pass', regressions: [], failingCheckIds: [] });
    before = body.history;
  });

  it('POST evaluate re-reads the estate: the edited cluster comes back failing, with its regressions', async () => {
    t.editCluster('aks-payments-prod', (cluster) => {
      cluster.disableLocalAccounts = false;
    });
    const response = await evaluate(CLUSTERS.paymentsProd);
    expect(response.status).toBe(200);
    const posture = bodyOf<ClusterPosture>(response);
    expect(posture.id.toLowerCase()).toBe(clusterIdOf(CLUSTERS.paymentsProd).toLowerCase());
    expect(posture.status).toBe('fail');
    expect(posture.findings.find((f) => f.checkId === 'local-accounts-disabled')!.status).toBe(
      'fail',
    );
    expect(posture.regressions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'check-failed',
          checkId: 'local-accounts-disabled',
          before: 'pass',
          after: 'fail',
        }),
      ]),
    );
  });

  it('GET reflects the new posture', async () => {
    const posture = bodyOf<ClusterPosture>(await get(CLUSTERS.paymentsProd));
    expect(posture.status).toBe('fail');
    expect(posture.findings.find((f) => f.checkId === 'local-accounts-disabled')!.status).toBe(
      'fail',
    );
    const row = (await listOk({ status: 'pass' })).clusters.map((c) => c.name);
    expect(row).not.toContain('aks-payments-prod');
    expect(
      bodyOf<ClusterAccessView>(await access(CLUSTERS.paymentsProd)).localAccountsEnabled,
    ).toBe(true);
  });

  it('history has a newer entry first, carrying the regressions', async () => {
    const body = bodyOf<{ history: HistoryEntry[] }>(await history(CLUSTERS.paymentsProd));
    expect(body.history).toHaveLength(before.length + 1);
    const [latest, baseline] = body.history;
    expect(Date.parse(latest.evaluatedAt)).toBeGreaterThan(Date.parse(baseline.evaluatedAt));
    expect(latest.status).toBe('fail');
    expect(latest.failingCheckIds).toContain('local-accounts-disabled');
    expect(latest.regressions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'check-failed', checkId: 'local-accounts-disabled' }),
      ]),
    );
    expect(baseline).toEqual(before[0]);
  });

  it('history pages with a continuation token', async () => {
    const first = bodyOf<{ history: HistoryEntry[]; continuationToken?: string }>(
      await history(CLUSTERS.paymentsProd, { pageSize: '1' }),
    );
    expect(first.history).toHaveLength(1);
    expect(first.history[0].status).toBe('fail');
    expect(first.continuationToken).toEqual(expect.any(String));
    const second = bodyOf<{ history: HistoryEntry[]; continuationToken?: string }>(
      await history(CLUSTERS.paymentsProd, {
        pageSize: '1',
        continuationToken: first.continuationToken!,
      }),
    );
    expect(second.history).toHaveLength(1);
    expect(second.history[0].status).toBe('pass');
    // A history token does not page another query.
    expect((await list({ continuationToken: first.continuationToken! })).status).toBe(400);
  });

  it('GET /api/regressions lists the alert with its delivery state', async () => {
    // evaluate only records: the alert waits in the outbox for the delivery loop.
    const waiting = bodyOf<{ regressions: RegressionView[] }>(await regressions());
    expect(
      waiting.regressions.find((r) => r.checkId === 'local-accounts-disabled')?.delivery.state,
    ).toBe('pending');
    await t.runtime.deliverAlerts();
    const body = bodyOf<{ regressions: RegressionView[] }>(await regressions());
    const local = body.regressions.find((r) => r.checkId === 'local-accounts-disabled');
    expect(local).toMatchObject({
      clusterId: expect.stringMatching(/aks-payments-prod$/),
      clusterName: 'aks-payments-prod',
      kind: 'check-failed',
      severity: 'high',
      before: expect.stringMatching(/passing/),
      after: expect.stringMatching(/failing/),
      dedupeKey: expect.any(String),
      detectedAt: expect.any(String),
      delivery: {
        state: expect.stringMatching(/^(pending|sent|failed)$/),
        attempts: expect.any(Number),
        channels: expect.any(Object),
      },
    });
    // No channel is configured in this runtime: the outbox says so rather than keeping the alert pending forever.
    expect(local!.delivery.state).toBe('sent');
    expect(Object.values(local!.delivery.channels).every((state) => state === 'skipped')).toBe(
      true,
    );
    // Only regressions that page (ALERT_MIN_SEVERITY high) are listed.
    expect(body.regressions.every((r) => r.severity === 'critical' || r.severity === 'high')).toBe(
      true,
    );
    // Newest first.
    const times = body.regressions.map((r) => r.detectedAt);
    expect([...times].sort().reverse()).toEqual(times);
    // A window that starts later than the regression leaves it out.
    const later = bodyOf<{ regressions: RegressionView[] }>(
      await regressions({ since: new Date(Date.now() + 60_000).toISOString() }),
    );
    expect(later.regressions).toEqual([]);
  });

  it('POST evaluate answers 404 for a cluster the source does not have, and for an unwatched subscription', async () => {
    const unknown = await evaluate({ ...CLUSTERS.paymentsProd, clusterName: 'aks-ghost' });
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown).code).toBe('NotFound');
    const unwatched = await evaluate({
      subscriptionId: '99999999-9999-4999-8999-999999999999',
      resourceGroup: 'rg-x',
      clusterName: 'aks-x',
    });
    expect(unwatched.status).toBe(404);
    expect(errorOf(unwatched).message).toMatch(/not watched/);
    // Neither left anything behind.
    expect((await get({ ...CLUSTERS.paymentsProd, clusterName: 'aks-ghost' })).status).toBe(404);
  });

  it('POST evaluate answers 400 for bad segments and unknown parameters', async () => {
    expect((await evaluate({ ...CLUSTERS.paymentsProd, subscriptionId: 'x' })).status).toBe(400);
    expect((await evaluate({ ...CLUSTERS.paymentsProd, clusterName: '..' })).status).toBe(400);
    expect((await evaluate(CLUSTERS.paymentsProd, { force: 'true' })).status).toBe(400);
  });

  it('re-evaluating with nothing changed adds no history and no new alert', async () => {
    const historyBefore = bodyOf<{ history: HistoryEntry[] }>(
      await history(CLUSTERS.paymentsProd),
    ).history;
    const alertsBefore = bodyOf<{ regressions: RegressionView[] }>(await regressions()).regressions;
    const response = await evaluate(CLUSTERS.paymentsProd);
    expect(response.status).toBe(200);
    expect(bodyOf<ClusterPosture>(response).regressions).toEqual([]);
    expect(
      bodyOf<{ history: HistoryEntry[] }>(await history(CLUSTERS.paymentsProd)).history,
    ).toHaveLength(historyBefore.length);
    expect(bodyOf<{ regressions: RegressionView[] }>(await regressions()).regressions).toHaveLength(
      alertsBefore.length,
    );
  });
});
