/**
 * The human-readable report for a terminal: a header line, one section per cluster (status,
 * score, its regressions first, a table of its failing and unevaluated findings with who holds
 * the access, then the fix commands), and a closing summary. Every line fits `width` columns
 * (default 100) except a fix command's single token longer than a line: cell text is wrapped
 * here, breaking resource ids and principal ids that are longer than a column, and drawn by
 * `boxTable`. (cli-table3 truncates such words instead of breaking them, and re-measures a
 * multi-line cell once per character: seconds for one audit of a few clusters.)
 *
 * Fix commands print below the table, never inside a cell: a command is wrapped only between
 * shell words (outside quotes) with a ` \` continuation, so a pasted block runs as one command;
 * no box border sits in the way of a copy.
 */
import { createColors } from 'picocolors';
import type { ClusterPosture, Finding, PrincipalAccess, Report, Severity } from '../../core/model';
import { describeGroupMembers, groupsWithMembers } from '../../core/groupMembers';
import { describeGrant } from '../../core/principals';
import {
  clusterCountsText,
  countFindingsByStatus,
  findingCountsText,
  plural,
  regressionCountText,
  severityCountsText,
} from '../../core/countWords';
import { exemptionNote, findingsToShow, regressionPrincipal } from './common';

export interface TableOptions {
  /** ANSI colours; the CLI enables them only for a TTY without NO_COLOR. */
  color: boolean;
  /** Terminal columns to fit; 100 unless the terminal is narrower. */
  width?: number;
  /** Principals listed per finding before "+N more". */
  maxPrincipals?: number;
}

export const DEFAULT_TABLE_WIDTH = 100;
const MIN_WIDTH = 60;
/** Fits `critical` and the `evaluated` of an error row's `not evaluated`. */
const SEVERITY_COLUMN = 11;
/** The check column's width on a 100-column terminal; narrower ones give it less, the finding more. */
const CHECK_COLUMN = 28;
const MIN_CHECK_COLUMN = 16;
const INDENT = '      ';

type Colors = ReturnType<typeof createColors>;

export function formatTable(report: Report, options: TableOptions): string {
  const width = Math.max(MIN_WIDTH, options.width ?? DEFAULT_TABLE_WIDTH);
  const c = createColors(options.color);
  const out: string[] = [];

  out.push(
    ...wrap(
      `AKS identity audit — ${plural(report.summary.clusters, 'cluster')} from ${report.source === 'azure' ? 'Azure' : 'a snapshot'}, generated ${report.generatedAt}`,
      width,
    ).map((line) => c.bold(line)),
  );
  out.push('');

  if (report.clusters.length === 0) {
    out.push('No clusters found.');
  }
  for (const cluster of report.clusters) {
    out.push(...clusterSection(cluster, width, c, options.maxPrincipals ?? 5), '');
  }

  out.push(
    ...wrap(`Summary: ${clusterCountsText(report.clusters)}.`, width).map((line) => c.bold(line)),
  );
  out.push(
    ...wrap(
      `Failing findings by severity: ${severityCountsText(report.summary.findingsBySeverity)}`,
      width,
    ),
  );
  if (report.clusters.some((cluster) => (cluster.regressions ?? []).length > 0)) {
    out.push(...wrap(`Regressions: ${regressionCountText(report.clusters)}.`, width));
  }
  if (report.alerts && report.alerts.length > 0) {
    const sent = report.alerts.filter((a) => Object.values(a.channels).includes('sent')).length;
    out.push(
      ...wrap(
        `Alerts: ${plural(report.alerts.length, 'alert')}, ${sent} delivered on at least one channel.`,
        width,
      ),
    );
  }
  return `${out.join('\n')}\n`;
}

