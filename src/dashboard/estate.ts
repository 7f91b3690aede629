/**
 * The estate page's table: which stored clusters a query selects, in which order, which page.
 * Pure. The page reads every stored summary once and filters, sorts and pages here, so the
 * sort covers the whole estate (not one store page) and the subscription filter can offer every
 * subscription the store knows.
 */
import { describe, parseClusterStatus, parseSeverity } from '../core/azureNames';
import { checkById } from '../core/checks';
import { InputError } from '../core/errors';
import { SEVERITIES, type ClusterStatus, type Severity } from '../core/model';
import type { PostureSummary } from '../core/ports';
import { atLeast, severityRank } from '../core/report';

export const SORT_KEYS = [
  'name',
  'status',
  'score',
  'failing',
  'regressions',
  'evaluated',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDirection = 'asc' | 'desc';

export const ESTATE_PAGE_SIZE = 25;

/** What the estate page was asked for; every value validated. */
export interface EstateQuery {
  subscriptionId?: string;
  status?: ClusterStatus;
  /** Clusters failing a check at this severity or above (as `GET /api/clusters?severity=`). */
  severity?: Severity;
  /** Case-insensitive substring of the cluster name. */
  text?: string;
  sort: SortKey;
  direction: SortDirection;
  page: number;
}

/** The direction a column sorts in when first clicked: the worst clusters first. */
export const DEFAULT_DIRECTION: Readonly<Record<SortKey, SortDirection>> = Object.freeze({
  name: 'asc',
  status: 'asc',
  score: 'asc',
  failing: 'desc',
  regressions: 'desc',
  evaluated: 'desc',
});

const SUBSCRIPTION = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_TEXT = 100;

/**
 * Parses the estate page's query values. An empty value (a form's "any" choice) means the
 * filter is off; anything else that is not valid is refused with a message naming it.
 */
export function parseEstateQuery(values: Record<string, string | undefined>): EstateQuery {
  const given = (name: string): string | undefined => {
    const value = values[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const subscriptionId = given('subscriptionId');
  if (subscriptionId !== undefined && !SUBSCRIPTION.test(subscriptionId)) {
    throw new InputError(
      `subscriptionId must be a subscription id (a GUID), got ${describe(subscriptionId)}`,
    );
  }
  const text = given('q');
  if (text !== undefined && text.length > MAX_TEXT)
    throw new InputError(`q must be at most ${MAX_TEXT} characters`);
  const sortValue = given('sort') ?? 'score';
  if (!(SORT_KEYS as readonly string[]).includes(sortValue)) {
    throw new InputError(`sort must be one of ${SORT_KEYS.join(', ')}, got ${describe(sortValue)}`);
  }
  const sort = sortValue as SortKey;
  const directionValue = given('dir') ?? DEFAULT_DIRECTION[sort];
  if (directionValue !== 'asc' && directionValue !== 'desc')
    throw new InputError(`dir must be asc or desc, got ${describe(directionValue)}`);
  const pageValue = given('page') ?? '1';
  if (!/^\d{1,6}$/.test(pageValue) || Number(pageValue) < 1)
    throw new InputError(`page must be a whole number from 1, got ${describe(pageValue)}`);
  const status = given('status');
  const severity = given('severity');
  return {
    subscriptionId: subscriptionId?.toLowerCase(),
    status: status !== undefined ? parseClusterStatus(status, 'status') : undefined,
    severity: severity !== undefined ? parseSeverity(severity, 'severity') : undefined,
    text,
    sort,
    direction: directionValue,
    page: Number(pageValue),
  };
}

/** One row of the estate table. */
export interface EstateRow {
  summary: PostureSummary;
  /** Failing checks counted by the check's severity, every severity present (0 when none). */
  failingBySeverity: Record<Severity, number>;
  failingCount: number;
  openRegressions: number;
}

/** Failing check ids counted by severity; a check id the catalogue does not know counts as critical (over-report). */
export function failingBySeverity(failingCheckIds: readonly string[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const id of failingCheckIds) counts[checkById(id)?.severity ?? 'critical'] += 1;
  return counts;
}

export function matchesQuery(
  summary: PostureSummary,
  query: Pick<EstateQuery, 'subscriptionId' | 'status' | 'severity' | 'text'>,
): boolean {
  if (
    query.subscriptionId !== undefined &&
    summary.subscriptionId.toLowerCase() !== query.subscriptionId
  )
    return false;
  if (query.status !== undefined && summary.status !== query.status) return false;
  if (
    query.severity !== undefined &&
    (summary.worstSeverity === undefined || !atLeast(summary.worstSeverity, query.severity))
  )
    return false;
  if (query.text !== undefined && !summary.name.toLowerCase().includes(query.text.toLowerCase()))
    return false;
  return true;
}

/** Worst first: `fail`, then `error` (unknown), then `pass`. */
const STATUS_ORDER: Readonly<Record<ClusterStatus, number>> = { fail: 0, error: 1, pass: 2 };

/** 0 when nothing fails, up to 5 when a critical check fails. */
function failingWeight(row: EstateRow): number {
  return row.summary.worstSeverity
    ? SEVERITIES.length - severityRank(row.summary.worstSeverity)
    : 0;
}

function compareRows(key: SortKey): (a: EstateRow, b: EstateRow) => number {
  switch (key) {
    case 'name':
      return (a, b) => a.summary.name.localeCompare(b.summary.name);
    case 'status':
      return (a, b) => STATUS_ORDER[a.summary.status] - STATUS_ORDER[b.summary.status];
    case 'score':
      return (a, b) => a.summary.score - b.summary.score;
    case 'failing':
      // Ascending: least failing first, by the worst failing severity, then by how many checks fail.
      return (a, b) => failingWeight(a) - failingWeight(b) || a.failingCount - b.failingCount;
    case 'regressions':
      return (a, b) => a.openRegressions - b.openRegressions;
    case 'evaluated':
      return (a, b) => a.summary.evaluatedAt.localeCompare(b.summary.evaluatedAt);
  }
}

export interface EstateTable {
  rows: EstateRow[];
  /** Clusters the filters selected (all pages). */
  matching: number;
  page: number;
  pageCount: number;
}

/**
 * Filter, sort (ties broken by name, then id, so the order is stable across pages) and cut out
 * the requested page. A page past the end gives the last page.
 */
export function estateTable(
  summaries: readonly PostureSummary[],
  openRegressions: ReadonlyMap<string, number>,
  query: EstateQuery,
  pageSize = ESTATE_PAGE_SIZE,
): EstateTable {
  const rows: EstateRow[] = summaries
    .filter((s) => !s.deleted && matchesQuery(s, query))
    .map((summary) => {
      const counts = failingBySeverity(summary.failingCheckIds);
      return {
        summary,
        failingBySeverity: counts,
        failingCount: summary.failingCheckIds.length,
        openRegressions: openRegressions.get(summary.id.toLowerCase()) ?? 0,
      };
    });
  const compare = compareRows(query.sort);
  const sign = query.direction === 'asc' ? 1 : -1;
  rows.sort(
    (a, b) =>
      sign * compare(a, b) ||
      a.summary.name.localeCompare(b.summary.name) ||
      a.summary.id.localeCompare(b.summary.id),
  );
  const pageCount = Math.max(1, Math.ceil(rows.length / pageSize));
  const page = Math.min(query.page, pageCount);
  return {
    rows: rows.slice((page - 1) * pageSize, page * pageSize),
    matching: rows.length,
    page,
    pageCount,
  };
}
