/**
 * What a person reads at 3 a.m.: the subject, plain text, HTML and Teams Adaptive Card for one
 * alert or a digest of many. Pure: no I/O, no `@azure/*`.
 *
 * Everything in an `Alert` comes from data someone else controls (cluster names, principal ids,
 * callers' names from event claims), so:
 * - HTML escapes every such value;
 * - the Adaptive Card puts every such value in a `TextRun` (Markdown is not interpreted there,
 *   unlike `TextBlock` and `FactSet`, where `[click](https://evil)` would become a link);
 * - the subject strips control characters so a name cannot inject mail header lines;
 * - a link is only rendered when it is an http(s) URL (no `javascript:`).
 */
import { countBySeverity, plural, severityCountsText } from './countWords';
import { type Alert, type Caller, type PrincipalAccess, type Severity } from './model';
import { describeMembers } from './groupMembers';
import { describeGrant } from './principals';
import { severityRank } from './report';

export interface RenderedAlerts {
  subject: string;
  text: string;
  html: string;
  card: AdaptiveCard;
}

/** The subset of the Adaptive Card schema this module emits. */
export interface AdaptiveCard {
  $schema: string;
  type: 'AdaptiveCard';
  version: '1.4';
  body: AdaptiveElement[];
  actions?: AdaptiveAction[];
  msteams?: { width: 'Full' };
}

export type AdaptiveElement = TextBlockElement | RichTextBlockElement | ContainerElement;

export interface TextBlockElement {
  type: 'TextBlock';
  text: string;
  wrap: true;
  size?: 'Small' | 'Default' | 'Medium' | 'Large';
  weight?: 'Bolder';
  color?: 'Attention' | 'Warning' | 'Accent' | 'Good' | 'Default';
  isSubtle?: boolean;
  spacing?: 'None' | 'Small' | 'Medium';
}

export interface TextRun {
  type: 'TextRun';
  text: string;
  weight?: 'Bolder';
  fontType?: 'Monospace';
  size?: 'Small' | 'Default' | 'Medium' | 'Large';
  color?: 'Attention' | 'Warning' | 'Accent' | 'Good' | 'Default';
  isSubtle?: boolean;
}

export interface RichTextBlockElement {
  type: 'RichTextBlock';
  inlines: TextRun[];
  spacing?: 'None' | 'Small' | 'Medium';
}

export interface ContainerElement {
  type: 'Container';
  items: AdaptiveElement[];
  style?: 'default' | 'emphasis' | 'attention' | 'warning' | 'good' | 'accent';
  separator?: boolean;
  spacing?: 'None' | 'Small' | 'Medium' | 'Large';
  bleed?: boolean;
}

export interface AdaptiveAction {
  type: 'Action.OpenUrl';
  title: string;
  url: string;
}

/** The Teams Workflows webhook payload: a `message` carrying the card as its only attachment. */
export interface TeamsMessage {
  type: 'message';
  attachments: [
    {
      contentType: 'application/vnd.microsoft.card.adaptive';
      contentUrl: null;
      content: AdaptiveCard;
    },
  ];
}

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/**
 * Teams refuses cards above roughly 28 KB; the card stops listing alerts before that and says
 * how many it left out (the email carries them all).
 */
const CARD_BUDGET_CHARS = 22_000;
/** Teams shows a handful of buttons at most; a digest links the first clusters only. */
const MAX_CARD_ACTIONS = 5;
const SUBJECT_MAX = 200;
/** Members of a group named in an alert before `and N more` (the API and JSON list them all). */
const ALERT_MEMBERS = 10;

// ---------------------------------------------------------------------------------------------
// Shared helpers

/** Worst first, then by cluster name and time, so a digest reads in the order to act. */
export function sortAlerts(alerts: readonly Alert[]): Alert[] {
  return [...alerts].sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) ||
      (a.clusterName ?? '').localeCompare(b.clusterName ?? '') ||
      (a.createdAt ?? '').localeCompare(b.createdAt ?? '') ||
      a.dedupeKey.localeCompare(b.dedupeKey),
  );
}

/** The highest severity among the alerts (info when none). */
export function worstSeverity(alerts: readonly Alert[]): Severity {
  return sortAlerts(alerts)[0]?.severity ?? 'info';
}

/** One line, no control characters: safe in a mail subject and a log line. */
function oneLine(value: string | undefined): string {
  return (value ?? '')
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim();
}