function clusterSection(
  cluster: ClusterPosture,
  width: number,
  c: Colors,
  maxPrincipals: number,
): string[] {
  const lines: string[] = [];
  const status = statusLabel(cluster.status, c);
  const heading = `${cluster.name} · score ${cluster.score}/100`;
  // The label is 5 visible characters wide plus one space: 6 columns of indent for what follows.
  lines.push(
    ...wrap(heading, width - 6).map((line, i) =>
      i === 0 ? `${status} ${c.bold(line)}` : `${INDENT}${c.bold(line)}`,
    ),
  );
  lines.push(
    ...wrap(
      `resource group ${cluster.resourceGroup} · subscription ${cluster.subscriptionId}`,
      width - 6,
    ).map((line) => `${INDENT}${c.dim(line)}`),
  );

  const regressions = cluster.regressions ?? [];
  if (regressions.length > 0) {
    lines.push(
      `${INDENT}${c.yellow(c.bold(`${plural(regressions.length, 'regression')} since the previous audit:`))}`,
    );
    for (const regression of regressions) {
      const who = regression.principalId
        ? ` (${regressionPrincipal(cluster, regression.principalId)})`
        : '';
      lines.push(
        ...wrap(
          `Regression ${regression.kind}: ${regression.checkId}${who}, ${regression.before} → ${regression.after} [${regression.severity}]`,
          width - 6,
        ).map((line) => `${INDENT}${c.yellow(line)}`),
      );
    }
  }

  const shown = findingsToShow(cluster.findings);
  if (shown.length === 0) {
    const counts = countFindingsByStatus(cluster.findings);
    lines.push(
      ...wrap(
        `All ${plural(cluster.findings.length, 'check')} pass or do not apply (${counts.pass} passing, ${counts['not-applicable']} not applicable).`,
        width - 6,
      ).map((line) => `${INDENT}${c.green(line)}`),
    );
    return lines;
  }
  lines.push(
    ...wrap(findingCountsText(cluster.findings), width - 6).map((line) => `${INDENT}${line}`),
  );
  const fixes = shown.filter((f) => f.remediation && f.status !== 'error');
  lines.push(findingsTable(shown, fixes, width, c, maxPrincipals));
  if (fixes.length > 0) {
    lines.push(`${INDENT}${c.bold('Fix (each command whole: paste as is)')}`);
    fixes.forEach((finding, index) => {
      lines.push(`${INDENT}${c.cyan(`[${index + 1}]`)} ${finding.checkId}`);
      for (const line of fixLines(finding.remediation, width - INDENT.length - 4)) {
        lines.push(`${INDENT}    ${c.cyan(line)}`);
      }
    });
  }
  return lines;
}

function findingsTable(
  findings: Finding[],
  fixes: Finding[],
  width: number,
  c: Colors,
  maxPrincipals: number,
): string {
  // Column widths include one space of padding each side; four vertical borders.
  const checkColumn = Math.min(CHECK_COLUMN, Math.max(MIN_CHECK_COLUMN, Math.floor(width * 0.28)));
  const detailColumn = width - SEVERITY_COLUMN - checkColumn - 4;
  const rows = findings.map((finding) => {
    const severity = severityColor(finding.severity, c)(finding.severity);
    const fix = fixes.indexOf(finding);
    return [
      // An error row keeps its check's severity: how bad it would be is how urgent reading it is.
      finding.status === 'error'
        ? [severity, c.magenta('not'), c.magenta('evaluated')]
        : [severity],
      wrap(finding.checkId, checkColumn - 2),
      [
        ...findingText(finding, detailColumn - 2, c, maxPrincipals),
        ...(fix >= 0 ? [c.cyan(`Fix: [${fix + 1}] below`)] : []),
      ],
    ];
  });
  return boxTable(
    ['Severity', 'Check', 'Finding'].map((h) => c.bold(h)),
    rows,
    [SEVERITY_COLUMN, checkColumn, detailColumn],
  );
}

function findingText(finding: Finding, width: number, c: Colors, maxPrincipals: number): string[] {
  const lines: string[] = [];
  if (finding.status === 'error') {
    lines.push(...wrap(`Not evaluated: ${finding.detail || finding.title}`, width));
    return lines;
  }
  const detail = finding.detail || finding.title;
  lines.push(...wrap(detail, width));
  const exempted = exemptionNote(finding);
  if (exempted) lines.push(...wrap(exempted, width).map((line) => c.yellow(line)));
  // Checks often name the principals in their detail already; list only the others.
  const principals = (finding.principals ?? []).filter((p) => !detail.includes(p.principalId));
  for (const principal of principals.slice(0, maxPrincipals)) {
    lines.push(...wrap(`• ${principalLine(principal)}`, width));
  }
  if (principals.length > maxPrincipals) {
    lines.push(`• +${principals.length - maxPrincipals} more (see --format json)`);
  }
  // The people behind every group holding the access, named in the detail or not.
  for (const group of groupsWithMembers(finding.principals ?? [])) {
    lines.push(...wrap(`• ${describeGroupMembers(group, maxPrincipals)}`, width));
  }
  return lines;
}

function principalLine(principal: PrincipalAccess): string {
  return `${describeGrant(principal)} (${principal.capabilities.join(', ')})`;
}

function statusLabel(status: ClusterPosture['status'], c: Colors): string {
  if (status === 'pass') return c.green('PASS ');
  if (status === 'fail') return c.bold(c.red('FAIL '));
  return c.magenta('ERROR');
}

function severityColor(severity: Severity, c: Colors): (text: string) => string {
  switch (severity) {
    case 'critical':
      return (text) => c.bold(c.red(text));
    case 'high':
      return c.red;
    case 'medium':
      return c.yellow;
    case 'low':
      return c.cyan;
    default:
      return c.dim;
  }
}

