/**
 * The words every output uses for counts (the CLI table and Markdown, the alert digest), so a
 * reader comparing two of them, or one of them with the JSON report, sees the same numbers under
 * the same names: findings are `failing` / `not evaluated` / `passing` / `not applicable`,
 * clusters `passing` / `failing` / `not fully evaluated`, severities `critical 1 · high 2 · …`.
 */
import { SEVERITIES, type ClusterPosture, type Finding, type Severity } from './model';

/** `1 cluster`, `3 clusters`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export function countFindingsByStatus(
  findings: readonly Finding[],
): Record<Finding['status'], number> {
  const counts = { pass: 0, fail: 0, 'not-applicable': 0, error: 0 };
  for (const f of findings) counts[f.status] += 1;
  return counts;
}

/** `2 failing, 1 not evaluated, 5 passing, 1 not applicable` (one cluster's findings). */
export function findingCountsText(findings: readonly Finding[]): string {
  const counts = countFindingsByStatus(findings);
  return `${counts.fail} failing, ${counts.error} not evaluated, ${counts.pass} passing, ${counts['not-applicable']} not applicable`;
}

/** `3 clusters: 1 passing, 2 failing, 0 not fully evaluated` (a cluster's status). */
export function clusterCountsText(clusters: readonly Pick<ClusterPosture, 'status'>[]): string {
  const counts = { pass: 0, fail: 0, error: 0 };
  for (const c of clusters) counts[c.status] += 1;
  return `${plural(clusters.length, 'cluster')}: ${counts.pass} passing, ${counts.fail} failing, ${counts.error} not fully evaluated`;
}

/** `critical 1 · high 2 · medium 0 · low 4 · info 0`: every severity, in order. */
export function severityCountsText(
  counts: Partial<Record<Severity, number>>,
  separator = ' · ',
): string {
  return SEVERITIES.map((s) => `${s} ${counts[s] ?? 0}`).join(separator);
}

/** How many of `items` have each severity. */
export function countBySeverity(
  items: readonly { severity: Severity }[],
): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const item of items) if (item.severity in counts) counts[item.severity] += 1;
  return counts;
}

/** `4 regressions on 2 clusters`: every regression the clusters carry (the JSON's `clusters[].regressions`). */
export function regressionCountText(
  clusters: readonly Pick<ClusterPosture, 'regressions'>[],
): string {
  const on = clusters.filter((cluster) => (cluster.regressions ?? []).length > 0);
  const total = on.reduce((sum, cluster) => sum + (cluster.regressions ?? []).length, 0);
  return `${plural(total, 'regression')} on ${plural(on.length, 'cluster')}`;
}
