/** The estate table: query parsing, filters, server-side sort and paging (pure). */
import type { PostureSummary } from '../../src/core/ports';
import {
  estateTable,
  failingBySeverity,
  parseEstateQuery,
  type EstateQuery,
} from '../../src/dashboard/estate';
import { openRegressionCounts } from '../../src/dashboard/pages';
import type { RegressionView } from '../../src/usecases/queries';

const SUB_A = '00000000-0000-4000-a000-00000000000a';
const SUB_B = '00000000-0000-4000-a000-00000000000b';

function summary(name: string, fields: Partial<PostureSummary> = {}): PostureSummary {
  return {
    id: `/subscriptions/${fields.subscriptionId ?? SUB_A}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${name}`,
    name,
    subscriptionId: SUB_A,
    resourceGroup: 'rg',
    status: 'pass',
    score: 100,
    failingCheckIds: [],
    privilegedPrincipalCount: 0,
    evaluatedAt: '2026-11-20T00:00:00.000Z',
    ...fields,
  };
}

const ESTATE = [
  summary('aks-a', {
    status: 'fail',
    score: 60,
    failingCheckIds: ['local-accounts-disabled', 'defender-enabled'],
    worstSeverity: 'high',
    evaluatedAt: '2026-11-21T00:00:00.000Z',
  }),
  summary('aks-b', {
    status: 'fail',
    score: 40,
    failingCheckIds: ['kubernetes-rbac-enabled'],
    worstSeverity: 'critical',
    subscriptionId: SUB_B,
  }),
  summary('aks-c', { status: 'pass', score: 100, evaluatedAt: '2026-11-22T00:00:00.000Z' }),
  summary('aks-d', {
    status: 'error',
    score: 80,
    failingCheckIds: ['defender-enabled'],
    worstSeverity: 'low',
    subscriptionId: SUB_B,
  }),
  summary('aks-gone', { deleted: true, status: 'fail', score: 0 }),
];

const query = (values: Record<string, string> = {}): EstateQuery => parseEstateQuery(values);
const names = (table: ReturnType<typeof estateTable>) => table.rows.map((r) => r.summary.name);

describe('parseEstateQuery', () => {
  it('defaults to the worst score first, page 1, no filters', () => {
    expect(query()).toEqual({
      sort: 'score',
      direction: 'asc',
      page: 1,
      subscriptionId: undefined,
      status: undefined,
      severity: undefined,
      text: undefined,
    });
  });

  it('treats empty form values as "any"', () => {
    expect(query({ subscriptionId: '', status: '', severity: ' ', q: '' })).toMatchObject({
      subscriptionId: undefined,
      status: undefined,
      severity: undefined,
      text: undefined,
    });
  });

  it('uses the column default direction when only the sort is given', () => {
    expect(query({ sort: 'failing' }).direction).toBe('desc');
    expect(query({ sort: 'name' }).direction).toBe('asc');
  });

  it.each([
    [{ subscriptionId: 'not-a-guid' }, /subscriptionId must be a subscription id/],
    [{ status: 'broken' }, /status must be one of pass, fail, error/],
    [{ severity: 'urgent' }, /severity must be one of/],
    [{ sort: 'owner' }, /sort must be one of name, status, score/],
    [{ dir: 'up' }, /dir must be asc or desc/],
    [{ page: '0' }, /page must be a whole number/],
    [{ page: '1e3' }, /page must be a whole number/],
    [{ q: 'x'.repeat(101) }, /q must be at most 100 characters/],
  ])('refuses %j with one line naming the value', (values, message) => {
    expect(() => query(values as Record<string, string>)).toThrow(message);
  });

  it('lower-cases the subscription so the filter matches whatever case the link carried', () => {
    expect(query({ subscriptionId: SUB_A.toUpperCase() }).subscriptionId).toBe(SUB_A);
  });
});