/**
 * A remediation as lines to paste: each command wrapped only between shell words outside
 * quotes, every wrapped line ending in ` \` and the next indented, so the block stays one
 * command; a trailing `# comment` goes on its own line above the command it explains. A single
 * word longer than `width` stays whole on its line (the terminal soft-wraps it; a copy keeps it
 * whole).
 */
export function fixLines(remediation: string, width: number): string[] {
  const lines: string[] = [];
  for (const raw of remediation.split(/\r?\n/)) {
    const { words, comment } = shellWords(raw);
    if (comment) lines.push(...wrap(comment, width - 2).map((line) => `# ${line}`));
    let line = '';
    for (const word of optionUnits(words, width - 4)) {
      if (line && line.length + 1 + word.length + 2 > width) {
        lines.push(`${line} \\`);
        line = `  ${word}`;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    if (line) lines.push(line);
  }
  return lines;
}

/** Words with each option kept beside its value (`-n aks-prod`) where the pair fits a line. */
function optionUnits(words: readonly string[], width: number): string[] {
  const units: string[] = [];
  for (let i = 0; i < words.length; i += 1) {
    const next = words[i + 1];
    const pair = `${words[i]} ${next}`;
    if (/^-/.test(words[i]) && next !== undefined && !/^-/.test(next) && pair.length <= width) {
      units.push(pair);
      i += 1;
    } else {
      units.push(words[i]);
    }
  }
  return units;
}

/** A command line split into shell words (quotes kept, whitespace inside them too) and its `#` comment. */
function shellWords(line: string): { words: string[]; comment?: string } {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i];
    if (quote) {
      word += ch;
      if (ch === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      word += ch;
    } else if (ch === '\\' && i + 1 < line.length) {
      word += ch + line[++i];
    } else if (/\s/.test(ch)) {
      if (word) words.push(word);
      word = '';
    } else if (ch === '#' && word === '') {
      const comment = line.slice(i + 1).trim();
      return { words, comment: comment || undefined };
    } else {
      word += ch;
    }
  }
  if (word) words.push(word);
  return { words };
}

/**
 * Word-wraps `text` to `width` columns. Words longer than a line (resource ids, GUIDs) are broken
 * after a `/`, `-` or `.` where possible, else hard, so nothing is truncated.
 */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (!line) {
        if (word.length <= width) {
          line = word;
          continue;
        }
      } else if (line.length + 1 + word.length <= width) {
        line += ` ${word}`;
        continue;
      } else if (word.length <= width) {
        lines.push(line);
        line = word;
        continue;
      } else {
        lines.push(line);
      }
      const pieces = breakWord(word, width);
      lines.push(...pieces.slice(0, -1));
      line = pieces[pieces.length - 1];
    }
    lines.push(line);
  }
  return lines;
}

function breakWord(word: string, width: number): string[] {
  const pieces: string[] = [];
  let rest = word;
  while (rest.length > width) {
    const window = rest.slice(0, width);
    const cut = Math.max(window.lastIndexOf('/'), window.lastIndexOf('-'), window.lastIndexOf('.'));
    // A break character very early in the window would leave a ragged, mostly empty line.
    const at = cut >= width / 3 ? cut + 1 : width;
    pieces.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  pieces.push(rest);
  return pieces;
}

const ANSI_CODES = /\u001b\[[0-9;]*m/g;

/** Visible width: ANSI colour codes take no columns. */
export function visibleWidth(text: string): number {
  return [...text.replace(ANSI_CODES, '')].length;
}

/**
 * Draws a bordered table. Cells are arrays of lines already fitting their column (width minus
 * one space of padding each side); colour codes inside them are allowed.
 */
export function boxTable(head: string[], rows: string[][][], widths: number[]): string {
  const rule = (left: string, middle: string, right: string) =>
    `${left}${widths.map((w) => '─'.repeat(w)).join(middle)}${right}`;
  const render = (cells: string[][]) => {
    const height = Math.max(1, ...cells.map((lines) => lines.length));
    const out: string[] = [];
    for (let i = 0; i < height; i += 1) {
      const parts = cells.map((lines, column) => {
        const text = lines[i] ?? '';
        return ` ${text}${' '.repeat(Math.max(0, widths[column] - 2 - visibleWidth(text)))} `;
      });
      out.push(`│${parts.join('│')}│`);
    }
    return out;
  };
  const lines = [rule('┌', '┬', '┐'), ...render(head.map((h) => [h]))];
  for (const row of rows) lines.push(rule('├', '┼', '┤'), ...render(row));
  lines.push(rule('└', '┴', '┘'));
  return lines.join('\n');
}
