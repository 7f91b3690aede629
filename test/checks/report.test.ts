import type { ClusterPosture, Finding, FindingStatus, Severity } from '../../src/core/model';
import {
  atLeast,
  buildReport,
  hasFailingAtLeast,
  parseSeverity,
  severityRank,
} from '../../src/core/report';

function finding(checkId: string, status: FindingStatus, severity: Severity): Finding {
  return { checkId, status, severity, title: checkId, detail: '', remediation: 'az …' };
}

function posture(
  id: string,
  status: ClusterPosture['status'],
  findings: Finding[],
): ClusterPosture {
  return {
    id,
    name: id,
    subscriptionId: 's',
    resourceGroup: 'rg',
    status,
    score: 0,
    findings,
    privilegedPrincipals: [],
    evaluatedAt: '2026-11-22T02:00:00.000Z',
  };
}

describe('buildReport', () => {
  const postures = [
    posture('a', 'fail', [
      finding('x', 'fail', 'critical'),
      finding('y', 'fail', 'low'),
      finding('z', 'pass', 'high'),
    ]),
    posture('b', 'fail', [
      finding('x', 'fail', 'high'),
      finding('y', 'error', 'medium'),
      finding('w', 'fail', 'high'),
    ]),
    posture('c', 'error', [
      finding('x', 'error', 'critical'),
      finding('y', 'not-applicable', 'low'),
    ]),
    posture('d', 'pass', [finding('x', 'pass', 'critical')]),
  ];
  const report = buildReport(postures, 'snapshot', new Date('2026-11-22T02:00:00Z'));

  it('has the contract header', () => {
    expect(report.schemaVersion).toBe(1);
    expect(report.generatedAt).toBe('2026-11-22T02:00:00.000Z');
    expect(report.source).toBe('snapshot');
    expect(report.clusters).toBe(postures);
  });

  it('counts clusters, failing clusters and failing findings by severity (all five keys)', () => {
    expect(report.summary).toEqual({
      clusters: 4,
      failing: 2,
      findingsBySeverity: { critical: 1, high: 2, medium: 0, low: 1, info: 0 },
    });
  });

  it('summarises an empty estate with zeros', () => {
    expect(buildReport([], 'azure', new Date(0)).summary).toEqual({
      clusters: 0,
      failing: 0,
      findingsBySeverity: { critical: 0, high: 0, medium: 0, low: 0, info: 0 },
    });
  });

  it('answers --fail-on from failing findings only', () => {
    expect(hasFailingAtLeast(postures, 'critical')).toBe(true);
    expect(hasFailingAtLeast([postures[1]], 'critical')).toBe(false);
    expect(hasFailingAtLeast([postures[1]], 'high')).toBe(true);
    expect(hasFailingAtLeast([postures[2], postures[3]], 'info')).toBe(false);
  });
});

describe('severity helpers', () => {
  it('ranks critical first', () => {
    expect(
      ['info', 'critical', 'low', 'high', 'medium'].sort(
        (a, b) => severityRank(a as Severity) - severityRank(b as Severity),
      ),
    ).toEqual(['critical', 'high', 'medium', 'low', 'info']);
  });

  it.each([
    ['critical', 'high', true],
    ['high', 'high', true],
    ['medium', 'high', false],
    ['info', 'info', true],
    ['low', 'critical', false],
  ] as const)('atLeast(%s, %s) is %s', (severity, min, expected) => {
    expect(atLeast(severity, min)).toBe(expected);
  });

  it('parses severities case-insensitively and rejects anything else', () => {
    expect(parseSeverity('HIGH')).toBe('high');
    expect(parseSeverity(' critical ')).toBe('critical');
    expect(parseSeverity('severe')).toBeUndefined();
    expect(parseSeverity(undefined)).toBeUndefined();
  });
});
