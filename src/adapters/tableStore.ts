/**
 * The posture store on Azure Table Storage (Azurite locally), laid out as docs/storage.md says:
 *
 * | table      | partition                 | row                         | holds                                   |
 * |------------|---------------------------|-----------------------------|-----------------------------------------|
 * | `clusters` | encoded lower-cased id    | `posture`                   | summary columns + the posture payload   |
 * | `clusters` | encoded lower-cased id    | `posture-part-NNNN`         | the rest of a payload over ~700 KB      |
 * | `clusters` | encoded lower-cased id    | `history-<inverted time>-…` | one evaluation that changed something   |
 * | `clusters` | encoded lower-cased id    | `alert-<encoded dedupe key>`| the outbox row of one alert             |
 * | `events`   | UTC day `YYYYMMDD`        | encoded event id            | a processed Event Grid event            |
 *
 * Posture and history rows are mapped in `tables/postureRows`, the outbox in `tables/outbox`,
 * the events table in `tables/eventsTable`. What a recording writes (regressions, which alerts
 * open and close, history) is decided by the pure alert policy (core/alertPolicy); this adapter
 * reads, applies the decision in one partition transaction whose posture write is conditional on
 * the ETag read (or an insert), and on 409/412 re-reads and decides again, so two racing
 * evaluations cannot both page for the same regression.
 */
import type { TokenCredential } from '@azure/core-auth';
import {
  odata,
  TableClient,
  type TableServiceClientOptions,
  type TransactionAction,
} from '@azure/data-tables';
import { decideRecording, planTransaction } from '../core/alertPolicy';
import { CATALOGUE_VERSION } from '../core/checks';
import type { KnownClusterFacts } from '../core/clusterFacts';
import { DependencyError, InputError } from '../core/errors';
import {
  SEVERITIES,
  type Alert,
  type ClusterPosture,
  type ClusterStatus,
  type Severity,
} from '../core/model';
import {
  systemClock,
  type Clock,
  type Health,
  type HistoryEntry,
  type OutboxAlert,
  type Page,
  type PostureStore,
  type EventsReceived,
  type PostureSummary,
  type RecordOptions,
  type RecordResult,
} from '../core/ports';
import { severityRank } from '../core/report';
import {
  alertRowKey,
  clusterPartitionKey,
  cursorFromSdkToken,
  decodeCursor,
  encodeCursor,
  HISTORY_END,
  HISTORY_PREFIX,
  historyKeyPrefix,
  POSTURE_ROW,
  sdkContinuationToken,
  type PageCursor,
} from './tableKeys';
import {
  asDependencyError,
  deleteRows,
  isConflict,
  messageOf,
  queryAll,
  statusOf,
  TRANSACTION_LIMIT,
  validTableName,
  type EntityResult,
} from './tables/common';
import { EventsTable } from './tables/eventsTable';
import { alertEntity, closeEntity, newAlertRecord, Outbox, requireAlert } from './tables/outbox';
import {
  historyEntity,
  historyEntryOf,
  nextHistoryTime,
  postureActions,
  readPosture,
  knownClusterFacts,
  KNOWN_CLUSTER_COLUMNS,
  summaryOf,
  SUMMARY_COLUMNS,
} from './tables/postureRows';

export type TableStoreConnection =
  { connectionString: string } | { tableServiceUri: string; credential: TokenCredential };

export type TableStoreConfig = TableStoreConnection & {
  /** Plain http (Azurite); the SDK refuses it otherwise. */
  allowInsecureConnection?: boolean;
  /** Prepended to the table names (test isolation); letters and digits. */
  tablePrefix?: string;
  clustersTable?: string;
  eventsTable?: string;
  clock?: Clock;
  /** Conditional-write attempts before giving up on a hot cluster (default 8). */
  maxAttempts?: number;
  /** Extra SDK client options (retry policy, agent). */
  clientOptions?: TableServiceClientOptions;
  /** The check catalogue version postures are recorded under (default: this build's `CATALOGUE_VERSION`). */
  catalogueVersion?: number;
};

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;
/** At most this many service round trips to fill one page of a sparse filter; the page may then be short. */
const MAX_ROUND_TRIPS_PER_PAGE = 20;
const DEFAULT_MIN_ALERT_SEVERITY: Severity = 'high';

