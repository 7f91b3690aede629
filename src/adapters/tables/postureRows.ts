/**
 * The posture and history rows of a cluster's partition in the `clusters` table
 * (docs/storage.md): the posture row (summary columns for the estate view + the payload,
 * split over `posture-part-NNNN` rows past ~700 KB) and one history row per evaluation that
 * changed something, newest first.
 */
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { KnownClusterFacts } from '../../core/clusterFacts';
import { DependencyError } from '../../core/errors';
import {
  SEVERITIES,
  type ClusterPosture,
  type ClusterStatus,
  type EntraIntegration,
  type Regression,
  type Severity,
} from '../../core/model';
import type { HistoryEntry, PostureSummary } from '../../core/ports';
import type { CatalogueUpgrade } from '../../core/alertPolicy';
import {
  capabilitiesByPrincipal,
  failingCheckIds,
  worstFailingSeverity,
  type PostureMemory,
} from '../../core/regressions';
import { severityRank } from '../../core/report';
import {
  decodePayload,
  encodePayload,
  historyRowKey,
  joinChunks,
  layoutPayload,
  piecesAsProperties,
  POSTURE_PART_PREFIX,
  POSTURE_ROW,
  posturePartRowKey,
  type PayloadEncoding,
} from '../tableKeys';
import { parseJson, stringOr, type Entity, type EntityResult } from './common';

/** Under the 4 MiB transaction body, with room for the multipart framing. */
const TRANSACTION_BODY_BUDGET = 3.5 * 1024 * 1024;

export const SUMMARY_COLUMNS = [
  'clusterId',
  'name',
  'subscriptionId',
  'resourceGroup',
  'status',
  'score',
  'failingCheckIds',
  'worstSeverity',
  'privilegedPrincipalCount',
  'evaluatedAt',
  'deleted',
];

/** The posture payload: the posture as recorded plus what the diff must remember (core/regressions). */
interface StoredPayload {
  posture: ClusterPosture;
  memory: PostureMemory;
}

export interface StoredPosture {
  etag: string;
  posture: ClusterPosture;
  memory: PostureMemory;
  deleted: boolean;
  /** Row keys of the part rows that exist now. */
  partRowKeys: string[];
  summary: Record<string, unknown>;
}

function entityBytes(entity: Entity): number {
  return Buffer.byteLength(JSON.stringify(entity), 'utf8') + 512;
}

/** The posture row with its ETag and the payload reassembled from it and its part rows. */
export async function readPosture(
  table: TableClient,
  partitionKey: string,
  maxAttempts: number,
): Promise<StoredPosture | undefined> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const rows: EntityResult[] = [];
    const filter = odata`PartitionKey eq ${partitionKey} and RowKey ge ${POSTURE_ROW} and RowKey lt ${'posture.'}`;
    for await (const row of table.listEntities({ queryOptions: { filter } })) rows.push(row);
    const main = rows.find((r) => r.rowKey === POSTURE_ROW);
    const parts = rows
      .filter((r) => r.rowKey?.startsWith(POSTURE_PART_PREFIX))
      .sort((a, b) => (a.rowKey! < b.rowKey! ? -1 : 1));
    if (!main) return undefined;
    const writeId = main.payloadWriteId;
    const expected = typeof main.payloadParts === 'number' ? main.payloadParts : 0;
    const current = parts.filter((p) => p.payloadWriteId === writeId);
    // A part row from another write means the posture changed between the pages of this
    // read: read again rather than assemble a mix of two versions.
    if (current.length !== expected) continue;
    let text = joinChunks(main, 'payload');
    for (const part of current) text += joinChunks(part, 'payload');
    const payload = parseJson<StoredPayload>(
      decodePayload(text, main.payloadEncoding),
      'posture payload',
    );
    return {
      etag: main.etag,
      posture: payload.posture,
      memory: payload.memory,
      deleted: main.deleted === true,
      partRowKeys: parts.map((p) => p.rowKey!),
      summary: main,
    };
  }
  throw new DependencyError(
    `the stored posture of partition ${partitionKey} kept changing while being read`,
    'storage',
  );
}

