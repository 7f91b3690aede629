/**
 * The report as GitHub-flavoured Markdown (a pull-request comment, a job summary, a wiki page): a
 * summary table over the estate, then one section per cluster with its failing and unevaluated
 * findings. Everything that comes from the estate is escaped: a `|` in a name would otherwise
 * end a table cell, and `<` would open HTML.
 */
import {
  SEVERITIES,
  type ClusterPosture,
  type Finding,
  type PrincipalAccess,
  type Report,
} from '../../core/model';
import { describeGroupMembers, groupsWithMembers } from '../../core/groupMembers';
import { principalLabel } from '../../core/principals';

/** Members listed per group before `and N more` (the JSON report lists them all). */
const MARKDOWN_MEMBERS = 20;
import {
  clusterCountsText,
  findingCountsText,
  plural,
  regressionCountText,
} from '../../core/countWords';
import { exemptionNote, findingsToShow, regressionPrincipal } from './common';
import { severityRank } from '../../core/report';

export function formatMarkdown(report: Report): string {
  const out: string[] = [];
  out.push('# AKS identity audit', '');
  out.push(
    `Generated ${escapeText(report.generatedAt)} from ${report.source === 'azure' ? 'Azure' : 'a snapshot'}: ` +
      `${clusterCountsText(report.clusters)}.`,
    '',
  );
  if (report.clusters.some((cluster) => (cluster.regressions ?? []).length > 0)) {
    out.push(`Regressions: ${regressionCountText(report.clusters)}.`, '');
  }

  out.push('| Severity | Failing findings |', '|---|---:|');
  for (const severity of SEVERITIES)
    out.push(`| ${severity} | ${report.summary.findingsBySeverity[severity] ?? 0} |`);
  out.push('');

  if (report.clusters.length === 0) {
    out.push('No clusters found.', '');
    return out.join('\n');
  }

  out.push(
    '| Cluster | Resource group | Subscription | Status | Score | Failing | Worst |',
    '|---|---|---|---|---:|---:|---|',
  );
  report.clusters.forEach((cluster, index) => {
    const failing = cluster.findings.filter((f) => f.status === 'fail');
    const worst = failing
      .map((f) => f.severity)
      .sort((a, b) => severityRank(a) - severityRank(b))[0];
    out.push(
      `| [${escapeText(cluster.name)}](#${anchor(cluster, index)}) | ${escapeText(cluster.resourceGroup)} | ${escapeText(cluster.subscriptionId)} | ` +
        `${statusText(cluster.status)} | ${cluster.score} | ${failing.length} | ${worst ?? '—'} |`,
    );
  });
  out.push('');

  report.clusters.forEach((cluster, index) => out.push(...clusterSection(cluster, index)));
  return out.join('\n');
}

function clusterSection(cluster: ClusterPosture, index: number): string[] {
  const out: string[] = [];
  out.push(`<a id="${anchor(cluster, index)}"></a>`, '');
  out.push(
    `## ${escapeText(cluster.name)}: ${statusText(cluster.status)}, score ${cluster.score}`,
    '',
  );
  out.push(`${code(cluster.id)}`, '');
  // Regressions first: what changed since the last audit is what the reader came for.
  if (cluster.regressions && cluster.regressions.length > 0) {
    out.push(
      `**${plural(cluster.regressions.length, 'regression')} since the previous audit**`,
      '',
    );
    for (const r of cluster.regressions) {
      const who = r.principalId
        ? ` ${escapeText(regressionPrincipal(cluster, r.principalId))}`
        : '';
      out.push(
        `- ${r.severity} ${r.kind} ${code(r.checkId)}${who}: ${escapeText(r.before)} → ${escapeText(r.after)}`,
      );
    }
    out.push('');
  }
  out.push(`${findingCountsText(cluster.findings)}.`, '');

  const shown = findingsToShow(cluster.findings);
  if (shown.length > 0) {
    out.push('| Severity | Check | Finding | Remediation |', '|---|---|---|---|');
    for (const finding of shown) {
      // An error row keeps its check's severity (how bad it would be is how urgent reading it
      // is) and, as in the table, no fix: what failed is the reading, which its detail names.
      const severity =
        finding.status === 'error'
          ? `**${finding.severity}** · not evaluated`
          : `**${finding.severity}**`;
      const exempted = exemptionNote(finding);
      const text = exempted
        ? `${finding.detail || finding.title} ${exempted}`
        : finding.detail || finding.title;
      out.push(
        `| ${severity} | ${code(finding.checkId)} | ${escapeText(text)} | ${finding.status !== 'error' ? fixCell(finding.remediation) : ''} |`,
      );
    }
    out.push('');
    for (const finding of shown.filter(
      (f) => f.status === 'fail' && (f.principals?.length ?? 0) > 0,
    )) {
      out.push(...principalsBlock(finding));
    }
  }
  const passing = cluster.findings.filter(
    (f) => f.status === 'pass' || f.status === 'not-applicable',
  );
  if (passing.length > 0) {
    out.push(`<details><summary>Passing or not applicable (${passing.length})</summary>`, '');
    for (const f of passing)
      out.push(
        `- ${code(f.checkId)} ${f.status === 'pass' ? 'pass' : 'not applicable'}: ${escapeText(f.title)}`,
      );
    out.push('', '</details>', '');
  }
  return out;
}

function principalsBlock(finding: Finding): string[] {
  const out = [
    `Principals for ${code(finding.checkId)}:`,
    '',
    '| Principal | Id | Type | Role | Scope | Capabilities |',
    '|---|---|---|---|---|---|',
  ];
  for (const p of finding.principals as PrincipalAccess[]) {
    out.push(
      `| ${escapeText(principalLabel(p))} | ${code(p.principalId)} | ${escapeText(p.principalType)} | ${escapeText(p.roleName)} | ${code(p.scope)} | ${escapeText(p.capabilities.join(', '))} |`,
    );
  }
  out.push('');
  // The people behind each group holding the access (guests and disabled accounts flagged).
  const groups = groupsWithMembers(finding.principals ?? []);
  for (const group of groups)
    out.push(`- ${escapeText(describeGroupMembers(group, MARKDOWN_MEMBERS))}`);
  if (groups.length > 0) out.push('');
  return out;
}

/**
 * A fix in a table cell: one code span per command line, so a copied line is one whole command
 * (flattening two commands into one line would paste as a single, broken command).
 */
function fixCell(remediation: string | undefined): string {
  return (remediation ?? '')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map(code)
    .join('<br>');
}

function statusText(status: ClusterPosture['status']): string {
  return status === 'pass' ? 'pass' : status === 'fail' ? '**fail**' : '**error**';
}

/** An in-page anchor per cluster; the position keeps it unique where names repeat across subscriptions. */
function anchor(cluster: ClusterPosture, index: number): string {
  const slug = cluster.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `cluster-${index + 1}-${slug}`;
}

/** Escapes text for a Markdown table cell or paragraph. */
export function escapeText(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/([*_`[\]])/g, '\\$1')
    .replace(/\r?\n/g, '<br>');
}

/**
 * A code span that survives a table cell: a fence longer than any backtick run inside, `|`
 * escaped (GFM splits cells before it parses code spans), newlines flattened.
 */
export function code(text: string): string {
  const flat = text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  const longestRun = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}
