/**
 * The JSON report of docs/contracts.md, and severity ordering for `--fail-on` and alert thresholds.
 */
import {
  SEVERITIES,
  type ClusterPosture,
  type EstateSourceKind,
  type Report,
  type Severity,
  type SourceFailure,
} from './model';

/** 0 = critical … 4 = info (lower is more severe); an unknown severity ranks after info. */
export function severityRank(severity: Severity): number {
  const rank = SEVERITIES.indexOf(severity);
  return rank === -1 ? SEVERITIES.length : rank;
}

/** Whether `severity` is `min` or more severe (`atLeast('critical', 'high')` is true). */
export function atLeast(severity: Severity, min: Severity): boolean {
  const rank = SEVERITIES.indexOf(severity);
  const minRank = SEVERITIES.indexOf(min);
  if (rank === -1 || minRank === -1) return false;
  return rank <= minRank;
}

/** A severity from user input (`--fail-on HIGH`, `ALERT_MIN_SEVERITY`), or undefined. */
export function parseSeverity(text: string | undefined | null): Severity | undefined {
  if (typeof text !== 'string') return undefined;
  const lower = text.trim().toLowerCase();
  return (SEVERITIES as readonly string[]).includes(lower) ? (lower as Severity) : undefined;
}

/** Whether some cluster has a failing finding at `min` or above (the `--fail-on` exit code). */
export function hasFailingAtLeast(postures: readonly ClusterPosture[], min: Severity): boolean {
  return postures.some((p) =>
    p.findings.some((f) => f.status === 'fail' && !f.exempted && atLeast(f.severity, min)),
  );
}

export function buildReport(
  postures: ClusterPosture[],
  source: EstateSourceKind,
  generatedAt: Date,
  failures: SourceFailure[] = [],
): Report {
  const findingsBySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<
    Severity,
    number
  >;
  let failing = 0;
  for (const posture of postures) {
    if (posture.status === 'fail') failing += 1;
    for (const finding of posture.findings) {
      if (finding.status === 'fail' && !finding.exempted && finding.severity in findingsBySeverity)
        findingsBySeverity[finding.severity] += 1;
    }
  }
  return {
    schemaVersion: 1,
    generatedAt: generatedAt.toISOString(),
    source,
    summary: { clusters: postures.length, failing, findingsBySeverity },
    clusters: postures,
    failures: [...failures],
  };
}
