/**
 * SARIF 2.1.0 in the subset GitHub code scanning ingests (docs.github.com, "SARIF support for
 * code scanning"): one rule per check of the catalogue, one result per failing finding.
 *
 * - `properties.security-severity` makes GitHub treat the rules as security rules and rank
 *   them critical (> 9.0), high (7.0–8.9), medium (4.0–6.9) or low (0.1–3.9).
 * - GitHub needs a physical location on every result. A cluster is not a line of code: results
 *   point at the exported `clusters.json` (and the line where the cluster's id appears) when the
 *   estate came from a snapshot, otherwise at the cluster's resource id as a relative path. The
 *   cluster is also given as a logical location.
 * - `partialFingerprints.primaryLocationLineHash` (the only fingerprint GitHub reads) is a hash of
 *   the cluster id and check id, so the same failure keeps its alert across runs however the
 *   export's lines move.
 * - A finding that could not be evaluated is not a security result of its check (that would
 *   raise a critical alert for missing data): it is a `note` of the tool's own `evaluation-error`
 *   rule, which carries no security severity.
 */
import { createHash } from 'node:crypto';
import type { ClusterPosture, Finding, Report, Severity } from '../../core/model';
import type { CheckMeta } from './common';
import { describeGrant } from '../../core/principals';
import { MG_UNVERIFIED_NOTE } from '../../core/exemptions';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const EVALUATION_ERROR_RULE_ID = 'evaluation-error';
export const TOOL_NAME = 'AKS Identity Auditor';

export const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '1.0',
};

export type SarifLevel = 'error' | 'warning' | 'note';

export function sarifLevel(severity: Severity): SarifLevel {
  if (severity === 'critical' || severity === 'high') return 'error';
  if (severity === 'medium') return 'warning';
  return 'note';
}

export interface SarifArtifact {
  /** Relative path (forward slashes) of the file the cluster came from. */
  uri: string;
  /** 1-based line where the cluster appears in it. */
  line?: number;
}

export interface SarifOptions {
  catalogue: readonly CheckMeta[];
  /** semver of this tool (package.json `version`). */
  toolVersion: string;
  informationUri?: string;
  /** Where a cluster's definition lives (a snapshot file); omitted = its resource id as a path. */
  locate?: (cluster: ClusterPosture) => SarifArtifact | undefined;
}

export function formatSarif(report: Report, options: SarifOptions): string {
  return `${JSON.stringify(buildSarif(report, options), null, 2)}\n`;
}

export function buildSarif(report: Report, options: SarifOptions): Record<string, unknown> {
  const rules = ruleCatalogue(report, options.catalogue);
  const ruleIndex = new Map(rules.map((rule, index) => [rule.id, index]));
  const results: Record<string, unknown>[] = [];
  for (const cluster of report.clusters) {
    for (const finding of cluster.findings) {
      if (finding.status === 'fail') {
        results.push(
          result(
            cluster,
            finding,
            finding.checkId,
            ruleIndex,
            sarifLevel(finding.severity),
            failMessage(cluster, finding),
            options,
          ),
        );
      } else if (finding.status === 'error') {
        const message = `${cluster.name}: ${finding.checkId} could not be evaluated: ${finding.detail || finding.title}`;
        results.push(
          result(cluster, finding, EVALUATION_ERROR_RULE_ID, ruleIndex, 'note', message, options),
        );
      }
    }
  }
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            ...(options.informationUri ? { informationUri: options.informationUri } : {}),
            semanticVersion: options.toolVersion,
            rules: rules.map(ruleDescriptor),
          },
        },
        // The category lets these results live next to CodeQL's without replacing them.
        automationDetails: { id: 'aks-identity-auditor/' },
        invocations: [invocation(report)],
        results,
      },
    ],
  };
}

/**
 * The run is successful only when the whole estate was read: a partial read is reported as an
 * unsuccessful execution with one error notification per part that could not be read, so a
 * code-scanning consumer never takes the missing clusters' silence for a clean result.
 */
function invocation(report: Report): Record<string, unknown> {
  const failures = report.failures ?? [];
  if (failures.length === 0) return { executionSuccessful: true, endTimeUtc: report.generatedAt };
  return {
    executionSuccessful: false,
    endTimeUtc: report.generatedAt,
    toolExecutionNotifications: failures.map((f) => ({
      level: 'error',
      message: {
        text: `Could not read ${f.part} of ${f.subscriptionId === '*' ? 'the estate' : `subscription ${f.subscriptionId}`}: ${f.message}`,
      },
      properties: { subscriptionId: f.subscriptionId, part: f.part },
    })),
  };
}

/** The same cluster + check gives the same value in every run. */
export function fingerprint(clusterId: string, ruleId: string): string {
  const digest = createHash('sha256').update(`${clusterId.toLowerCase()}\n${ruleId}`).digest('hex');
  return digest.slice(0, 32);
}

interface Rule {
  id: string;
  title: string;
  rationale: string;
  remediation: string;
  references: readonly string[];
  category: string;
  /** undefined for the tool's own rule: not a security result. */
  severity?: Severity;
}

