/**
 * The nightly accepted-risk digest (docs/contracts.md "Exemptions"): every finding an active
 * exemption covers — still failing, ignored by status, score, `--fail-on` and paging — with the
 * exemptions expiring within 14 days first, since at expiry their findings count, and page,
 * again. Pure: the nightly run reads the exemptions and postures and sends the alert.
 */
import { plural } from './countWords';
import { EXEMPTION_WARNING_DAYS, exemptionState, expiringSoon, type Exemption } from './exemptions';
import type { Alert, ClusterPosture, ExemptionRef, Finding } from './model';
import { severityRank } from './report';

const DAY_MS = 24 * 3600 * 1000;

export interface ExemptedFinding {
  cluster: Pick<ClusterPosture, 'id' | 'name' | 'resourceGroup' | 'subscriptionId'>;
  finding: Pick<Finding, 'checkId' | 'severity' | 'status' | 'title' | 'exempted'>;
  exemptions: ExemptionRef[];
}

/** Failing findings that list an exemption (wholly or partly exempted), worst first. */
export function exemptedFindings(postures: readonly ClusterPosture[]): ExemptedFinding[] {
  const found: ExemptedFinding[] = [];
  for (const posture of postures) {
    for (const finding of posture.findings) {
      if (finding.status !== 'fail' || !finding.exemptions?.length) continue;
      found.push({
        cluster: {
          id: posture.id,
          name: posture.name,
          resourceGroup: posture.resourceGroup,
          subscriptionId: posture.subscriptionId,
        },
        finding,
        exemptions: finding.exemptions,
      });
    }
  }
  return found.sort(
    (a, b) =>
      severityRank(a.finding.severity) - severityRank(b.finding.severity) ||
      a.cluster.name.localeCompare(b.cluster.name) ||
      a.finding.checkId.localeCompare(b.finding.checkId),
  );
}

/** `in 3 days`, `within a day`. */
function timeLeft(expiresOn: string, now: Date): string {
  const days = Math.floor((Date.parse(expiresOn) - now.getTime()) / DAY_MS);
  return days < 1 ? 'within a day' : `in ${plural(days, 'day')}`;
}

function principalsText(ids: readonly string[] | undefined): string {
  return ids?.length ? ` for ${ids.join(', ')}` : '';
}

/**
 * The digest entry, or undefined when no exemption is active. `exempted` are the findings the
 * latest evaluations list as exempted; an active exemption expiring soon is listed even when no
 * finding matches it today (it may when the finding fails again).
 */
export function acceptedRiskDigest(
  exemptions: readonly Exemption[],
  exempted: readonly ExemptedFinding[],
  now: Date,
): Alert | undefined {
  const active = exemptions.filter((e) => exemptionState(e, now) === 'active');
  if (active.length === 0) return undefined;
  const expiring = expiringSoon(active, now);
  const expiringIds = new Set(expiring.map((e) => e.id));
  const clustersOf = (id: string) => [
    ...new Set(
      exempted.filter((x) => x.exemptions.some((e) => e.id === id)).map((x) => x.cluster.name),
    ),
  ];

  const lines: string[] = [];
  if (expiring.length > 0) {
    lines.push(
      `Expiring within ${EXEMPTION_WARNING_DAYS} days (their findings count and page again after):`,
    );
    for (const e of expiring) {
      const clusters = clustersOf(e.id);
      lines.push(
        `- ${e.id}: ${e.checkId} at ${e.scope}${principalsText(e.principalIds)}, owner ${e.owner}${e.ticket ? `, ticket ${e.ticket}` : ''}, expires ${e.expiresOn} (${timeLeft(e.expiresOn, now)}); ` +
          (clusters.length > 0
            ? `exempts it on ${clusters.join(', ')}`
            : 'no failing finding matches it now') +
          ` — ${e.reason}`,
      );
    }
  }
  lines.push(
    exempted.length > 0
      ? 'Exempted findings (failing, accepted as risk):'
      : 'No failing finding is exempted now.',
  );
  for (const x of exempted) {
    const by = x.exemptions
      .map(
        (e) =>
          `${e.id} until ${e.expiresOn.slice(0, 10)}${expiringIds.has(e.id) ? ' (expiring soon)' : ''}${principalsText(e.principalIds)}`,
      )
      .join('; ');
    lines.push(
      `- [${x.finding.severity}] ${x.cluster.name} (${x.cluster.resourceGroup}): ${x.finding.checkId}, ${x.finding.exempted ? 'exempted' : 'partly exempted'} by ${by}`,
    );
  }

  const clusters = new Set(exempted.map((x) => x.cluster.id.toLowerCase())).size;
  return {
    dedupeKey: `accepted-risk|${now.toISOString().slice(0, 10)}`,
    clusterId: '',
    clusterName: 'accepted risk',
    subscriptionId: '',
    resourceGroup: '',
    severity: 'info',
    kind: 'accepted-risk',
    checkId: 'exemptions',
    title:
      `${plural(exempted.length, 'exempted finding')} on ${plural(clusters, 'cluster')}, ` +
      `${plural(expiring.length, 'exemption')} expiring within ${EXEMPTION_WARNING_DAYS} days`,
    before: `${plural(active.length, 'active exemption')}: the findings below fail and are accepted as risk until their exemption ends.`,
    after: lines.join('\n'),
    remediation: `aks-identity-auditor exemptions list --expiring-within ${EXEMPTION_WARNING_DAYS}   # renew with its owner, or fix the finding before the date`,
    createdAt: now.toISOString(),
  };
}
