/**
 * The dashboard pages: each reads what it shows through the same store queries as the HTTP
 * API (`usecases/queries`), builds its view model with the pure modules beside it, and renders
 * it. Query values are validated before the store is asked anything.
 */
import { InputError } from '../core/errors';
import type { ClusterPosture } from '../core/model';
import type { ExemptionStore, HistoryEntry, PostureStore, PostureSummary } from '../core/ports';
import {
  checkQuery,
  getCluster,
  getClusterHistory,
  listRegressions,
  type ClusterSegments,
  type QueryValues,
  type RegressionView,
} from '../usecases/queries';
import { layoutAccessGraph } from './accessGraph';
import { CAPABILITY_WORDS } from '../core/alerts';
import { capabilityHolders, findingGroups, MARK_WORDS, marksOf, mergedGrants } from './clusterView';
import {
  DEFAULT_DIRECTION,
  estateTable,
  parseEstateQuery,
  SORT_KEYS,
  type EstateQuery,
  type SortKey,
} from './estate';
import { Links, renderPage, type LinkParams } from './render';
import { layoutScoreChart } from './scoreChart';
import { EXEMPTION_WARNING_DAYS } from '../core/exemptions';
import { clustersToName, exemptionLists, namesFromPostures } from './exemptionsView';

const REGRESSION_KINDS = ['check-failed', 'privilege-gained', 'severity-rose', 'exemption-expired'];
/** The store's largest page: the estate page reads every summary in as few round trips as it can. */
const SUMMARY_PAGE = 1000;
const HISTORY_POINTS = 50;
/**
 * Postures the exemptions page reads to name the principals of exemptions (those of clusters
 * the exemptions cover): bounded so a subscription-wide exemption does not read the estate.
 * A principal none of them names is shown by id, marked "name unknown".
 */
const NAMING_POSTURES = 25;

export interface PageRequest {
  query: QueryValues;
  now: Date;
}

function linksOf(query: QueryValues): Links {
  const code = query.code;
  return new Links(code !== undefined && code !== '' ? code : undefined);
}