/** The posture row (insert or ETag-conditional replace) and its part rows (and deletion of stale ones). */
export function postureActions(
  partitionKey: string,
  posture: ClusterPosture,
  memory: PostureMemory,
  stored: StoredPosture | undefined,
  sourceEventId: string | undefined,
  historyAt: Date | undefined,
): TransactionAction[] {
  const lastHistoryAt = historyAt?.toISOString() ?? stringOr(stored?.summary.lastHistoryAt, '');
  const json = JSON.stringify({ posture, memory } satisfies StoredPayload);
  const writeId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const build = (encoding: PayloadEncoding) => {
    const layout = layoutPayload(encodePayload(json, encoding));
    const row: Entity = {
      partitionKey,
      rowKey: POSTURE_ROW,
      ...summaryColumns(posture),
      deleted: false,
      sourceEventId: sourceEventId ?? '',
      lastHistoryAt,
      // The catalogue the posture was evaluated with (absent in rows written before it was recorded).
      catalogueVersion: memory.catalogueVersion ?? '',
      payloadEncoding: encoding,
      payloadParts: layout.parts.length,
      payloadWriteId: writeId,
      ...piecesAsProperties('payload', layout.main),
    };
    const parts: Entity[] = layout.parts.map((pieces, i) => ({
      partitionKey,
      rowKey: posturePartRowKey(i + 1),
      payloadWriteId: writeId,
      ...piecesAsProperties('payload', pieces),
    }));
    return { row, parts };
  };
  let built = build('json');
  const bytes = (b: typeof built) =>
    [b.row, ...b.parts].reduce((sum, e) => sum + entityBytes(e), 0);
  // Room is kept for the history and alert rows of the same transaction.
  if (bytes(built) > TRANSACTION_BODY_BUDGET * 0.8 || built.parts.length > 40)
    built = build('gzip-base64');
  if (bytes(built) > TRANSACTION_BODY_BUDGET * 0.8 || built.parts.length > 40) {
    throw new Error(
      `the posture of ${posture.id} is too large to store in one transaction even compressed`,
    );
  }
  const actions: TransactionAction[] = [
    stored ? ['update', built.row, 'Replace', { etag: stored.etag }] : ['create', built.row],
    ...built.parts.map((part): TransactionAction => ['upsert', part, 'Replace']),
  ];
  const keep = new Set(built.parts.map((p) => p.rowKey));
  for (const rowKey of stored?.partRowKeys ?? []) {
    if (!keep.has(rowKey)) actions.push(['delete', { partitionKey, rowKey }]);
  }
  return actions;
}

/**
 * The time a new history row is filed under: now, but always after the cluster's previous
 * history row. The posture row remembers that time and is written under its ETag, so history
 * keys of one cluster strictly increase in time even for evaluations within one millisecond or
 * from hosts whose clocks disagree: newest first really is newest first.
 */
export function nextHistoryTime(stored: StoredPosture | undefined, now: Date): Date {
  const last = Date.parse(stringOr(stored?.summary.lastHistoryAt, ''));
  return Number.isNaN(last) || last < now.getTime() ? now : new Date(last + 1);
}

function summaryColumns(posture: ClusterPosture): Record<string, unknown> {
  const worst = worstFailingSeverity(posture);
  return {
    clusterId: posture.id,
    name: posture.name ?? '',
    subscriptionId: (posture.subscriptionId ?? '').toLowerCase(),
    resourceGroup: posture.resourceGroup ?? '',
    status: posture.status,
    score: posture.score,
    failingCheckIds: JSON.stringify(failingCheckIds(posture)),
    worstSeverity: worst ?? '',
    // Without a failing finding the rank is past `info`, so no severity filter matches.
    worstSeverityRank: worst ? severityRank(worst) : SEVERITIES.length,
    privilegedPrincipalCount: capabilitiesByPrincipal(posture.privilegedPrincipals ?? []).size,
    evaluatedAt: posture.evaluatedAt,
    // What the event router needs of every known cluster, read without the payload ('' = unknown).
    nodeResourceGroup: posture.nodeResourceGroup ?? '',
    entraIntegration: posture.entraIntegration ?? '',
  };
}

export const KNOWN_CLUSTER_COLUMNS = ['clusterId', 'nodeResourceGroup', 'entraIntegration'];

const ENTRA_INTEGRATIONS: ReadonlySet<unknown> = new Set(['managed', 'legacy', 'none']);

