/**
 * A cluster's score and status from its findings.
 *
 * Score formula (0–100, higher is better):
 *
 *     score = max(0, 100 − Σ deduction(severity of the check))
 *             over every finding whose status is `fail` or `error`
 *
 *     deduction: critical 40, high 20, medium 10, low 5, info 0
 *
 * `pass` and `not-applicable` findings deduct nothing. An `error` deducts as much as a failure
 * of the same check: what could not be verified is not assumed safe. 100 means nothing failed
 * and everything could be checked.
 *
 * Status: `fail` if any finding fails; otherwise `error` if any finding is `error`; otherwise
 * `pass`. A definite failure outranks not knowing.
 */
import type { ClusterStatus, Finding, Severity } from './model';

export const SEVERITY_DEDUCTION: Readonly<Record<Severity, number>> = Object.freeze({
  critical: 40,
  high: 20,
  medium: 10,
  low: 5,
  info: 0,
});

export const MAX_SCORE = 100;

type Scored = Pick<Finding, 'status' | 'severity'>;

export function scoreFindings(findings: readonly Scored[]): number {
  let score = MAX_SCORE;
  for (const f of findings) {
    if (f.status !== 'fail' && f.status !== 'error') continue;
    // An unknown severity deducts like `high`: a corrupted record must not look healthy.
    score -= SEVERITY_DEDUCTION[f.severity] ?? SEVERITY_DEDUCTION.high;
  }
  return Math.max(0, score);
}

export function clusterStatus(findings: readonly Pick<Finding, 'status'>[]): ClusterStatus {
  if (findings.some((f) => f.status === 'fail')) return 'fail';
  if (findings.some((f) => f.status === 'error')) return 'error';
  return 'pass';
}