async function allSummaries(store: PostureStore): Promise<PostureSummary[]> {
  const summaries: PostureSummary[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await store.listPostures({}, { pageSize: SUMMARY_PAGE, continuationToken });
    summaries.push(...page.items);
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return summaries;
}

/**
 * Regressions still open per cluster (lower-cased id): those of the regressions page's window
 * (recent alerts that paged) whose check still fails in the cluster's latest posture. Real-time
 * signals (a credential fetch) are events, not states, and are not counted.
 */
export function openRegressionCounts(
  regressions: readonly RegressionView[],
  summaries: readonly PostureSummary[],
): Map<string, number> {
  const failing = new Map(summaries.map((s) => [s.id.toLowerCase(), new Set(s.failingCheckIds)]));
  const counts = new Map<string, number>();
  for (const regression of regressions) {
    const key = regression.clusterId.toLowerCase();
    if (!REGRESSION_KINDS.includes(regression.kind) || !failing.get(key)?.has(regression.checkId))
      continue;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The query values of the estate page for `query` with some changed (page reset unless given). */
export function estateParams(query: EstateQuery, changes: Partial<EstateQuery> = {}): LinkParams {
  const next = { ...query, page: 1, ...changes };
  return {
    subscriptionId: next.subscriptionId,
    status: next.status,
    severity: next.severity,
    q: next.text,
    sort: next.sort,
    dir: next.direction,
    page: next.page > 1 ? next.page : undefined,
  };
}

const COLUMN_LABELS: Readonly<Record<SortKey, string>> = {
  name: 'Cluster',
  status: 'Status',
  score: 'Score',
  failing: 'Failing checks',
  regressions: 'Open regressions',
  evaluated: 'Last evaluation',
};

export async function estatePage(store: PostureStore, request: PageRequest): Promise<string> {
  checkQuery(request.query, ['subscriptionId', 'status', 'severity', 'q', 'sort', 'dir', 'page']);
  const query = parseEstateQuery(request.query);
  const links = linksOf(request.query);
  const [summaries, recent] = await Promise.all([
    allSummaries(store),
    listRegressions(store, {}, request.now),
  ]);
  const live = summaries.filter((s) => !s.deleted);
  const table = estateTable(live, openRegressionCounts(recent.regressions, live), query);
  const columns = SORT_KEYS.map((key) => {
    const active = query.sort === key;
    const direction = active
      ? query.direction === 'asc'
        ? 'desc'
        : 'asc'
      : DEFAULT_DIRECTION[key];
    return {
      key,
      label: COLUMN_LABELS[key],
      href: links.estate(estateParams(query, { sort: key, direction })),
      ariaSort: active ? (query.direction === 'asc' ? 'ascending' : 'descending') : undefined,
    };
  });
  const filtered =
    query.subscriptionId !== undefined ||
    query.status !== undefined ||
    query.severity !== undefined ||
    query.text !== undefined;
  return renderPage(
    'estate',
    { title: 'Estate', page: 'estate', links, now: request.now },
    {
      query,
      table,
      columns,
      filtered,
      clearHref: links.estate(),
      previousHref:
        table.page > 1 ? links.estate(estateParams(query, { page: table.page - 1 })) : undefined,
      nextHref:
        table.page < table.pageCount
          ? links.estate(estateParams(query, { page: table.page + 1 }))
          : undefined,
      subscriptions: [...new Set(live.map((s) => s.subscriptionId.toLowerCase()))].sort(),
      totals: {
        clusters: live.length,
        fail: live.filter((s) => s.status === 'fail').length,
        error: live.filter((s) => s.status === 'error').length,
        pass: live.filter((s) => s.status === 'pass').length,
      },
    },
  );
}

export async function clusterPage(
  store: PostureStore,
  segments: ClusterSegments,
  request: PageRequest,
): Promise<string> {
  checkQuery(request.query, []);
  const posture = await getCluster(store, segments);
  const history = await getClusterHistory(store, segments, { pageSize: String(HISTORY_POINTS) });
  return renderClusterPage(posture, history.history, {
    links: linksOf(request.query),
    now: request.now,
  });
}

/** The cluster page for a posture and its history (newest first). */
export function renderClusterPage(
  posture: ClusterPosture,
  history: readonly HistoryEntry[],
  frame: { links: Links; now: Date },
): string {
  const grants = mergedGrants(posture);
  return renderPage(
    'cluster',
    { title: posture.name, page: 'cluster', ...frame },
    {
      posture,
      groups: findingGroups(posture.findings),
      capabilities: capabilityHolders(grants),
      graph: layoutAccessGraph(grants, posture),
      chart: history.length > 0 ? layoutScoreChart(history) : undefined,
      history,
      capabilityWords: CAPABILITY_WORDS,
      markWords: MARK_WORDS,
      marksOf,
      jsonHref: frame.links.clusterJson(posture),
      regressionsHref: frame.links.regressions(),
    },
  );
}

/** The windows the regressions page offers, in days. */
export const REGRESSION_WINDOWS = [1, 7, 30, 90] as const;

export async function regressionsPage(store: PostureStore, request: PageRequest): Promise<string> {
  checkQuery(request.query, ['days']);
  const daysValue = request.query.days?.trim() || '7';
  const days = Number(daysValue);
  if (!(REGRESSION_WINDOWS as readonly number[]).includes(days) || !/^\d+$/.test(daysValue)) {
    throw new InputError(
      `days must be one of ${REGRESSION_WINDOWS.join(', ')}, got ${JSON.stringify(daysValue.slice(0, 20))}`,
    );
  }
  const links = linksOf(request.query);
  const since = new Date(request.now.getTime() - days * 24 * 3600 * 1000);
  const result = await listRegressions(store, { since: since.toISOString() }, request.now);
  return renderPage(
    'regressions',
    { title: 'Regressions', page: 'regressions', links, now: request.now },
    {
      days,
      windows: REGRESSION_WINDOWS,
      since: result.since,
      regressions: result.regressions,
    },
  );
}

export async function exemptionsPage(
  stores: { postures: PostureStore; exemptions: ExemptionStore },
  request: PageRequest,
): Promise<string> {
  checkQuery(request.query, []);
  const links = linksOf(request.query);
  const [exemptions, summaries] = await Promise.all([
    stores.exemptions.list(),
    allSummaries(stores.postures),
  ]);
  const live = summaries.filter((s) => !s.deleted);
  const postures = await Promise.all(
    clustersToName(exemptions, live, NAMING_POSTURES).map((id) => stores.postures.getPosture(id)),
  );
  const named = postures.filter((p): p is ClusterPosture => p !== undefined);
  return renderPage(
    'exemptions',
    { title: 'Exemptions', page: 'exemptions', links, now: request.now },
    {
      lists: exemptionLists(exemptions, live, namesFromPostures(named), request.now),
      warningDays: EXEMPTION_WARNING_DAYS,
    },
  );
}

export interface ErrorPage {
  status: number;
  title: string;
  message: string;
}

export function errorPage(error: ErrorPage, request: PageRequest): string {
  return renderPage(
    'error',
    { title: error.title, page: 'error', links: linksOf(request.query), now: request.now },
    { error },
  );
}
