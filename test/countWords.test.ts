import {
  clusterCountsText,
  countBySeverity,
  findingCountsText,
  plural,
  regressionCountText,
  severityCountsText,
} from '../src/core/countWords';
import type { Finding, Regression } from '../src/core/model';

const finding = (status: Finding['status']): Finding => ({
  checkId: 'c',
  status,
  severity: 'high',
  title: 't',
  detail: 'd',
  remediation: 'r',
});
const regression: Regression = {
  kind: 'check-failed',
  checkId: 'c',
  before: 'pass',
  after: 'fail',
  severity: 'high',
};

describe('count words', () => {
  it.each([
    [0, '0 clusters'],
    [1, '1 cluster'],
    [2, '2 clusters'],
  ])('plural(%i)', (n, text) => expect(plural(n, 'cluster')).toBe(text));

  it('counts findings by status in one fixed order', () => {
    expect(
      findingCountsText(
        ['fail', 'fail', 'error', 'pass', 'not-applicable'].map((s) =>
          finding(s as Finding['status']),
        ),
      ),
    ).toBe('2 failing, 1 not evaluated, 1 passing, 1 not applicable');
    expect(findingCountsText([])).toBe('0 failing, 0 not evaluated, 0 passing, 0 not applicable');
  });

  it('counts clusters by status', () => {
    expect(clusterCountsText([{ status: 'pass' }, { status: 'fail' }, { status: 'error' }])).toBe(
      '3 clusters: 1 passing, 1 failing, 1 not fully evaluated',
    );
    expect(clusterCountsText([{ status: 'fail' }])).toBe(
      '1 cluster: 0 passing, 1 failing, 0 not fully evaluated',
    );
  });

  it('lists every severity, missing ones as 0', () => {
    expect(severityCountsText({ critical: 2, low: 1 })).toBe(
      'critical 2 · high 0 · medium 0 · low 1 · info 0',
    );
    expect(severityCountsText({}, ', ')).toBe('critical 0, high 0, medium 0, low 0, info 0');
  });

  it('counts items by severity', () => {
    expect(
      countBySeverity([{ severity: 'high' }, { severity: 'high' }, { severity: 'info' }]),
    ).toEqual({ critical: 0, high: 2, medium: 0, low: 0, info: 1 });
  });

  it('counts every regression and the clusters carrying one', () => {
    expect(
      regressionCountText([
        { regressions: [regression, regression] },
        { regressions: [] },
        {},
        { regressions: [regression] },
      ]),
    ).toBe('3 regressions on 2 clusters');
    expect(regressionCountText([{ regressions: [regression] }])).toBe('1 regression on 1 cluster');
  });
});
