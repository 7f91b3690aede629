/** Small pure helpers shared by the report formats. */
import { severityRank } from '../../core/report';
import { type ClusterPosture, type Finding, type Severity } from '../../core/model';
import { describePrincipal, principalKey } from '../../core/principals';
import { MG_UNVERIFIED_NOTE } from '../../core/exemptions';

/** Metadata of one check, as the formats need it (the catalogue mapped at the CLI boundary). */
export interface CheckMeta {
  id: string;
  title: string;
  severity: Severity;
  category: string;
  rationale: string;
  /** The remediation with placeholders for the cluster (`<cluster-name>`, …). */
  remediation: string;
  references: readonly string[];
  failsWhen: string;
  /** The Bicep property and Terraform `azurerm_kubernetes_cluster` argument, where one exists. */
  bicep?: string;
  terraform?: string;
}

/** Findings a person has to look at: failures, then evaluation errors, worst first. */
export function findingsToShow(findings: readonly Finding[]): Finding[] {
  const statusOrder = (f: Finding) => (f.status === 'fail' ? 0 : 1);
  return findings
    .filter((f) => f.status === 'fail' || f.status === 'error')
    .sort(
      (a, b) =>
        statusOrder(a) - statusOrder(b) ||
        severityRank(a.severity) - severityRank(b.severity) ||
        a.checkId.localeCompare(b.checkId),
    );
}

/**
 * The principal a privilege regression is about, by name with its id beside it, from the
 * cluster's privileged principals (a regression itself carries only the id).
 */
export function regressionPrincipal(cluster: ClusterPosture, principalId: string): string {
  const key = principalKey(principalId);
  const grants = (cluster.privilegedPrincipals ?? []).filter(
    (p) => principalKey(p.principalId) === key,
  );
  const named = grants.find((g) => g.displayName || g.userPrincipalName);
  return describePrincipal({
    ...named,
    principalId,
    principalType: grants.find((g) => g.principalType)?.principalType,
  });
}

/**
 * One line saying that a finding is accepted risk, and by whom until when (every format shows
 * it; status, score and `--fail-on` ignore a finding exempted whole).
 */
export function exemptionNote(finding: Finding): string | undefined {
  if (!finding.exemptions?.length) return undefined;
  const which = finding.exemptions
    .map(
      (e) =>
        `${e.id} (${e.owner}, until ${e.expiresOn.slice(0, 10)}${e.principalIds ? `, for ${e.principalIds.length} principal(s)` : ''}${e.managementGroupUnverified ? `; management group not verified: ${MG_UNVERIFIED_NOTE}` : ''}): ${e.reason}`,
    )
    .join('; ');
  return `${finding.exempted ? 'Exempted' : 'Partly exempted'} by ${which}`;
}
