import fc from 'fast-check';
import { clusterStatus, scoreFindings, SEVERITY_DEDUCTION } from '../../src/core/score';
import type { FindingStatus, Severity } from '../../src/core/model';

const f = (status: FindingStatus, severity: Severity) => ({ status, severity });

describe('score', () => {
  it('is 100 when nothing fails or errs', () => {
    expect(scoreFindings([])).toBe(100);
    expect(scoreFindings([f('pass', 'critical'), f('not-applicable', 'high')])).toBe(100);
  });

  it.each([
    ['critical', 60],
    ['high', 80],
    ['medium', 90],
    ['low', 95],
    ['info', 100],
  ] as const)('a failing %s finding leaves %i', (severity, expected) => {
    expect(scoreFindings([f('fail', severity)])).toBe(expected);
  });

  it('deducts for an error at the check severity: unknown is not safe', () => {
    expect(scoreFindings([f('error', 'high')])).toBe(80);
    expect(scoreFindings([f('error', 'critical'), f('fail', 'low')])).toBe(55);
  });

  it('adds deductions up and never goes below 0', () => {
    expect(scoreFindings([f('fail', 'high'), f('fail', 'medium'), f('fail', 'low')])).toBe(65);
    expect(
      scoreFindings([f('fail', 'critical'), f('fail', 'critical'), f('fail', 'critical')]),
    ).toBe(0);
  });

  it('documents the deductions', () => {
    expect(SEVERITY_DEDUCTION).toEqual({ critical: 40, high: 20, medium: 10, low: 5, info: 0 });
  });
});

describe('cluster status', () => {
  it('is fail when any finding fails, even next to errors', () => {
    expect(clusterStatus([f('pass', 'low'), f('error', 'critical'), f('fail', 'info')])).toBe(
      'fail',
    );
  });
  it('is error when nothing fails but something errs', () => {
    expect(clusterStatus([f('pass', 'low'), f('error', 'low'), f('not-applicable', 'high')])).toBe(
      'error',
    );
  });
  it('is pass when everything passes or does not apply', () => {
    expect(clusterStatus([f('pass', 'low'), f('not-applicable', 'high')])).toBe('pass');
    expect(clusterStatus([])).toBe('pass');
  });
});

describe('score and status properties', () => {
  const findingArb = fc.record({
    status: fc.constantFrom<FindingStatus>('pass', 'fail', 'not-applicable', 'error'),
    severity: fc.constantFrom<Severity>('critical', 'high', 'medium', 'low', 'info'),
  });

  it('stays within 0–100 and only falls for failing or erroring findings', () => {
    fc.assert(
      fc.property(fc.array(findingArb, { maxLength: 30 }), (findings) => {
        const score = scoreFindings(findings);
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(100);
        const deducting = findings.filter(
          (x) => (x.status === 'fail' || x.status === 'error') && x.severity !== 'info',
        );
        expect(score === 100).toBe(deducting.length === 0);
      }),
    );
  });

  it('never reports pass when a finding failed or errored', () => {
    fc.assert(
      fc.property(fc.array(findingArb, { maxLength: 30 }), (findings) => {
        const status = clusterStatus(findings);
        if (findings.some((x) => x.status === 'fail')) expect(status).toBe('fail');
        else if (findings.some((x) => x.status === 'error')) expect(status).toBe('error');
        else expect(status).toBe('pass');
      }),
    );
  });
});
