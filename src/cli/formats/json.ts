/**
 * The JSON report of docs/contracts.md. Objects are rebuilt key by key so the output has the same key
 * order whatever order the engine assembled them in: scripts and diffs of two runs rely on it.
 */
import { checkById } from '../../core/checks';
import { SEVERITIES } from '../../core/model';
import type {
  AlertDelivery,
  ClusterPosture,
  Finding,
  PrincipalAccess,
  Regression,
  Report,
} from '../../core/model';

export function formatJson(report: Report): string {
  return `${JSON.stringify(orderedReport(report), null, 2)}\n`;
}

/** The report as a plain object in contract key order (undefined members left out). */
export function orderedReport(report: Report): Record<string, unknown> {
  return compact({
    schemaVersion: report.schemaVersion,
    generatedAt: report.generatedAt,
    source: report.source,
    summary: {
      clusters: report.summary.clusters,
      failing: report.summary.failing,
      findingsBySeverity: Object.fromEntries(
        SEVERITIES.map((s) => [s, report.summary.findingsBySeverity[s] ?? 0]),
      ),
    },
    clusters: report.clusters.map(orderedCluster),
    failures: (report.failures ?? []).map((f) => ({
      subscriptionId: f.subscriptionId,
      part: f.part,
      message: f.message,
    })),
    alerts: report.alerts?.map(orderedAlert),
  });
}

export function orderedCluster(cluster: ClusterPosture): Record<string, unknown> {
  return compact({
    id: cluster.id,
    name: cluster.name,
    subscriptionId: cluster.subscriptionId,
    resourceGroup: cluster.resourceGroup,
    status: cluster.status,
    score: cluster.score,
    evaluatedAt: cluster.evaluatedAt,
    findings: cluster.findings.map(orderedFinding),
    privilegedPrincipals: cluster.privilegedPrincipals?.map(orderedPrincipal),
    regressions: cluster.regressions?.map(orderedRegression),
  });
}

function orderedFinding(finding: Finding): Record<string, unknown> {
  return compact({
    checkId: finding.checkId,
    status: finding.status,
    severity: finding.severity,
    title: finding.title,
    detail: finding.detail,
    remediation: finding.remediation,
    // The same fix for people who manage clusters as code (the table and alerts show the `az` form).
    remediationBicep: checkById(finding.checkId)?.infrastructureAsCode?.bicep,
    remediationTerraform: checkById(finding.checkId)?.infrastructureAsCode?.terraform,
    principals: finding.principals?.map(orderedPrincipal),
    exemptions: finding.exemptions?.map((e) =>
      compact({
        id: e.id,
        reason: e.reason,
        owner: e.owner,
        ticket: e.ticket,
        expiresOn: e.expiresOn,
        principalIds: e.principalIds,
        managementGroupUnverified: e.managementGroupUnverified,
      }),
    ),
    exempted: finding.exempted,
  });
}

function orderedPrincipal(principal: PrincipalAccess): Record<string, unknown> {
  return compact({
    principalId: principal.principalId,
    principalType: principal.principalType,
    displayName: principal.displayName,
    userPrincipalName: principal.userPrincipalName,
    roleName: principal.roleName,
    roleDefinitionId: principal.roleDefinitionId,
    scope: principal.scope,
    capabilities: [...principal.capabilities],
    // Present when set: a PIM eligibility, a grant with a condition (absent = active, no condition).
    eligible: principal.eligible,
    condition: principal.condition,
    approved: principal.approved,
    exempted: principal.exempted,
    deleted: principal.deleted,
    // A directly assigned user the directory flags (present only when true / false).
    guest: principal.guest,
    enabled: principal.enabled,
    members: principal.members && {
      count: principal.members.count,
      users: principal.members.users.map((u) =>
        compact({
          id: u.id,
          displayName: u.displayName,
          userPrincipalName: u.userPrincipalName,
          guest: u.guest,
          enabled: u.enabled,
        }),
      ),
    },
    serviceAccounts: principal.serviceAccounts && [...principal.serviceAccounts],
    federatedIdentity: principal.federatedIdentity,
  });
}

function orderedRegression(regression: Regression): Record<string, unknown> {
  return compact({
    kind: regression.kind,
    checkId: regression.checkId,
    principalId: regression.principalId,
    before: regression.before,
    after: regression.after,
    severity: regression.severity,
  });
}

function orderedAlert(alert: AlertDelivery): Record<string, unknown> {
  return {
    dedupeKey: alert.dedupeKey,
    severity: alert.severity,
    channels: Object.fromEntries(
      (['email', 'teams', 'console'] as const)
        .filter((c) => alert.channels[c] !== undefined)
        .map((c) => [c, alert.channels[c]]),
    ),
  };
}

function compact(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
