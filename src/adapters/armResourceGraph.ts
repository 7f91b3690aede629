/**
 * The 'resourceGraph' mode of the live `EstateSource`: clusters and role assignments of up to
 * 1,000 subscriptions per paged Resource Graph query, normalised by `core/normalise`.
 */
import type { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { describeAzureError } from './azureErrors';
import { normaliseItem, type ArmClients } from './armClients';
import type { Estate } from '../core/model';
import { normaliseCluster, normaliseRoleAssignment } from '../core/normalise';

/** Resource Graph accepts at most 1,000 subscriptions per request and 1,000 rows per page. */
const GRAPH_SUBSCRIPTION_BATCH = 1000;
const GRAPH_PAGE_ROWS = 1000;

const CLUSTERS_QUERY = [
  'resources',
  "| where type =~ 'microsoft.containerservice/managedclusters'",
  '| project id, name, type, location, resourceGroup, subscriptionId, tenantId, sku, identity, properties',
  '| order by id asc',
].join(' ');
const ROLE_ASSIGNMENTS_QUERY = [
  'authorizationresources',
  "| where type =~ 'microsoft.authorization/roleassignments'",
  '| project id, name, type, subscriptionId, properties',
  '| order by id asc',
].join(' ');
const SUBSCRIPTION_ANCESTRY_QUERY = [
  'resourcecontainers',
  "| where type =~ 'microsoft.resources/subscriptions'",
  '| project id, subscriptionId, properties',
  '| order by id asc',
].join(' ');

/**
 * Trade-off against 'arm' mode: Resource Graph answers for up to 1,000 subscriptions per query,
 * so a large estate costs a handful of paged POSTs instead of two listings per subscription,
 * and it has its own throttling quota apart from the ARM read quota. In exchange its data lags
 * ARM by seconds to minutes (fine for the nightly audit, less so right after an event), a
 * failure cannot be pinned on one subscription (every queried subscription is reported), and
 * management-group assignments come without the subscription they apply to: the subscription
 * ancestry (`readSubscriptionAncestry`, read in both modes) says which; if it failed, such
 * assignments apply to every cluster read (over-reporting access is the safe side).
 */
export async function readWithResourceGraph(
  clients: ArmClients,
  targets: string[],
  estate: Estate,
  ancestry: Promise<AncestryRead>,
): Promise<void> {
  const client = clients.resourceGraph();
  const [clusterRows, assignmentRows, ancestryRead] = await Promise.all([
    queryAll(client, CLUSTERS_QUERY, targets),
    queryAll(client, ROLE_ASSIGNMENTS_QUERY, targets, {
      authorizationScopeFilter: 'AtScopeAboveAndBelow',
    }),
    ancestry,
  ]);

  if ('error' in clusterRows) {
    for (const subscriptionId of targets) {
      estate.failures.push({
        subscriptionId,
        part: 'clusters',
        message: `Resource Graph cluster query failed: ${clusterRows.error}`,
      });
    }
  } else {
    clusterRows.rows.forEach((raw, index) => {
      const subscriptionId = subscriptionOf(raw) ?? '*';
      const where = `Resource Graph managed clusters, row ${index}`;
      const cluster = normaliseItem(
        () => normaliseCluster(raw, where),
        subscriptionId,
        'clusters',
        estate.failures,
      );
      if (cluster) estate.clusters.push(cluster);
    });
  }

  if ('error' in assignmentRows) {
    for (const subscriptionId of targets) {
      estate.failures.push({
        subscriptionId,
        part: 'roleAssignments',
        message: `Resource Graph role-assignment query failed: ${assignmentRows.error}`,
      });
    }
    return;
  }
  const known = 'error' in ancestryRead ? undefined : ancestryRead.ancestry;
  const targetSet = new Set(targets);
  assignmentRows.rows.forEach((raw, index) => {
    const where = `Resource Graph role assignments, row ${index}`;
    for (const listedIn of listingsOf(raw, targetSet, known)) {
      const assignment = normaliseItem(
        () => normaliseRoleAssignment(raw, where, listedIn),
        listedIn ?? '*',
        'roleAssignments',
        estate.failures,
      );
      if (assignment) estate.roleAssignments.push(assignment);
    }
  });
}

export type AncestryRead = { ancestry: Record<string, string[]> } | { error: string };

/**
 * The management groups above each subscription (Resource Graph `resourcecontainers`,
 * `properties.managementGroupAncestorsChain`, nearest first): one paged query per 1,000
 * subscriptions, once per estate read, in both modes. A subscription the query does not return,
 * or returns with an empty chain (every subscription sits at least under the tenant root group),
 * is left out: unknown.
 */
export async function readSubscriptionAncestry(
  clients: ArmClients,
  targets: string[],
): Promise<AncestryRead> {
  const rows = await queryAll(clients.resourceGraph(), SUBSCRIPTION_ANCESTRY_QUERY, targets);
  return 'error' in rows ? rows : { ancestry: managementGroupAncestry(rows.rows) };
}

/** Every row of a query over the subscriptions, following `$skipToken` page by page. */
async function queryAll(
  client: ResourceGraphClient,
  query: string,
  subscriptions: string[],
  extra: { authorizationScopeFilter?: 'AtScopeAboveAndBelow' } = {},
): Promise<{ rows: Record<string, unknown>[] } | { error: string }> {
  const rows: Record<string, unknown>[] = [];
  try {
    for (let start = 0; start < subscriptions.length; start += GRAPH_SUBSCRIPTION_BATCH) {
      const batch = subscriptions.slice(start, start + GRAPH_SUBSCRIPTION_BATCH);
      let skipToken: string | undefined;
      do {
        const response = await client.resources({
          query,
          subscriptions: batch,
          options: {
            top: GRAPH_PAGE_ROWS,
            resultFormat: 'objectArray',
            ...extra,
            ...(skipToken ? { skipToken } : {}),
          },
        });
        if (!Array.isArray(response.data))
          return { error: 'Resource Graph returned rows in an unexpected format' };
        rows.push(...(response.data as Record<string, unknown>[]));
        if (response.resultTruncated === 'true' && !response.skipToken) {
          return { error: 'Resource Graph truncated the result without a continuation token' };
        }
        skipToken = response.skipToken || undefined;
      } while (skipToken);
    }
  } catch (error) {
    return { error: describeAzureError(error) };
  }
  return { rows };
}

/**
 * The subscriptions whose listing a Resource Graph assignment row stands for, like the
 * per-subscription listings of 'arm' mode: its own subscription; for a management-group
 * assignment each watched subscription under that group, or `undefined` (every cluster read)
 * when the group holds all of them, the ancestry is unknown, or the scope is the root.
 */
function listingsOf(
  raw: Record<string, unknown>,
  targets: Set<string>,
  ancestry: Record<string, string[]> | undefined,
): Array<string | undefined> {
  const sub = subscriptionOf(raw);
  if (sub) return [sub];
  const scope = String(
    (raw.properties as Record<string, unknown> | undefined)?.scope ?? '',
  ).toLowerCase();
  const mg = /^\/providers\/microsoft\.management\/managementgroups\/([^/]+)\/?$/.exec(scope)?.[1];
  if (!mg || !ancestry) return [undefined];
  // A subscription of unknown ancestry counts as under the group (over-report, never under).
  const under = [...targets].filter((s) => !ancestry[s] || ancestry[s].includes(mg));
  if (under.length === targets.size) return [undefined];
  return under;
}

/** Subscription id → names of the management groups above it (lower-cased, nearest first). */
function managementGroupAncestry(rows: Record<string, unknown>[]): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const row of rows) {
    const sub = subscriptionOf(row);
    if (!sub) continue;
    const chain = (
      row.properties as { managementGroupAncestorsChain?: Array<{ name?: string }> } | undefined
    )?.managementGroupAncestorsChain;
    const names = (Array.isArray(chain) ? chain : [])
      .map((g) => String(g?.name ?? '').toLowerCase())
      .filter(Boolean);
    if (names.length > 0) result[sub] = names;
  }
  return result;
}

function subscriptionOf(row: Record<string, unknown>): string | undefined {
  const column =
    typeof row.subscriptionId === 'string' ? row.subscriptionId.trim().toLowerCase() : '';
  if (column) return column;
  const fromScope = /^\/subscriptions\/([^/]+)/i.exec(
    String((row.properties as Record<string, unknown> | undefined)?.scope ?? ''),
  )?.[1];
  return (
    fromScope?.toLowerCase() ??
    /^\/subscriptions\/([^/]+)/i.exec(String(row.id ?? ''))?.[1]?.toLowerCase()
  );
}
