/**
 * The command-line gate (docs/contracts.md, exit codes): a gate never passes on what it could
 * not verify. A live read that read nothing is not an empty estate; `--fail-on` counts `error`
 * findings like failures and trips on any part of the estate that could not be read, and says
 * which. Pure.
 */
import type { Estate, Report, Severity, SourceFailure } from './model';
import { atLeast, severityRank } from './report';

const LISTING_PARTS: ReadonlySet<SourceFailure['part']> = new Set(['clusters', 'subscriptions']);

/**
 * Why a live read of these subscriptions gave nothing to judge (every subscription's cluster
 * listing failed, so "0 clusters" would be a lie), in one line; undefined when something was
 * read. Zero clusters read successfully is an answer, not a failure.
 */
export function nothingReadReason(
  estate: Pick<Estate, 'clusters' | 'failures'>,
  subscriptionIds: readonly string[],
): string | undefined {
  if (estate.clusters.length > 0 || subscriptionIds.length === 0) return undefined;
  const listing = estate.failures.filter((f) => LISTING_PARTS.has(f.part));
  const failed = (subscriptionId: string) =>
    listing.some(
      (f) =>
        f.subscriptionId === '*' ||
        f.subscriptionId.trim().toLowerCase() === subscriptionId.trim().toLowerCase(),
    );
  if (!subscriptionIds.every(failed)) return undefined;
  const reasons = [...new Set(listing.map((f) => f.message))];
  const what =
    subscriptionIds.length === 1
      ? `subscription ${subscriptionIds[0]}`
      : `any of the ${subscriptionIds.length} subscriptions`;
  return `nothing could be read from ${what}: ${reasons.join('; ')}`;
}

/** A finding that trips the gate, as the stderr line names it. */
export interface TrippingFinding {
  clusterName: string;
  checkId: string;
  status: 'fail' | 'error';
  severity: Severity;
}

/** The `fail` (not exempted) and `error` findings at or above `min`, worst first (cluster order within a severity). */
export function trippingFindings(
  report: Pick<Report, 'clusters'>,
  min: Severity,
): TrippingFinding[] {
  const found: TrippingFinding[] = [];
  for (const cluster of report.clusters) {
    for (const f of cluster.findings) {
      // An exempted failure is accepted risk (docs/contracts.md "Exemptions"): it does not gate.
      if (
        (f.status === 'fail' || f.status === 'error') &&
        !f.exempted &&
        atLeast(f.severity, min)
      ) {
        found.push({
          clusterName: cluster.name,
          checkId: f.checkId,
          status: f.status,
          severity: f.severity,
        });
      }
    }
  }
  // Stable sort: within a severity, failures before errors, then the report's order.
  return found.sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) ||
      (a.status === b.status ? 0 : a.status === 'fail' ? -1 : 1),
  );
}

/**
 * The one stderr line saying why `--fail-on min` trips, or undefined when it does not: the
 * findings at or above `min` (`fail` or `error`) and the parts of the estate that could not be read.
 */
export function failOnReason(
  report: Pick<Report, 'clusters' | 'failures'>,
  min: Severity,
  shown = 3,
): string | undefined {
  const findings = trippingFindings(report, min);
  const failures = report.failures ?? [];
  if (findings.length === 0 && failures.length === 0) return undefined;
  const parts: string[] = [];
  if (findings.length > 0) {
    const named = findings
      .slice(0, shown)
      .map(
        (f) =>
          `${f.clusterName} ${f.checkId} (${f.severity}, ${f.status === 'error' ? 'error: not evaluated' : 'fail'})`,
      );
    const more = findings.length > shown ? ` and ${findings.length - shown} more` : '';
    parts.push(
      `${count(findings.length, 'finding')} at or above ${min}: ${named.join(', ')}${more}`,
    );
  }
  if (failures.length > 0) {
    const named = failures
      .slice(0, shown)
      .map(
        (f) =>
          `${f.part} of ${f.subscriptionId === '*' ? 'the estate' : `subscription ${f.subscriptionId}`}`,
      );
    const more = failures.length > shown ? ` and ${failures.length - shown} more` : '';
    parts.push(
      `${count(failures.length, 'part')} of the estate could not be read (${named.join(', ')}${more})`,
    );
  }
  return `--fail-on ${min}: ${parts.join('; ')}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