function pageSizeOf(size: number | undefined): number {
  if (size === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1)
    throw new InputError(`page size must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  return Math.min(size, MAX_PAGE_SIZE);
}

function requirePosture(posture: ClusterPosture): void {
  if (
    !posture ||
    typeof posture.id !== 'string' ||
    posture.id.trim() === '' ||
    !Array.isArray(posture.findings)
  ) {
    throw new InputError('a posture to record needs an id and findings');
  }
}

function sameCluster(a: string, b: string): boolean {
  return clusterPartitionKey(a) === clusterPartitionKey(b);
}

export class TableStore implements PostureStore {
  readonly clusters: TableClient;
  readonly events: TableClient;
  private readonly outbox: Outbox;
  private readonly processed: EventsTable;
  private readonly clock: Clock;
  private readonly maxAttempts: number;
  private readonly catalogueVersion: number;

  constructor(config: TableStoreConfig) {
    const prefix = config.tablePrefix ?? '';
    const clustersName = validTableName(`${prefix}${config.clustersTable ?? 'clusters'}`);
    const eventsName = validTableName(`${prefix}${config.eventsTable ?? 'events'}`);
    const options: TableServiceClientOptions = { ...config.clientOptions };
    if (config.allowInsecureConnection) options.allowInsecureConnection = true;
    const client = (table: string) =>
      'connectionString' in config
        ? TableClient.fromConnectionString(config.connectionString, table, options)
        : new TableClient(config.tableServiceUri, table, config.credential, options);
    this.clusters = client(clustersName);
    this.events = client(eventsName);
    this.clock = config.clock ?? systemClock;
    this.maxAttempts = Math.max(1, config.maxAttempts ?? 8);
    this.catalogueVersion = config.catalogueVersion ?? CATALOGUE_VERSION;
    this.outbox = new Outbox(this.clusters, this.clock, this.maxAttempts);
    this.processed = new EventsTable(this.events);
  }

  /** A store whose tables exist (created when missing). */
  static async create(config: TableStoreConfig): Promise<TableStore> {
    const store = new TableStore(config);
    try {
      await store.clusters.createTable();
      await store.events.createTable();
    } catch (error) {
      throw asDependencyError(error);
    }
    return store;
  }

  // -------------------------------------------------------------------------------------------
  // Recording an evaluation

  async recordEvaluation(
    posture: ClusterPosture,
    options: RecordOptions = {},
  ): Promise<RecordResult> {
    requirePosture(posture);
    (options.extraAlerts ?? []).forEach(requireAlert);
    const partitionKey = clusterPartitionKey(posture.id);
    // Extra alerts about another cluster cannot share this cluster's transaction; they go to
    // their own outbox rows rather than being dropped.
    const extraHere = (options.extraAlerts ?? []).filter((a) =>
      sameCluster(a.clusterId, posture.id),
    );
    const extraElsewhere = (options.extraAlerts ?? []).filter(
      (a) => !sameCluster(a.clusterId, posture.id),
    );
    let postureFirstRead: ClusterPosture | undefined | null = null;
    /** Alerts written outside the main transaction (only when it cannot hold them all), by row key. */
    const writtenEarly = new Map<string, Alert>();
    try {
      for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
        const stored = await readPosture(this.clusters, partitionKey, this.maxAttempts);
        const live = stored && !stored.deleted ? stored : undefined;
        const existing = await this.outbox.readPartition(partitionKey);
        const now = this.clock.now();
        const decision = decideRecording({
          stored: {
            posture: live?.posture,
            memory: live?.memory,
            alerts: [...existing.values()].map((row) => row.record),
          },
          posture,
          now,
          minAlertSeverity: options.minAlertSeverity ?? DEFAULT_MIN_ALERT_SEVERITY,
          catalogueVersion: this.catalogueVersion,
          linkBase: options.linkBase,
          extraAlerts: extraHere,
          grantedBy: options.grantedBy,
          postureFirstRead: postureFirstRead ?? undefined,
        });
        if (postureFirstRead === null) postureFirstRead = live?.posture;

        const historyAt = decision.writeHistory ? nextHistoryTime(stored, now) : undefined;
        const fixed: TransactionAction[] = [
          ...postureActions(
            partitionKey,
            decision.posture,
            decision.memory,
            stored,
            options.sourceEventId,
            historyAt,
          ),
          ...(historyAt
            ? [
                [
                  'create',
                  historyEntity(
                    partitionKey,
                    decision.posture,
                    decision.regressions,
                    historyAt,
                    options.sourceEventId,
                    decision.catalogueUpgrade,
                  ),
                ] as TransactionAction,
              ]
            : []),
        ];
        const opens = decision.open
          .filter((alert) => !writtenEarly.has(alertRowKey(alert.dedupeKey)))
          .map((alert) => {
            const rowKey = alertRowKey(alert.dedupeKey);
            const current = existing.get(rowKey);
            const entity = alertEntity(partitionKey, rowKey, newAlertRecord(alert, now));
            const action: TransactionAction = current
              ? ['update', entity, 'Replace', { etag: current.etag }]
              : ['create', entity];
            return { alert, action };
          });
        const closes = decision.close.map((key): TransactionAction => {
          const rowKey = alertRowKey(key);
          return [
            'update',
            closeEntity(partitionKey, rowKey, now),
            'Merge',
            { etag: existing.get(rowKey)!.etag },
          ];
        });
        const plan = planTransaction(fixed.length, opens, closes, TRANSACTION_LIMIT);
        for (const write of plan.opensBefore) {
          if (await this.writeAlone(write.action))
            writtenEarly.set(alertRowKey(write.alert.dedupeKey), write.alert);
        }
        try {
          await this.clusters.submitTransaction([
            ...fixed,
            ...plan.opensInTransaction.map((w) => w.action),
            ...plan.closesInTransaction,
          ]);
        } catch (error) {
          // 409: the posture (or an alert row) was created meanwhile; 412: it changed; 404: a
          // part row read a moment ago is gone. All mean someone else wrote: re-read, decide again.
          if (isConflict(error) || statusOf(error) === 404) continue;
          throw error;
        }
        for (const action of plan.closesAfter) await this.writeAlone(action);
        const elsewhere = extraElsewhere.length ? await this.outbox.enqueue(extraElsewhere) : [];
        return {
          baseline: decision.baseline,
          regressions: decision.regressions,
          alerts: [
            ...plan.opensInTransaction.map((w) => w.alert),
            ...writtenEarly.values(),
            ...elsewhere,
          ],
        };
      }
    } catch (error) {
      throw asDependencyError(error);
    }
    throw new DependencyError(
      `could not record the evaluation of ${posture.id}: it kept changing concurrently (${this.maxAttempts} attempts)`,
      'storage',
    );
  }

  /** One row write outside a transaction; false when someone else wrote it first. */
  private async writeAlone(action: TransactionAction): Promise<boolean> {
    try {
      const [kind, entity] = action;
      if (kind === 'create') await this.clusters.createEntity(entity);
      else if (kind === 'update')
        await this.clusters.updateEntity(entity, action[2] ?? 'Merge', action[3]);
      return true;
    } catch (error) {
      if (isConflict(error) || statusOf(error) === 404) return false;
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  async getPosture(clusterId: string): Promise<ClusterPosture | undefined> {
    try {
      const stored = await readPosture(
        this.clusters,
        clusterPartitionKey(clusterId),
        this.maxAttempts,
      );
      return stored?.posture;
    } catch (error) {
      throw asDependencyError(error);
    }
  }

  async listPostures(
    filter: { subscriptionId?: string; status?: ClusterStatus; severity?: Severity },
    page: { continuationToken?: string; pageSize?: number },
  ): Promise<Page<PostureSummary>> {
    const clauses = [odata`RowKey eq ${POSTURE_ROW}`, odata`deleted eq ${false}`];
    if (filter.subscriptionId !== undefined)
      clauses.push(odata`subscriptionId eq ${filter.subscriptionId.trim().toLowerCase()}`);
    if (filter.status !== undefined) clauses.push(odata`status eq ${filter.status}`);
    if (filter.severity !== undefined) {
      if (!SEVERITIES.includes(filter.severity))
        throw new InputError(`unknown severity ${JSON.stringify(filter.severity)}`);
      clauses.push(odata`worstSeverityRank le ${severityRank(filter.severity)}`);
    }
    const result = await this.queryPage(
      this.clusters,
      'postures',
      clauses.join(' and '),
      SUMMARY_COLUMNS,
      page,
    );
    return { items: result.items.map(summaryOf), continuationToken: result.continuationToken };
  }

  async getHistory(
    clusterId: string,
    page: { continuationToken?: string; pageSize?: number },
  ): Promise<Page<HistoryEntry>> {
    const partitionKey = clusterPartitionKey(clusterId);
    const filter = odata`PartitionKey eq ${partitionKey} and RowKey ge ${HISTORY_PREFIX} and RowKey lt ${HISTORY_END}`;
    const result = await this.queryPage(
      this.clusters,
      `history:${partitionKey}`,
      filter,
      undefined,
      page,
    );
    return { items: result.items.map(historyEntryOf), continuationToken: result.continuationToken };
  }

  /**
   * One page of a query, filled up to the page size across service pages (a filtered query may
   * return short or empty pages with a token). The token handed out is ours: opaque, and tied to
   * the kind of query it came from.
   */
  private async queryPage(
    table: TableClient,
    kind: string,
    filter: string,
    select: string[] | undefined,
    page: { continuationToken?: string; pageSize?: number },
  ): Promise<Page<EntityResult>> {
    const size = pageSizeOf(page.pageSize);
    let cursor: PageCursor | undefined;
    if (page.continuationToken !== undefined && page.continuationToken !== '') {
      cursor = decodeCursor(page.continuationToken, kind);
      if (!cursor)
        throw new InputError(
          'continuationToken is not valid for this query',
          'BadContinuationToken',
        );
    }
    const items: EntityResult[] = [];
    let token = cursor ? sdkContinuationToken(cursor) : undefined;
    try {
      for (let trip = 0; trip < MAX_ROUND_TRIPS_PER_PAGE && items.length < size; trip++) {
        const pages = table
          .listEntities({ queryOptions: select ? { filter, select } : { filter } })
          .byPage({ maxPageSize: size - items.length, continuationToken: token });
        const next = await pages.next();
        if (next.done) {
          token = undefined;
          break;
        }
        items.push(...next.value);
        token = next.value.continuationToken;
        if (!token) break;
      }
    } catch (error) {
      // Only a token we decoded can make a well-formed query invalid.
      if (cursor && statusOf(error) === 400)
        throw new InputError(
          'continuationToken is not valid for this query',
          'BadContinuationToken',
        );
      throw asDependencyError(error);
    }
    const nextCursor = cursorFromSdkToken(kind, token);
    return { items, continuationToken: nextCursor ? encodeCursor(nextCursor) : undefined };
  }

  /** Every page of a query. */
  private queryAll(table: TableClient, filter: string, select?: string[]): Promise<EntityResult[]> {
    return queryAll(table, filter, select);
  }

  // -------------------------------------------------------------------------------------------
  // Outbox (tables/outbox)

  listAlerts(filter: { since?: Date; state?: OutboxAlert['state'] }): Promise<OutboxAlert[]> {
    return this.outbox.list(filter);
  }

  enqueueAlerts(alerts: Alert[]): Promise<Alert[]> {
    return this.outbox.enqueue(alerts);
  }

  updateAlert(clusterId: string, dedupeKey: string, update: Partial<OutboxAlert>): Promise<void> {
    return this.outbox.update(clusterId, dedupeKey, update);
  }

  claimAlert(
    clusterId: string,
    dedupeKey: string,
    leaseMs: number,
    now: Date,
  ): Promise<OutboxAlert | undefined> {
    return this.outbox.claim(clusterId, dedupeKey, leaseMs, now);
  }

  // -------------------------------------------------------------------------------------------
  // Events (tables/eventsTable), deletion, retention

  isEventProcessed(eventId: string, at: Date): Promise<boolean> {
    return this.processed.isProcessed(eventId, at);
  }

  markEventProcessed(eventId: string, at: Date): Promise<boolean> {
    return this.processed.markProcessed(eventId, at);
  }

  async markClusterDeleted(clusterId: string, at: Date, sourceEventId?: string): Promise<void> {
    const partitionKey = clusterPartitionKey(clusterId);
    try {
      for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
        const stored = await readPosture(this.clusters, partitionKey, this.maxAttempts);
        // Unknown, or already marked (a redelivered delete event): nothing to do.
        if (!stored || stored.deleted) return;
        const historyAt = nextHistoryTime(stored, at);
        const history = historyEntity(partitionKey, stored.posture, [], historyAt, sourceEventId);
        history.deleted = true;
        history.evaluatedAt = at.toISOString();
        const actions: TransactionAction[] = [
          [
            'update',
            {
              partitionKey,
              rowKey: POSTURE_ROW,
              deleted: true,
              deletedAt: at.toISOString(),
              lastHistoryAt: historyAt.toISOString(),
            },
            'Merge',
            { etag: stored.etag },
          ],
          ['create', history],
        ];
        // Open alerts close: a cluster created again under the same id starts a new baseline.
        for (const current of (await this.outbox.readPartition(partitionKey)).values()) {
          if (current.record.open && actions.length < TRANSACTION_LIMIT) {
            actions.push([
              'update',
              closeEntity(partitionKey, current.rowKey, at),
              'Merge',
              { etag: current.etag },
            ]);
          }
        }
        try {
          await this.clusters.submitTransaction(actions);
          return;
        } catch (error) {
          if (!isConflict(error)) throw error;
        }
      }
    } catch (error) {
      throw asDependencyError(error);
    }
    throw new DependencyError(
      `could not mark ${clusterId} deleted: it kept changing concurrently`,
      'storage',
    );
  }

  async knownClusters(): Promise<KnownClusterFacts[]> {
    try {
      const filter = odata`RowKey eq ${POSTURE_ROW} and deleted eq ${false}`;
      const rows = await this.queryAll(this.clusters, filter, KNOWN_CLUSTER_COLUMNS);
      return rows.flatMap((r) => knownClusterFacts(r) ?? []);
    } catch (error) {
      throw asDependencyError(error);
    }
  }

  recordEventsReceived(subscriptionIds: readonly string[], at: Date): Promise<void> {
    return this.processed.recordReceived(subscriptionIds, at);
  }

  eventsReceived(): Promise<EventsReceived[]> {
    return this.processed.lastReceived();
  }

  async knownClusterIds(): Promise<string[]> {
    try {
      const rows = await this.queryAll(
        this.clusters,
        odata`RowKey eq ${POSTURE_ROW} and deleted eq ${false}`,
        ['clusterId'],
      );
      return rows.map((r) => r.clusterId).filter((id): id is string => typeof id === 'string');
    } catch (error) {
      throw asDependencyError(error);
    }
  }

  /** History older than `historyDays`, processed event ids older than 48 hours, alert rows closed longer than `historyDays`. */
  async purgeExpired(now: Date, historyDays: number): Promise<void> {
    if (!Number.isFinite(historyDays) || historyDays < 0)
      throw new InputError('history retention must be a number of days, 0 or more');
    const cutoff = new Date(now.getTime() - historyDays * 24 * 3600 * 1000);
    try {
      // Inverted times: every row strictly older than the cutoff sorts at or after this key.
      const oldest = historyKeyPrefix(new Date(cutoff.getTime() - 1));
      const history = await this.queryAll(
        this.clusters,
        odata`RowKey ge ${oldest} and RowKey lt ${HISTORY_END}`,
        ['PartitionKey', 'RowKey'],
      );
      await deleteRows(this.clusters, history);
      await this.outbox.purgeClosedBefore(cutoff);
      await this.processed.purgeExpired(now);
    } catch (error) {
      throw asDependencyError(error);
    }
  }

  async health(): Promise<Health> {
    try {
      const pages = this.clusters
        .listEntities({
          queryOptions: { filter: odata`RowKey eq ${POSTURE_ROW}`, select: ['RowKey'] },
        })
        .byPage({ maxPageSize: 1 });
      await pages.next();
      return {
        ok: true,
        detail: `Table Storage reachable (tables ${this.clusters.tableName}, ${this.events.tableName})`,
      };
    } catch (error) {
      return { ok: false, detail: `Table Storage unreachable: ${messageOf(error)}` };
    }
  }
}