describe('estateTable', () => {
  const none = new Map<string, number>();

  it('leaves deleted clusters out and sorts by score, worst first, by default', () => {
    const table = estateTable(ESTATE, none, query());
    expect(names(table)).toEqual(['aks-b', 'aks-a', 'aks-d', 'aks-c']);
    expect(table.matching).toBe(4);
  });

  it('filters by subscription, status, severity at or above, and name text (case-insensitive)', () => {
    expect(names(estateTable(ESTATE, none, query({ subscriptionId: SUB_B })))).toEqual([
      'aks-b',
      'aks-d',
    ]);
    expect(names(estateTable(ESTATE, none, query({ status: 'fail' })))).toEqual(['aks-b', 'aks-a']);
    expect(names(estateTable(ESTATE, none, query({ severity: 'high' })))).toEqual([
      'aks-b',
      'aks-a',
    ]);
    expect(names(estateTable(ESTATE, none, query({ severity: 'low' })))).toEqual([
      'aks-b',
      'aks-a',
      'aks-d',
    ]);
    expect(names(estateTable(ESTATE, none, query({ q: 'AKS-C' })))).toEqual(['aks-c']);
    expect(estateTable(ESTATE, none, query({ q: 'nothing' })).matching).toBe(0);
  });

  it('sorts every column both ways, ties broken by name', () => {
    expect(names(estateTable(ESTATE, none, query({ sort: 'name', dir: 'desc' })))).toEqual([
      'aks-d',
      'aks-c',
      'aks-b',
      'aks-a',
    ]);
    expect(names(estateTable(ESTATE, none, query({ sort: 'status' })))).toEqual([
      'aks-a',
      'aks-b',
      'aks-d',
      'aks-c',
    ]);
    expect(names(estateTable(ESTATE, none, query({ sort: 'failing' })))).toEqual([
      'aks-b',
      'aks-a',
      'aks-d',
      'aks-c',
    ]);
    expect(names(estateTable(ESTATE, none, query({ sort: 'evaluated' })))).toEqual([
      'aks-c',
      'aks-a',
      'aks-b',
      'aks-d',
    ]);
    const open = new Map([[ESTATE[3].id.toLowerCase(), 2]]);
    expect(names(estateTable(ESTATE, open, query({ sort: 'regressions' })))[0]).toBe('aks-d');
  });

  it('pages, and a page past the end shows the last page', () => {
    const many = Array.from({ length: 7 }, (_, i) => summary(`aks-${i}`, { score: i * 10 }));
    const second = estateTable(many, none, query({ page: '2' }), 3);
    expect(names(second)).toEqual(['aks-3', 'aks-4', 'aks-5']);
    expect(second).toMatchObject({ page: 2, pageCount: 3, matching: 7 });
    expect(names(estateTable(many, none, query({ page: '99' }), 3))).toEqual(['aks-6']);
  });

  it('counts failing checks by the catalogue severity; an unknown check counts as critical', () => {
    expect(
      failingBySeverity([
        'kubernetes-rbac-enabled',
        'local-accounts-disabled',
        'defender-enabled',
        'no-such-check',
      ]),
    ).toEqual({
      critical: 2,
      high: 1,
      medium: 0,
      low: 1,
      info: 0,
    });
  });
});

describe('openRegressionCounts', () => {
  const view = (fields: Partial<RegressionView>): RegressionView => ({
    clusterId: ESTATE[0].id,
    clusterName: 'aks-a',
    subscriptionId: SUB_A,
    resourceGroup: 'rg',
    dedupeKey: 'k',
    kind: 'check-failed',
    checkId: 'local-accounts-disabled',
    severity: 'high',
    title: 't',
    before: 'pass',
    after: 'fail',
    detectedAt: '2026-11-21T00:00:00.000Z',
    delivery: { state: 'sent', attempts: 1, channels: {} },
    ...fields,
  });

  it('counts a regression while its check still fails, not once it passes again, and never a real-time signal', () => {
    const counts = openRegressionCounts(
      [
        view({}),
        view({
          kind: 'privilege-gained',
          checkId: 'defender-enabled',
          clusterId: ESTATE[0].id.toUpperCase(),
        }),
        view({ checkId: 'entra-id-integration' }),
        view({ kind: 'admin-credential-retrieved', checkId: 'local-accounts-disabled' }),
      ],
      ESTATE,
    );
    expect(counts.get(ESTATE[0].id.toLowerCase())).toBe(2);
    expect(counts.size).toBe(1);
  });
});