/** A posture row's routing columns; blank values (rows written before them) stay unknown. */
export function knownClusterFacts(row: EntityResult): KnownClusterFacts | undefined {
  if (typeof row.clusterId !== 'string') return undefined;
  const facts: KnownClusterFacts = { id: row.clusterId };
  if (typeof row.nodeResourceGroup === 'string' && row.nodeResourceGroup !== '')
    facts.nodeResourceGroup = row.nodeResourceGroup;
  if (ENTRA_INTEGRATIONS.has(row.entraIntegration))
    facts.entraIntegration = row.entraIntegration as EntraIntegration;
  return facts;
}

export function summaryOf(row: EntityResult): PostureSummary {
  const worst = row.worstSeverity;
  const summary: PostureSummary = {
    id: stringOr(row.clusterId, ''),
    name: stringOr(row.name, ''),
    subscriptionId: stringOr(row.subscriptionId, ''),
    resourceGroup: stringOr(row.resourceGroup, ''),
    status: stringOr(row.status, 'error') as ClusterStatus,
    score: typeof row.score === 'number' ? row.score : 0,
    failingCheckIds: parseJson<string[]>(row.failingCheckIds ?? '[]', 'failing check ids'),
    privilegedPrincipalCount:
      typeof row.privilegedPrincipalCount === 'number' ? row.privilegedPrincipalCount : 0,
    evaluatedAt: stringOr(row.evaluatedAt, ''),
  };
  if (typeof worst === 'string' && (SEVERITIES as readonly string[]).includes(worst))
    summary.worstSeverity = worst as Severity;
  if (row.deleted === true) summary.deleted = true;
  return summary;
}

/** Regressions are small, but a bulk grant can make thousands: chunked, compressed past one entity. */
function regressionProperties(prefix: string, regressions: Regression[]): Record<string, unknown> {
  const json = JSON.stringify(regressions);
  let encoding: PayloadEncoding = 'json';
  let layout = layoutPayload(json);
  if (layout.parts.length > 0) {
    encoding = 'gzip-base64';
    layout = layoutPayload(encodePayload(json, encoding));
    if (layout.parts.length > 0)
      throw new Error(`${regressions.length} regressions are too many to store in one history row`);
  }
  return { [`${prefix}Encoding`]: encoding, ...piecesAsProperties(prefix, layout.main) };
}

export function historyEntity(
  partitionKey: string,
  posture: ClusterPosture,
  regressions: Regression[],
  now: Date,
  sourceEventId?: string,
  catalogueUpgrade?: CatalogueUpgrade,
): Entity {
  const entity: Entity = {
    partitionKey,
    rowKey: historyRowKey(now),
    clusterId: posture.id,
    evaluatedAt: posture.evaluatedAt,
    recordedAt: now.toISOString(),
    status: posture.status,
    score: posture.score,
    failingCheckIds: JSON.stringify(failingCheckIds(posture)),
    sourceEventId: sourceEventId ?? '',
    deleted: false,
    ...regressionProperties('regressions', regressions),
  };
  if (catalogueUpgrade) {
    Object.assign(entity, {
      catalogueUpgradedFrom: catalogueUpgrade.from,
      catalogueUpgradedTo: catalogueUpgrade.to,
      ...regressionProperties('catalogueChanges', catalogueUpgrade.unpaged),
    });
  }
  return entity;
}

export function historyEntryOf(row: EntityResult): HistoryEntry {
  const entry: HistoryEntry = {
    clusterId: stringOr(row.clusterId, ''),
    evaluatedAt: stringOr(row.evaluatedAt, ''),
    status: stringOr(row.status, 'error') as ClusterStatus,
    score: typeof row.score === 'number' ? row.score : 0,
    failingCheckIds: parseJson<string[]>(row.failingCheckIds ?? '[]', 'failing check ids'),
    regressions: parseJson<Regression[]>(
      decodePayload(joinChunks(row, 'regressions'), row.regressionsEncoding),
      'regressions',
    ),
  };
  if (typeof row.sourceEventId === 'string' && row.sourceEventId)
    entry.sourceEventId = row.sourceEventId;
  if (row.deleted === true) entry.deleted = true;
  if (typeof row.catalogueUpgradedTo === 'number') {
    entry.catalogueUpgraded = {
      from: typeof row.catalogueUpgradedFrom === 'number' ? row.catalogueUpgradedFrom : 1,
      to: row.catalogueUpgradedTo,
      changes: parseJson<Regression[]>(
        decodePayload(joinChunks(row, 'catalogueChanges'), row.catalogueChangesEncoding),
        'catalogue changes',
      ),
    };
  }
  return entry;
}