/** The catalogue, then any check the report has that the catalogue lacks, then evaluation-error. */
function ruleCatalogue(report: Report, catalogue: readonly CheckMeta[]): Rule[] {
  const rules: Rule[] = catalogue.map((check) => ({ ...check }));
  const known = new Set(rules.map((r) => r.id));
  for (const cluster of report.clusters) {
    for (const finding of cluster.findings) {
      if (known.has(finding.checkId)) continue;
      known.add(finding.checkId);
      rules.push({
        id: finding.checkId,
        title: finding.title,
        rationale: finding.title,
        remediation: finding.remediation,
        references: [],
        category: 'unknown',
        severity: finding.severity,
      });
    }
  }
  rules.push({
    id: EVALUATION_ERROR_RULE_ID,
    title: 'A check could not be evaluated',
    rationale:
      'The data a check needs (the cluster configuration, the role assignments over it, or a role definition) could not be read, so the check was neither passed nor failed.',
    remediation:
      'Make sure the identity running the audit can read the cluster and the role assignments over it (Reader on the subscription), or that the snapshot includes them, then audit again.',
    references: [],
    category: 'tool',
  });
  return rules;
}

function ruleDescriptor(rule: Rule): Record<string, unknown> {
  const references =
    rule.references.length > 0
      ? `\n\nReferences:\n${rule.references.map((r) => `- ${r}`).join('\n')}`
      : '';
  const markdownReferences =
    rule.references.length > 0
      ? `\n\n**References**\n\n${rule.references.map((r) => `- <${r}>`).join('\n')}`
      : '';
  const descriptor: Record<string, unknown> = {
    id: rule.id,
    name: pascalCase(rule.id),
    shortDescription: { text: rule.title },
    fullDescription: { text: rule.rationale },
    ...(rule.references[0] ? { helpUri: rule.references[0] } : {}),
    help: {
      text: `${rule.rationale}\n\nRemediation: ${rule.remediation}${references}`,
      markdown: `${rule.rationale}\n\n**Remediation**\n\n\`\`\`sh\n${rule.remediation}\n\`\`\`${markdownReferences}`,
    },
    defaultConfiguration: { level: rule.severity ? sarifLevel(rule.severity) : 'note' },
    properties: rule.severity
      ? {
          'security-severity': SECURITY_SEVERITY[rule.severity],
          precision: 'high',
          tags: ['security', 'aks', 'identity', rule.category],
        }
      : { tags: ['aks', 'identity', rule.category] },
  };
  return descriptor;
}

function result(
  cluster: ClusterPosture,
  finding: Finding,
  ruleId: string,
  ruleIndex: Map<string, number>,
  level: SarifLevel,
  message: string,
  options: SarifOptions,
): Record<string, unknown> {
  const artifact = options.locate?.(cluster) ?? { uri: encodeURI(cluster.id.replace(/^\/+/, '')) };
  const line = artifact.line && artifact.line > 0 ? artifact.line : 1;
  const value = fingerprint(
    cluster.id,
    ruleId === EVALUATION_ERROR_RULE_ID ? `${EVALUATION_ERROR_RULE_ID}:${finding.checkId}` : ruleId,
  );
  return {
    ruleId,
    ruleIndex: ruleIndex.get(ruleId),
    level,
    message: { text: message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: artifact.uri },
          region: { startLine: line, startColumn: 1, endLine: line, endColumn: 1 },
        },
        logicalLocations: [
          { name: cluster.name, fullyQualifiedName: cluster.id, kind: 'resource' },
        ],
      },
    ],
    partialFingerprints: { primaryLocationLineHash: `${value}:1` },
    // Accepted risk: code scanning shows the result as dismissed, with who accepted it and why.
    ...(finding.exempted && ruleId !== EVALUATION_ERROR_RULE_ID
      ? {
          suppressions: (finding.exemptions ?? []).map((e) => ({
            kind: 'external',
            status: 'accepted',
            justification: `${e.reason} (exemption ${e.id}, owner ${e.owner}${e.ticket ? `, ticket ${e.ticket}` : ''}, until ${e.expiresOn}${e.managementGroupUnverified ? `; management group not verified: ${MG_UNVERIFIED_NOTE}` : ''})`,
          })),
        }
      : {}),
    properties: {
      clusterId: cluster.id,
      subscriptionId: cluster.subscriptionId,
      resourceGroup: cluster.resourceGroup,
      checkId: finding.checkId,
      severity: finding.severity,
      ...(finding.principals && finding.principals.length > 0
        ? { principalIds: finding.principals.map((p) => p.principalId) }
        : {}),
    },
  };
}

function failMessage(cluster: ClusterPosture, finding: Finding): string {
  // The detail says what was found; the title states the desired state, which would read as
  // the opposite of a failure in GitHub's one-line alert title.
  const detail = (finding.detail || finding.title).trim();
  const unnamed = (finding.principals ?? []).filter((p) => !detail.includes(p.principalId));
  const who =
    unnamed.length > 0
      ? ` Principals: ${unnamed
          .slice(0, 10)
          .map(describeGrant)
          .join('; ')}${unnamed.length > 10 ? `; +${unnamed.length - 10} more` : ''}.`
      : '';
  const fix = finding.remediation ? ` Fix: ${finding.remediation}` : '';
  return `${cluster.name}: ${/[.!?]$/.test(detail) ? detail : `${detail}.`}${who}${fix}`;
}

function pascalCase(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}
