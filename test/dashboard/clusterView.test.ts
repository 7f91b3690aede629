/** The cluster page's pure parts: findings by severity, the access view, the access picture and the score chart. */
import type { ClusterPosture, Finding, PrincipalAccess } from '../../src/core/model';
import type { HistoryEntry } from '../../src/core/ports';
import {
  describeScope,
  layoutAccessGraph,
  MAX_GRAPH_PRINCIPALS,
  shorten,
} from '../../src/dashboard/accessGraph';
import {
  capabilityHolders,
  findingGroups,
  marksOf,
  mergedGrants,
  type ReportPrincipal,
} from '../../src/dashboard/clusterView';
import { layoutScoreChart } from '../../src/dashboard/scoreChart';

const SUB = '00000000-0000-4000-a000-000000000001';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-prod`;
const CLUSTER = `${RG}/providers/Microsoft.ContainerService/managedClusters/aks-prod`;
const MG = '/providers/Microsoft.Management/managementGroups/mg-contoso';
const OWNER =
  '/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
const CONTRIBUTOR =
  '/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c';

function finding(
  checkId: string,
  status: Finding['status'],
  severity: Finding['severity'],
  principals?: ReportPrincipal[],
): Finding {
  return {
    checkId,
    status,
    severity,
    title: checkId,
    detail: '',
    remediation: '',
    ...(principals ? { principals } : {}),
  };
}

function grant(
  principalId: string,
  roleName: string,
  roleDefinitionId: string,
  scope: string,
  capabilities: string[],
  extra: Partial<ReportPrincipal> = {},
): ReportPrincipal {
  return {
    principalId,
    principalType: 'User',
    roleName,
    roleDefinitionId,
    scope,
    capabilities: capabilities as PrincipalAccess['capabilities'],
    ...extra,
  };
}

function posture(findings: Finding[], privilegedPrincipals: PrincipalAccess[]): ClusterPosture {
  return {
    id: CLUSTER,
    name: 'aks-prod',
    subscriptionId: SUB,
    resourceGroup: 'rg-prod',
    status: 'fail',
    score: 40,
    findings,
    privilegedPrincipals,
    evaluatedAt: '2026-11-22T02:00:00.000Z',
  };
}

describe('findingGroups', () => {
  it('groups by severity, most severe first, failing and erroring before passing, catalogue order kept within', () => {
    const groups = findingGroups([
      finding('a', 'pass', 'high'),
      finding('b', 'fail', 'low'),
      finding('c', 'not-applicable', 'high'),
      finding('d', 'error', 'high'),
      finding('e', 'fail', 'high'),
      finding('f', 'fail', 'critical'),
    ]);
    expect(
      groups.map((g) => [g.severity, g.findings.map((f) => f.checkId), g.failing, g.errors]),
    ).toEqual([
      ['critical', ['f'], 1, 0],
      ['high', ['e', 'd', 'a', 'c'], 1, 1],
      ['low', ['b'], 1, 0],
    ]);
  });
});

describe('the access view', () => {
  it('merges the copies of one assignment: names and marks a finding carries reach the privileged principal', () => {
    const bare = grant('U1', 'Owner', OWNER, MG, ['admin-credential']);
    const named = grant('u1', 'Owner', OWNER, MG.toUpperCase(), ['role-assignment-write'], {
      displayName: 'Dave Jones',
      eligible: true,
    });
    const other = grant('U1', 'Contributor', CONTRIBUTOR, RG, ['cluster-write']);
    const merged = mergedGrants(posture([finding('x', 'fail', 'high', [named])], [bare, other]));
    expect(merged).toHaveLength(2);
    expect(merged[0]).toMatchObject({
      principalId: 'U1',
      displayName: 'Dave Jones',
      eligible: true,
      capabilities: ['admin-credential', 'role-assignment-write'],
    });
    // The name is the principal's: it is shown on its other assignment too; the mark is not.
    expect(merged[1]).toMatchObject({ roleName: 'Contributor', displayName: 'Dave Jones' });
    expect(merged[1].eligible).toBeUndefined();
  });

  it('lists each capability with its holders, known capabilities in catalogue order, newer ones after', () => {
    const holders = capabilityHolders([
      grant('b', 'Owner', OWNER, MG, ['role-assignment-write', 'admin-credential'], {
        displayName: 'Bea',
      }),
      grant('a', 'Run', CONTRIBUTOR, RG, ['run-command', 'admin-credential'], {
        displayName: 'Ann',
        approved: true,
      }),
      grant('c', 'Owner', OWNER, RG, ['admin-credential']),
    ]);
    expect(holders.map((h) => [h.capability, h.holders.map((x) => x.principalId)])).toEqual([
      ['admin-credential', ['a', 'b', 'c']],
      ['role-assignment-write', ['b']],
      ['run-command', ['a']],
    ]);
    expect(holders[0].holders[0].marks).toEqual(['approved']);
  });

  it('marks exactly the fields that are present and true', () => {
    expect(marksOf({})).toEqual([]);
    expect(marksOf({ eligible: false, approved: false, condition: 'none' })).toEqual([]);
    expect(
      marksOf({
        eligible: true,
        condition: 'constrained',
        approved: true,
        exempted: true,
        deleted: true,
      }),
    ).toEqual(['eligible', 'condition-constrained', 'approved', 'exempted', 'deleted']);
    expect(marksOf({ condition: 'not-evaluated' })).toEqual(['condition-not-evaluated']);
    // A directly assigned user the directory flags.
    expect(marksOf({ guest: true, enabled: false })).toEqual(['guest', 'disabled']);
    expect(marksOf({ guest: false, enabled: true })).toEqual([]);
  });
});

describe('layoutAccessGraph', () => {
  it('draws principal → role at scope → scope → cluster, one role node per role and scope', () => {
    const graph = layoutAccessGraph(
      [
        grant('p1', 'Owner', OWNER, MG, ['admin-credential'], { displayName: 'Ops group' }),
        grant('p2', 'Owner', OWNER, RG, ['admin-credential']),
        grant('p2', 'Owner', OWNER, MG, ['admin-credential'], { eligible: true }),
        grant('p3', 'AKS RBAC Cluster Admin', 'x', CLUSTER, ['kubernetes-cluster-admin']),
      ],
      { id: CLUSTER, name: 'aks-prod' },
    );
    const byKind = (kind: string) => graph.nodes.filter((n) => n.kind === kind);
    expect(byKind('principal').map((n) => n.label)).toEqual([
      'name unknown',
      'name unknown',
      'Ops group',
    ]);
    expect(byKind('role')).toHaveLength(3);
    expect(
      byKind('scope')
        .map((n) => n.label)
        .sort(),
    ).toEqual(['mg-contoso', 'rg-prod', 'this cluster']);
    expect(byKind('cluster')).toHaveLength(1);
    const edge = (from: string, to: string) =>
      graph.edges.find((e) => e.from === from && e.to === to);
    expect(edge('p:p2', `r:${OWNER.toLowerCase()}@${MG.toLowerCase()}`)).toMatchObject({
      dashed: true,
    });
    expect(edge('p:p1', `r:${OWNER.toLowerCase()}@${MG.toLowerCase()}`)).toMatchObject({
      dashed: false,
    });
    expect(graph.edges.filter((e) => e.to === 'c:cluster')).toHaveLength(3);
    for (const e of graph.edges) expect(e.d).toMatch(/^M[\d.]+ [\d.]+ C[\d. ]+$/);
    // Nodes of one column never overlap.
    for (const column of [0, 1, 2, 3]) {
      const ys = graph.nodes
        .filter((n) => n.column === column)
        .map((n) => n.y)
        .sort((a, b) => a - b);
      for (let i = 1; i < ys.length; i++) expect(ys[i] - ys[i - 1]).toBeGreaterThanOrEqual(38);
    }
  });

  it('leaves principals past the limit out and says how many', () => {
    const many = Array.from({ length: MAX_GRAPH_PRINCIPALS + 5 }, (_, i) =>
      grant(`p${String(i).padStart(3, '0')}`, 'Owner', OWNER, MG, ['admin-credential']),
    );
    const graph = layoutAccessGraph(many, { id: CLUSTER, name: 'aks-prod' });
    expect(graph.nodes.filter((n) => n.kind === 'principal')).toHaveLength(MAX_GRAPH_PRINCIPALS);
    expect(graph.omittedPrincipals).toBe(5);
  });

  it('names scopes by kind', () => {
    expect(describeScope('/', CLUSTER)).toEqual({ label: '/', kind: 'root (every subscription)' });
    expect(describeScope(`/subscriptions/${SUB}`, CLUSTER)).toEqual({
      label: SUB,
      kind: 'subscription',
    });
    expect(describeScope(CLUSTER.toLowerCase(), CLUSTER)).toEqual({
      label: 'this cluster',
      kind: 'cluster',
    });
  });

  it('shortens whole characters only', () => {
    expect(shorten('abcdef', 4)).toBe('abc…');
    expect(shorten('a😀😀😀', 3)).toBe('a😀…');
    expect(shorten('abc', 3)).toBe('abc');
  });
});

describe('layoutScoreChart', () => {
  const entry = (
    evaluatedAt: string,
    score: number,
    regressions: HistoryEntry['regressions'] = [],
  ): HistoryEntry => ({
    clusterId: CLUSTER,
    evaluatedAt,
    status: score === 100 ? 'pass' : 'fail',
    score,
    failingCheckIds: [],
    regressions,
  });

  it('draws oldest to newest by time, 100 at the top, and marks the evaluations with regressions', () => {
    const chart = layoutScoreChart([
      entry('2026-11-23T00:00:00.000Z', 60, [
        {
          kind: 'check-failed',
          checkId: 'local-accounts-disabled',
          before: 'pass',
          after: 'fail',
          severity: 'high',
        },
      ]),
      entry('2026-11-21T00:00:00.000Z', 100),
      entry('2026-11-22T00:00:00.000Z', 100),
    ]);
    expect(chart.points.map((p) => p.evaluatedAt.slice(8, 10))).toEqual(['21', '22', '23']);
    const [a, b, c] = chart.points;
    expect(a.x).toBeLessThan(b.x);
    expect(b.x - a.x).toBeCloseTo(c.x - b.x, 0); // one day apart each
    expect(a.y).toBeLessThan(c.y); // 100 is drawn above 60
    expect(chart.points.map((p) => p.regressions.length)).toEqual([0, 0, 1]);
    expect(c.regressions[0]).toBe('check-failed local-accounts-disabled: pass → fail');
    expect(chart.line.split(' ')).toHaveLength(3);
    expect(chart.grid.map((g) => g.label)).toEqual(['100', '50', '0']);
  });

  it('puts a single evaluation in the middle and spreads evaluations at one instant evenly', () => {
    expect(layoutScoreChart([entry('2026-11-21T00:00:00.000Z', 50)]).points[0].x).toBe(332);
    const same = layoutScoreChart([
      entry('2026-11-21T00:00:00.000Z', 50),
      entry('2026-11-21T00:00:00.000Z', 40),
    ]);
    expect(same.points[0].x).not.toBe(same.points[1].x);
  });
});