export function escapeHtml(value: string | undefined): string {
  return (value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Only absolute http(s) URLs become links; anything else is dropped. */
export function safeLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  try {
    const url = new URL(link);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}

function clusterCount(alerts: readonly Alert[]): number {
  return new Set(alerts.map((a) => (a.clusterId || a.clusterName).toLowerCase())).size;
}

function describeCapabilities(p: PrincipalAccess): string {
  return p.capabilities?.length ? ` (${p.capabilities.join(', ')})` : '';
}

/** `Dave Jones (dave@contoso.example) · Contributor at rg-prod · User 1111… (admin-credential, cluster-write)`. */
function describeHolder(p: PrincipalAccess): string {
  return `${describeGrant({ ...p, roleName: p.roleName || p.roleDefinitionId || 'an unnamed role' })}${describeCapabilities(p)}`;
}

/** `alice@contoso.com (object id …, app id …) from 203.0.113.7`. */
export function describeCaller(caller: Caller): string {
  const ids = [
    caller.objectId ? `object id ${caller.objectId}` : '',
    caller.appId ? `app id ${caller.appId}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const name = caller.name || (caller.objectId || caller.appId ? '' : 'unknown caller');
  const who = [name, ids ? (name ? `(${ids})` : ids) : ''].filter(Boolean).join(' ');
  return `${who} from ${caller.ipAddress || 'an unknown IP address'}`;
}

/** The subject as the alert's title, led by the cluster name (titles from core/alerts already are). */
function alertHeadline(alert: Alert): string {
  const title = oneLine(alert.title);
  const cluster = oneLine(alert.clusterName);
  if (!cluster || title.toLowerCase().startsWith(`${cluster.toLowerCase()}:`))
    return title || cluster;
  return `${cluster}: ${title}`;
}

function truncate(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

/** A field of one alert, label and value, in the order a responder reads them. */
interface Field {
  label: string;
  value: string;
  /** A value of several lines (the accepted-risk digest's list): `value` is its first. */
  more?: string[];
}

function alertFields(alert: Alert): Field[] {
  const fields: Field[] = [{ label: 'Severity', value: alert.severity.toUpperCase() }];
  // The accepted-risk digest is about the estate, not one cluster.
  if (alert.clusterId)
    fields.push({
      label: 'Cluster',
      value: `${alert.clusterName} (resource group ${alert.resourceGroup || '?'}, subscription ${alert.subscriptionId || '?'})`,
    });
  fields.push({ label: 'Check', value: `${alert.checkId} (${alert.kind})` });
  if (alert.before) fields.push({ label: 'Before', value: alert.before });
  if (alert.after) fields.push({ label: 'Now', value: alert.after });
  if (alert.principal)
    fields.push({ label: 'Who has the access', value: describeHolder(alert.principal) });
  // A group's access is its members' access: name the people behind it (guests, disabled flagged).
  if (alert.principal?.members)
    fields.push({
      label: 'Members',
      value: describeMembers(alert.principal.members, ALERT_MEMBERS),
    });
  if (alert.caller) fields.push({ label: 'Caller', value: describeCaller(alert.caller) });
  fields.push({ label: 'Detected', value: alert.createdAt });
  if (alert.clusterId) fields.push({ label: 'Cluster id', value: alert.clusterId });
  // One line each, no control characters: a hostile name cannot forge lines or send terminal
  // escape sequences to the console channel. The accepted-risk digest's list, which the auditor
  // writes one entry per line, keeps its lines, each cleaned the same way and rendered indented
  // under its label.
  return fields.map((f) => {
    if (alert.kind !== 'accepted-risk' || f.label !== 'Now')
      return { label: f.label, value: oneLine(f.value) };
    const [first = '', ...more] = f.value.split('\n').map(oneLine).filter(Boolean);
    return { label: f.label, value: first, more };
  });
}

function remediationLines(alert: Alert): string[] {
  return (alert.remediation ?? '')
    .split(/\r?\n/)
    .map((line) => line.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').trimEnd())
    .filter((line) => line.trim() !== '');
}

// ---------------------------------------------------------------------------------------------
// Subject

/**
 * A digest counts alerts, not regressions: it also carries real-time signals (an admin
 * credential fetched) and reminders, and leaves out regressions below `ALERT_MIN_SEVERITY` or
 * exempted, so its count is the JSON report's `alerts`, not its `regressions`.
 */
export function renderSubject(alerts: readonly Alert[]): string {
  if (alerts.length === 0) return 'AKS identity digest: no alerts';
  if (alerts.length === 1) {
    const [alert] = alerts;
    return truncate(`[${alert.severity.toUpperCase()}] ${alertHeadline(alert)}`, SUBJECT_MAX);
  }
  return `AKS identity digest: ${plural(alerts.length, 'alert')} on ${plural(clusterCount(alerts), 'cluster')}`;
}

// ---------------------------------------------------------------------------------------------
// Plain text

function textOfAlert(alert: Alert): string {
  const lines = [`[${alert.severity.toUpperCase()}] ${alertHeadline(alert)}`, ''];
  const width = Math.max(...alertFields(alert).map((f) => f.label.length)) + 2;
  for (const field of alertFields(alert)) {
    lines.push(`${`${field.label}:`.padEnd(width)}${field.value}`);
    for (const line of field.more ?? []) lines.push(`${' '.repeat(width)}${line}`);
  }
  lines.push('', 'Fix:');
  for (const line of remediationLines(alert)) lines.push(`    ${line}`);
  const link = safeLink(alert.link);
  if (link) lines.push('', `Details: ${link}`);
  return lines.join('\n');
}

export function renderText(alerts: readonly Alert[]): string {
  const sorted = sortAlerts(alerts);
  if (sorted.length === 1) return `${textOfAlert(sorted[0])}\n`;
  const rule = '-'.repeat(72);
  const parts = [renderSubject(sorted), '', `Alerts by severity: ${severityCounts(sorted)}`];
  for (const alert of sorted) parts.push('', rule, textOfAlert(alert));
  return `${parts.join('\n')}\n`;
}

/** `critical 2 · high 1 · medium 0 · low 0 · info 0`, worded as the CLI's summary words it. */
function severityCounts(alerts: readonly Alert[]): string {
  return severityCountsText(countBySeverity(alerts));
}

// ---------------------------------------------------------------------------------------------
// HTML (inline styles only: mail clients drop <style> blocks)

const SEVERITY_COLOURS: Record<Severity, string> = {
  critical: '#a4262c',
  high: '#d83b01',
  medium: '#986f0b',
  low: '#005a9e',
  info: '#605e5c',
};

function htmlOfAlert(alert: Alert): string {
  const colour = SEVERITY_COLOURS[alert.severity] ?? '#605e5c';
  const rows = alertFields(alert)
    .map(
      (f) =>
        `<tr><th style="text-align:left;vertical-align:top;padding:2px 12px 2px 0;white-space:nowrap">${escapeHtml(f.label)}</th>` +
        `<td style="padding:2px 0">${[f.value, ...(f.more ?? [])].map(escapeHtml).join('<br>')}</td></tr>`,
    )
    .join('');
  const fix = remediationLines(alert).map(escapeHtml).join('\n');
  const link = safeLink(alert.link);
  return [
    `<div style="border-left:4px solid ${colour};padding:8px 12px;margin:12px 0">`,
    `<h2 style="margin:0 0 8px 0;font-size:16px"><span style="color:${colour}">[${escapeHtml(alert.severity.toUpperCase())}]</span> ${escapeHtml(alertHeadline(alert))}</h2>`,
    `<table style="border-collapse:collapse;font-size:14px">${rows}</table>`,
    `<p style="margin:8px 0 4px 0"><strong>Fix</strong></p>`,
    `<pre style="font-family:Consolas,Menlo,monospace;background:#f3f2f1;padding:8px;white-space:pre-wrap;margin:0">${fix}</pre>`,
    link
      ? `<p style="margin:8px 0 0 0"><a href="${escapeHtml(link)}">Open the cluster in the dashboard</a></p>`
      : '',
    `</div>`,
  ].join('');
}

export function renderHtml(alerts: readonly Alert[]): string {
  const sorted = sortAlerts(alerts);
  const heading =
    sorted.length === 1
      ? ''
      : `<h1 style="font-size:18px">${escapeHtml(renderSubject(sorted))}</h1><p>Alerts by severity: ${escapeHtml(severityCounts(sorted))}</p>`;
  return [
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>',
    escapeHtml(renderSubject(sorted)),
    '</title></head><body style="font-family:Segoe UI,Helvetica,Arial,sans-serif;color:#201f1e">',
    heading,
    ...sorted.map(htmlOfAlert),
    '<p style="color:#605e5c;font-size:12px">Sent by AKS Identity Auditor.</p>',
    '</body></html>',
  ].join('');
}

// ---------------------------------------------------------------------------------------------
// Adaptive Card

const CARD_COLOURS: Record<Severity, TextRun['color']> = {
  critical: 'Attention',
  high: 'Attention',
  medium: 'Warning',
  low: 'Accent',
  info: 'Default',
};

function run(text: string, extra: Omit<TextRun, 'type' | 'text'> = {}): TextRun {
  return { type: 'TextRun', text, ...extra };
}

function cardOfAlert(alert: Alert, options: { separator: boolean }): ContainerElement {
  const items: AdaptiveElement[] = [
    {
      type: 'RichTextBlock',
      inlines: [
        run(`${alert.severity.toUpperCase()} `, {
          weight: 'Bolder',
          color: CARD_COLOURS[alert.severity],
        }),
        run(alertHeadline(alert), { weight: 'Bolder', size: 'Medium' }),
      ],
    },
  ];
  for (const field of alertFields(alert)) {
    if (field.label === 'Severity') continue;
    items.push({
      type: 'RichTextBlock',
      spacing: 'Small',
      inlines: [run(`${field.label}: `, { weight: 'Bolder' }), run(field.value)],
    });
    for (const line of field.more ?? [])
      items.push({ type: 'RichTextBlock', spacing: 'None', inlines: [run(line)] });
  }
  items.push({ type: 'TextBlock', text: 'Fix', weight: 'Bolder', wrap: true, spacing: 'Medium' });
  for (const line of remediationLines(alert)) {
    items.push({
      type: 'RichTextBlock',
      spacing: 'None',
      inlines: [run(line, { fontType: 'Monospace' })],
    });
  }
  return {
    type: 'Container',
    style:
      alert.severity === 'critical' || alert.severity === 'high'
        ? 'attention'
        : alert.severity === 'medium'
          ? 'warning'
          : 'default',
    items,
    ...(options.separator ? { separator: true, spacing: 'Large' as const } : {}),
  };
}

function cardActions(alerts: readonly Alert[]): AdaptiveAction[] {
  const actions: AdaptiveAction[] = [];
  const seen = new Set<string>();
  for (const alert of alerts) {
    const link = safeLink(alert.link);
    if (!link || seen.has(link)) continue;
    seen.add(link);
    actions.push({
      type: 'Action.OpenUrl',
      title:
        alerts.length === 1 || clusterCount(alerts) === 1
          ? 'Open cluster posture'
          : `Open ${oneLine(alert.clusterName)}`,
      url: link,
    });
    if (actions.length >= MAX_CARD_ACTIONS) break;
  }
  return actions;
}

export function renderAdaptiveCard(alerts: readonly Alert[]): AdaptiveCard {
  const sorted = sortAlerts(alerts);
  const body: AdaptiveElement[] = [];
  if (sorted.length !== 1) {
    body.push({
      type: 'TextBlock',
      text: renderSubject(sorted),
      size: 'Large',
      weight: 'Bolder',
      wrap: true,
    });
    body.push({
      type: 'TextBlock',
      text: sorted.length ? `Alerts by severity: ${severityCounts(sorted)}` : 'nothing to report',
      isSubtle: true,
      wrap: true,
      spacing: 'None',
    });
  }
  let used = JSON.stringify(body).length;
  let shown = 0;
  for (const alert of sorted) {
    const section = cardOfAlert(alert, { separator: sorted.length !== 1 });
    const size = JSON.stringify(section).length;
    // Always show the worst alert, however long; stop before the card gets too big for Teams.
    if (shown > 0 && used + size > CARD_BUDGET_CHARS) break;
    body.push(section);
    used += size;
    shown += 1;
  }
  if (shown < sorted.length) {
    body.push({
      type: 'TextBlock',
      text: `…and ${plural(sorted.length - shown, 'more alert')} not shown here: see the email digest or GET /api/regressions.`,
      isSubtle: true,
      wrap: true,
    });
  }
  const card: AdaptiveCard = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    msteams: { width: 'Full' },
  };
  const actions = cardActions(sorted.slice(0, shown));
  if (actions.length) card.actions = actions;
  return card;
}

export function teamsMessage(card: AdaptiveCard): TeamsMessage {
  return {
    type: 'message',
    attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content: card }],
  };
}

/**
 * Everything a channel needs. A digest of one alert renders like a single alert: the specific
 * subject is more useful than "1 regression on 1 cluster".
 */
export function renderAlerts(alerts: readonly Alert[]): RenderedAlerts {
  return {
    subject: renderSubject(sortAlerts(alerts)),
    text: renderText(alerts),
    html: renderHtml(alerts),
    card: renderAdaptiveCard(alerts),
  };
}
