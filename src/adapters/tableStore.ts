/**
 * The posture store on Azure Table Storage (Azurite locally), laid out as STORAGE.md says:
 *
 * | table      | partition                 | row                         | holds                                   |
 * |------------|---------------------------|-----------------------------|-----------------------------------------|
 * | `clusters` | encoded lower-cased id    | `posture`                   | summary columns + the posture payload   |
 * | `clusters` | encoded lower-cased id    | `posture-part-NNNN`         | the rest of a payload over ~700 KB      |
 * | `clusters` | encoded lower-cased id    | `history-<inverted time>-…` | one evaluation that changed something   |
 * | `clusters` | encoded lower-cased id    | `alert-<encoded dedupe key>`| the outbox row of one alert             |
 * | `events`   | UTC day `YYYYMMDD`        | encoded event id            | a processed Event Grid event            |
 *
 * Everything one evaluation writes for a cluster is one partition transaction whose posture
 * write is conditional on the ETag read (or an insert), so two racing evaluations cannot both
 * decide the same regression: the loser gets 412/409, re-reads and re-diffs.
 *
 * Alert rows and paging once: an alert row is `open` while its condition holds. A regression
 * whose dedupe key has an open row pages nobody; when a later evaluation sees the condition
 * cleared (the check passes or is not applicable again, or the principal lost the capability)
 * it closes the row in the same transaction, and a recurrence reopens it (state pending again):
 * a regression that was fixed and comes back pages again. `error` closes nothing.
 */
import type { TokenCredential } from '@azure/core-auth';
import { isRestError } from '@azure/core-rest-pipeline';
import { odata, TableClient, type TableEntity, type TableEntityResult, type TableServiceClientOptions, type TransactionAction } from '@azure/data-tables';
import { alertCleared, alertsFromRegressions } from '../core/alerts';
import { DependencyError, InputError, NotFoundError } from '../core/errors';
import { SEVERITIES, type Alert, type ClusterPosture, type ClusterStatus, type Regression, type Severity } from '../core/model';
import {
  systemClock,
  type Clock,
  type Health,
  type HistoryEntry,
  type OutboxAlert,
  type Page,
  type PostureStore,
  type PostureSummary,
  type RecordResult,
} from '../core/ports';
import {
  accessComplete,
  capabilitiesByPrincipal,
  diffPostures,
  failingCheckIds,
  postureChanged,
  rememberPosture,
  worstFailingSeverity,
  type PostureMemory,
} from '../core/regressions';
import { severityRank } from '../core/report';
import {
  ALERT_END,
  ALERT_PREFIX,
  alertRowKey,
  clusterPartitionKey,
  cursorFromSdkToken,
  decodeCursor,
  decodePayload,
  encodeCursor,
  encodePayload,
  eventPartitionKey,
  eventRowKey,
  HISTORY_END,
  HISTORY_PREFIX,
  historyKeyPrefix,
  historyRowKey,
  joinChunks,
  layoutPayload,
  piecesAsProperties,
  POSTURE_PART_PREFIX,
  POSTURE_ROW,
  posturePartRowKey,
  sdkContinuationToken,
  type PayloadEncoding,
  type PageCursor,
} from './tableKeys';

export type TableStoreConnection =
  | { connectionString: string }
  | { tableServiceUri: string; credential: TokenCredential };

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
};

type Entity = TableEntity<Record<string, unknown>>;
type EntityResult = TableEntityResult<Record<string, unknown>>;

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;
/** At most this many service round trips to fill one page of a sparse filter; the page may then be short. */
const MAX_ROUND_TRIPS_PER_PAGE = 20;
const TRANSACTION_LIMIT = 100;
/** Under the 4 MiB transaction body, with room for the multipart framing. */
const TRANSACTION_BODY_BUDGET = 3.5 * 1024 * 1024;
/** Event ids are kept this long (EVENTS.md). */
const EVENT_RETENTION_MS = 48 * 3600 * 1000;
const DEFAULT_MIN_ALERT_SEVERITY: Severity = 'high';

const SUMMARY_COLUMNS = [
  'clusterId', 'name', 'subscriptionId', 'resourceGroup', 'status', 'score', 'failingCheckIds', 'worstSeverity',
  'privilegedPrincipalCount', 'evaluatedAt', 'deleted',
];

/** The posture payload: the posture as recorded plus what the diff must remember (core/regressions). */
interface StoredPayload {
  posture: ClusterPosture;
  memory: PostureMemory;
}

interface StoredPosture {
  etag: string;
  posture: ClusterPosture;
  memory: PostureMemory;
  deleted: boolean;
  /** Row keys of the part rows that exist now. */
  partRowKeys: string[];
  summary: Record<string, unknown>;
}

interface AlertRecord {
  alert: Alert;
  state: OutboxAlert['state'];
  open: boolean;
  attempts: number;
  channels: OutboxAlert['channels'];
  lastError?: string;
  updatedAt: string;
  closedAt?: string;
  claimedUntil?: string;
}

interface StoredAlert {
  rowKey: string;
  etag: string;
  record: AlertRecord;
}

function statusOf(error: unknown): number | undefined {
  return isRestError(error) ? error.statusCode : undefined;
}

function isConflict(error: unknown): boolean {
  const status = statusOf(error);
  return status === 409 || status === 412;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

/** An outage (no answer, 5xx, refused credentials) is the dependency's, not a bug here. */
function asDependencyError(error: unknown): unknown {
  if (error instanceof InputError || error instanceof NotFoundError || error instanceof DependencyError) return error;
  if (isRestError(error)) {
    const status = error.statusCode;
    if (status === undefined || status >= 500 || status === 401 || status === 403) {
      return new DependencyError(`Table Storage is unavailable: ${messageOf(error)}`, 'storage');
    }
  }
  return error;
}

function parseJson<T>(text: unknown, what: string): T {
  if (typeof text !== 'string') throw new Error(`stored ${what} is missing`);
  return JSON.parse(text) as T;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function validTableName(name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9]{2,62}$/.test(name)) {
    throw new InputError(`table name ${JSON.stringify(name)} is not valid (3-63 letters and digits, starting with a letter)`);
  }
  return name;
}

function pageSizeOf(size: number | undefined): number {
  if (size === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1) throw new InputError(`page size must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  return Math.min(size, MAX_PAGE_SIZE);
}

function entityBytes(entity: Entity): number {
  return Buffer.byteLength(JSON.stringify(entity), 'utf8') + 512;
}

function requirePosture(posture: ClusterPosture): void {
  if (!posture || typeof posture.id !== 'string' || posture.id.trim() === '' || !Array.isArray(posture.findings)) {
    throw new InputError('a posture to record needs an id and findings');
  }
}

function requireAlert(alert: Alert): void {
  if (!alert || typeof alert.clusterId !== 'string' || !alert.clusterId.trim() || typeof alert.dedupeKey !== 'string' || !alert.dedupeKey) {
    throw new InputError('an alert needs a clusterId and a dedupeKey');
  }
}

export class TableStore implements PostureStore {
  readonly clusters: TableClient;
  readonly events: TableClient;
  private readonly clock: Clock;
  private readonly maxAttempts: number;

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
    options: { sourceEventId?: string; minAlertSeverity?: Severity; extraAlerts?: Alert[]; linkBase?: string } = {},
  ): Promise<RecordResult> {
    requirePosture(posture);
    (options.extraAlerts ?? []).forEach(requireAlert);
    const partitionKey = clusterPartitionKey(posture.id);
    // Extra alerts about another cluster cannot share this cluster's transaction; they go to
    // their own outbox rows rather than being dropped.
    const extraHere = (options.extraAlerts ?? []).filter((a) => sameCluster(a.clusterId, posture.id));
    const extraElsewhere = (options.extraAlerts ?? []).filter((a) => !sameCluster(a.clusterId, posture.id));
    let firstRead: ClusterPosture | undefined | null = null;
    /** Alerts written outside the main transaction (only when it cannot hold them all). */
    const writtenEarly = new Map<string, Alert>();
    try {
      for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
        const stored = await this.readPosture(partitionKey);
        const live = stored && !stored.deleted ? stored : undefined;
        if (firstRead === null) firstRead = live?.posture;
        const regressions = diffPostures(live?.posture, posture, live?.memory);
        const memory = rememberPosture(posture, live?.memory);
        const now = this.clock.now();
        const candidates = uniqueByKey([
          ...alertsFromRegressions(posture, regressions, {
            minSeverity: options.minAlertSeverity ?? DEFAULT_MIN_ALERT_SEVERITY,
            linkBase: options.linkBase,
            now,
          }),
          ...extraHere,
        ]);
        const existing = await this.readAlerts(partitionKey);

        const alertWrites: Array<{ alert: Alert; action: TransactionAction }> = [];
        for (const alert of candidates) {
          const rowKey = alertRowKey(alert.dedupeKey);
          if (writtenEarly.has(rowKey)) continue;
          const current = existing.get(rowKey);
          if (current?.record.open) continue;
          const entity = alertEntity(partitionKey, rowKey, newAlertRecord(alert, now));
          alertWrites.push({ alert, action: current ? ['update', entity, 'Replace', { etag: current.etag }] : ['create', entity] });
        }
        const candidateKeys = new Set(candidates.map((a) => alertRowKey(a.dedupeKey)));
        const complete = accessComplete(posture);
        const closes: TransactionAction[] = [];
        for (const current of existing.values()) {
          if (!current.record.open || candidateKeys.has(current.rowKey)) continue;
          const { alert } = current.record;
          if (alertCleared(posture, { checkId: alert.checkId, kind: alert.kind, principalId: alert.principal?.principalId ?? principalOfKey(alert) }, complete)) {
            closes.push(['update', { partitionKey, rowKey: current.rowKey, open: false, closedAt: now.toISOString() }, 'Merge', { etag: current.etag }]);
          }
        }

        const changed =
          regressions.length > 0 || postureChanged(live?.posture, posture) || (attempt > 1 && postureChanged(firstRead ?? undefined, posture));
        const recorded: ClusterPosture = { ...posture, regressions };
        const historyAt = changed ? nextHistoryTime(stored, now) : undefined;
        const postureActions = this.postureActions(partitionKey, recorded, memory, stored, options.sourceEventId, historyAt);
        const historyActions: TransactionAction[] = historyAt
          ? [['create', historyEntity(partitionKey, recorded, regressions, historyAt, options.sourceEventId)]]
          : [];

        // One transaction holds at most 100 entities: posture and history first, then alerts,
        // then closes. Alerts that do not fit are written before it (a crash then leaves them
        // pending, never lost); closes that do not fit are done after it (the next evaluation
        // would close them anyway).
        const room = TRANSACTION_LIMIT - postureActions.length - historyActions.length;
        const inTransaction = alertWrites.slice(0, room);
        const early = alertWrites.slice(room);
        const closesIn = closes.slice(0, Math.max(0, room - inTransaction.length));
        const closesAfter = closes.slice(closesIn.length);
        for (const write of early) {
          if (await this.writeAlertAlone(write.action)) writtenEarly.set(alertRowKey(write.alert.dedupeKey), write.alert);
        }

        const actions: TransactionAction[] = [...postureActions, ...historyActions, ...inTransaction.map((w) => w.action), ...closesIn];
        try {
          await this.clusters.submitTransaction(actions);
        } catch (error) {
          // 409: the posture (or an alert row) was created meanwhile; 412: it changed; 404: a
          // part row read a moment ago is gone. All mean someone else wrote: re-read, re-diff.
          if (isConflict(error) || statusOf(error) === 404) continue;
          throw error;
        }
        for (const action of closesAfter) await this.writeAlertAlone(action);
        const elsewhere = extraElsewhere.length ? await this.enqueueAlerts(extraElsewhere) : [];
        return {
          baseline: !live,
          regressions,
          alerts: [...inTransaction.map((w) => w.alert), ...writtenEarly.values(), ...elsewhere],
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

  /** One alert row write outside a transaction; false when someone else wrote it first. */
  private async writeAlertAlone(action: TransactionAction): Promise<boolean> {
    try {
      const [kind, entity] = action;
      if (kind === 'create') await this.clusters.createEntity(entity);
      else if (kind === 'update') await this.clusters.updateEntity(entity, action[2] ?? 'Merge', action[3]);
      return true;
    } catch (error) {
      if (isConflict(error) || statusOf(error) === 404) return false;
      throw error;
    }
  }

  /** The posture row (insert or ETag-conditional replace) and its part rows (and deletion of stale ones). */
  private postureActions(
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
      const summary = summaryColumns(posture);
      const row: Entity = {
        partitionKey,
        rowKey: POSTURE_ROW,
        ...summary,
        deleted: false,
        sourceEventId: sourceEventId ?? '',
        lastHistoryAt,
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
    const bytes = (b: typeof built) => [b.row, ...b.parts].reduce((sum, e) => sum + entityBytes(e), 0);
    // Room is kept for the history and alert rows of the same transaction.
    if (bytes(built) > TRANSACTION_BODY_BUDGET * 0.8 || built.parts.length > 40) built = build('gzip-base64');
    if (bytes(built) > TRANSACTION_BODY_BUDGET * 0.8 || built.parts.length > 40) {
      throw new Error(`the posture of ${posture.id} is too large to store in one transaction even compressed`);
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

  /** The posture row with its ETag and the payload reassembled from it and its part rows. */
  private async readPosture(partitionKey: string): Promise<StoredPosture | undefined> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const rows: EntityResult[] = [];
      const filter = odata`PartitionKey eq ${partitionKey} and RowKey ge ${POSTURE_ROW} and RowKey lt ${'posture.'}`;
      for await (const row of this.clusters.listEntities({ queryOptions: { filter } })) rows.push(row);
      const main = rows.find((r) => r.rowKey === POSTURE_ROW);
      const parts = rows.filter((r) => r.rowKey?.startsWith(POSTURE_PART_PREFIX)).sort((a, b) => (a.rowKey! < b.rowKey! ? -1 : 1));
      if (!main) return undefined;
      const writeId = main.payloadWriteId;
      const expected = typeof main.payloadParts === 'number' ? main.payloadParts : 0;
      const current = parts.filter((p) => p.payloadWriteId === writeId);
      // A part row from another write means the posture changed between the pages of this
      // read: read again rather than assemble a mix of two versions.
      if (current.length !== expected) continue;
      let text = joinChunks(main, 'payload');
      for (const part of current) text += joinChunks(part, 'payload');
      const payload = parseJson<StoredPayload>(decodePayload(text, main.payloadEncoding), 'posture payload');
      return {
        etag: main.etag,
        posture: payload.posture,
        memory: payload.memory,
        deleted: main.deleted === true,
        partRowKeys: parts.map((p) => p.rowKey!),
        summary: main,
      };
    }
    throw new DependencyError(`the stored posture of partition ${partitionKey} kept changing while being read`, 'storage');
  }

  private async readAlerts(partitionKey: string): Promise<Map<string, StoredAlert>> {
    const filter = odata`PartitionKey eq ${partitionKey} and RowKey ge ${ALERT_PREFIX} and RowKey lt ${ALERT_END}`;
    const result = new Map<string, StoredAlert>();
    for await (const row of this.clusters.listEntities({ queryOptions: { filter } })) {
      result.set(row.rowKey!, { rowKey: row.rowKey!, etag: row.etag, record: alertRecordOf(row) });
    }
    return result;
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  async getPosture(clusterId: string): Promise<ClusterPosture | undefined> {
    try {
      const stored = await this.readPosture(clusterPartitionKey(clusterId));
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
    if (filter.subscriptionId !== undefined) clauses.push(odata`subscriptionId eq ${filter.subscriptionId.trim().toLowerCase()}`);
    if (filter.status !== undefined) clauses.push(odata`status eq ${filter.status}`);
    if (filter.severity !== undefined) {
      if (!SEVERITIES.includes(filter.severity)) throw new InputError(`unknown severity ${JSON.stringify(filter.severity)}`);
      clauses.push(odata`worstSeverityRank le ${severityRank(filter.severity)}`);
    }
    const result = await this.queryPage(this.clusters, 'postures', clauses.join(' and '), SUMMARY_COLUMNS, page);
    return { items: result.items.map(summaryOf), continuationToken: result.continuationToken };
  }

  async getHistory(clusterId: string, page: { continuationToken?: string; pageSize?: number }): Promise<Page<HistoryEntry>> {
    const partitionKey = clusterPartitionKey(clusterId);
    const filter = odata`PartitionKey eq ${partitionKey} and RowKey ge ${HISTORY_PREFIX} and RowKey lt ${HISTORY_END}`;
    const result = await this.queryPage(this.clusters, `history:${partitionKey}`, filter, undefined, page);
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
      if (!cursor) throw new InputError('continuationToken is not valid for this query', 'BadContinuationToken');
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
      if (cursor && statusOf(error) === 400) throw new InputError('continuationToken is not valid for this query', 'BadContinuationToken');
      throw asDependencyError(error);
    }
    const nextCursor = cursorFromSdkToken(kind, token);
    return { items, continuationToken: nextCursor ? encodeCursor(nextCursor) : undefined };
  }

  /** Every page of a query. */
  private async queryAll(table: TableClient, filter: string, select?: string[]): Promise<EntityResult[]> {
    const rows: EntityResult[] = [];
    for await (const row of table.listEntities({ queryOptions: select ? { filter, select } : { filter } })) rows.push(row);
    return rows;
  }

  async listAlerts(filter: { since?: Date; state?: OutboxAlert['state'] }): Promise<OutboxAlert[]> {
    const clauses = [odata`RowKey ge ${ALERT_PREFIX}`, odata`RowKey lt ${ALERT_END}`];
    if (filter.state !== undefined) clauses.push(odata`state eq ${filter.state}`);
    if (filter.since !== undefined) {
      if (Number.isNaN(filter.since.getTime())) throw new InputError('since is not a valid time');
      clauses.push(odata`createdAt ge ${filter.since.toISOString()}`);
    }
    try {
      const rows = await this.queryAll(this.clusters, clauses.join(' and '));
      return rows.map((row) => outboxOf(alertRecordOf(row)));
    } catch (error) {
      throw asDependencyError(error);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Outbox

  async enqueueAlerts(alerts: Alert[]): Promise<Alert[]> {
    const written: Alert[] = [];
    try {
      for (const alert of uniqueByKey(alerts)) {
        requireAlert(alert);
        const partitionKey = clusterPartitionKey(alert.clusterId);
        const rowKey = alertRowKey(alert.dedupeKey);
        for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
          const current = await this.readAlert(partitionKey, rowKey);
          if (current?.record.open) break;
          const entity = alertEntity(partitionKey, rowKey, newAlertRecord(alert, this.clock.now()));
          try {
            if (current) await this.clusters.updateEntity(entity, 'Replace', { etag: current.etag });
            else await this.clusters.createEntity(entity);
            written.push(alert);
            break;
          } catch (error) {
            if (!isConflict(error)) throw error;
          }
        }
      }
    } catch (error) {
      throw asDependencyError(error);
    }
    return written;
  }

  async updateAlert(clusterId: string, dedupeKey: string, update: Partial<OutboxAlert>): Promise<void> {
    const partitionKey = clusterPartitionKey(clusterId);
    const rowKey = alertRowKey(dedupeKey);
    try {
      for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
        const current = await this.readAlert(partitionKey, rowKey);
        if (!current) throw new NotFoundError(`no alert ${dedupeKey} is stored for cluster ${clusterId}`);
        const record: AlertRecord = {
          ...current.record,
          alert: update.alert ?? current.record.alert,
          state: update.state ?? current.record.state,
          attempts: update.attempts ?? current.record.attempts,
          channels: update.channels ?? current.record.channels,
          lastError: update.lastError ?? current.record.lastError,
          updatedAt: update.updatedAt ?? this.clock.now().toISOString(),
          claimedUntil: 'claimedUntil' in update ? update.claimedUntil : current.record.claimedUntil,
        };
        try {
          await this.clusters.updateEntity(alertEntity(partitionKey, rowKey, record), 'Replace', { etag: current.etag });
          return;
        } catch (error) {
          if (statusOf(error) !== 412) throw error;
        }
      }
    } catch (error) {
      throw asDependencyError(error);
    }
    throw new DependencyError(`could not update alert ${dedupeKey}: it kept changing concurrently`, 'storage');
  }

  async claimAlert(clusterId: string, dedupeKey: string, leaseMs: number, now: Date): Promise<OutboxAlert | undefined> {
    if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw new InputError('a claim lease must be a positive number of milliseconds');
    if (Number.isNaN(now.getTime())) throw new InputError('the claim time is not a valid date');
    const partitionKey = clusterPartitionKey(clusterId);
    const rowKey = alertRowKey(dedupeKey);
    try {
      for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
        const current = await this.readAlert(partitionKey, rowKey);
        if (!current || current.record.state !== 'pending') return undefined;
        const heldUntil = Date.parse(current.record.claimedUntil ?? '');
        if (heldUntil > now.getTime()) return undefined;
        // updatedAt is left alone: it times retries, and a claim is not a delivery attempt.
        const record: AlertRecord = { ...current.record, claimedUntil: new Date(now.getTime() + leaseMs).toISOString() };
        try {
          await this.clusters.updateEntity(alertEntity(partitionKey, rowKey, record), 'Replace', { etag: current.etag });
          return outboxOf(record);
        } catch (error) {
          // 412: the row changed since it was read. Re-read to tell another run's claim (skip)
          // from any other change, e.g. the caller added to a pending alert (claim it then).
          if (statusOf(error) !== 412) throw error;
        }
      }
    } catch (error) {
      throw asDependencyError(error);
    }
    return undefined;
  }

  private async readAlert(partitionKey: string, rowKey: string): Promise<StoredAlert | undefined> {
    try {
      const row = await this.clusters.getEntity<Record<string, unknown>>(partitionKey, rowKey);
      return { rowKey, etag: row.etag, record: alertRecordOf(row) };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Events, deletion, retention

  async markEventProcessed(eventId: string, at: Date): Promise<boolean> {
    requireEventMark(eventId, at);
    const rowKey = eventRowKey(eventId);
    const [today, ...earlierDays] = eventPartitionsAround(at);
    try {
      // Redeliveries come within 48 hours, maybe after midnight: look in the two days before too.
      for (const day of earlierDays) {
        try {
          await this.events.getEntity(day, rowKey);
          return false;
        } catch (error) {
          if (statusOf(error) !== 404) throw error;
        }
      }
      try {
        await this.events.createEntity({ partitionKey: today, rowKey, eventId, processedAt: at.toISOString() });
        return true;
      } catch (error) {
        if (statusOf(error) === 409) return false;
        throw error;
      }
    } catch (error) {
      throw asDependencyError(error);
    }
  }

  async forgetEventProcessed(eventId: string, at: Date): Promise<void> {
    requireEventMark(eventId, at);
    const rowKey = eventRowKey(eventId);
    try {
      // Every day markEventProcessed(eventId, at) looks in: afterwards it answers true again.
      for (const day of eventPartitionsAround(at)) {
        await this.events.deleteEntity(day, rowKey).catch((error: unknown) => {
          if (statusOf(error) !== 404) throw error;
        });
      }
    } catch (error) {
      throw asDependencyError(error);
    }
  }

  async markClusterDeleted(clusterId: string, at: Date, sourceEventId?: string): Promise<void> {
    const partitionKey = clusterPartitionKey(clusterId);
    try {
      for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
        const stored = await this.readPosture(partitionKey);
        // Unknown, or already marked (a redelivered delete event): nothing to do.
        if (!stored || stored.deleted) return;
        const historyAt = nextHistoryTime(stored, at);
        const history = historyEntity(partitionKey, stored.posture, [], historyAt, sourceEventId);
        history.deleted = true;
        history.evaluatedAt = at.toISOString();
        const actions: TransactionAction[] = [
          [
            'update',
            { partitionKey, rowKey: POSTURE_ROW, deleted: true, deletedAt: at.toISOString(), lastHistoryAt: historyAt.toISOString() },
            'Merge',
            { etag: stored.etag },
          ],
          ['create', history],
        ];
        // Open alerts close: a cluster created again under the same id starts a new baseline.
        for (const current of (await this.readAlerts(partitionKey)).values()) {
          if (current.record.open && actions.length < TRANSACTION_LIMIT) {
            actions.push(['update', { partitionKey, rowKey: current.rowKey, open: false, closedAt: at.toISOString() }, 'Merge', { etag: current.etag }]);
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
    throw new DependencyError(`could not mark ${clusterId} deleted: it kept changing concurrently`, 'storage');
  }

  async knownClusterIds(): Promise<string[]> {
    try {
      const rows = await this.queryAll(this.clusters, odata`RowKey eq ${POSTURE_ROW} and deleted eq ${false}`, ['clusterId']);
      return rows.map((r) => r.clusterId).filter((id): id is string => typeof id === 'string');
    } catch (error) {
      throw asDependencyError(error);
    }
  }

  /** History older than `historyDays`, processed event ids older than 48 hours, alert rows closed longer than `historyDays`. */
  async purgeExpired(now: Date, historyDays: number): Promise<void> {
    if (!Number.isFinite(historyDays) || historyDays < 0) throw new InputError('history retention must be a number of days, 0 or more');
    const cutoff = new Date(now.getTime() - historyDays * 24 * 3600 * 1000);
    const eventCutoff = new Date(now.getTime() - EVENT_RETENTION_MS);
    try {
      // Inverted times: every row strictly older than the cutoff sorts at or after this key.
      const oldest = historyKeyPrefix(new Date(cutoff.getTime() - 1));
      const history = await this.queryAll(this.clusters, odata`RowKey ge ${oldest} and RowKey lt ${HISTORY_END}`, ['PartitionKey', 'RowKey']);
      await this.deleteRows(this.clusters, history);
      const closed = await this.queryAll(
        this.clusters,
        odata`RowKey ge ${ALERT_PREFIX} and RowKey lt ${ALERT_END} and open eq ${false} and closedAt lt ${cutoff.toISOString()}`,
        ['PartitionKey', 'RowKey'],
      );
      await this.deleteRows(this.clusters, closed);
      const events = await this.queryAll(
        this.events,
        odata`PartitionKey le ${eventPartitionKey(eventCutoff)} and processedAt lt ${eventCutoff.toISOString()}`,
        ['PartitionKey', 'RowKey'],
      );
      await this.deleteRows(this.events, events);
    } catch (error) {
      throw asDependencyError(error);
    }
  }

  /** Deletes in partition transactions of 100; a batch that meets a row deleted meanwhile is redone row by row. */
  private async deleteRows(table: TableClient, rows: EntityResult[]): Promise<void> {
    const byPartition = new Map<string, string[]>();
    for (const row of rows) {
      const list = byPartition.get(row.partitionKey!) ?? [];
      list.push(row.rowKey!);
      byPartition.set(row.partitionKey!, list);
    }
    for (const [partitionKey, rowKeys] of byPartition) {
      for (let i = 0; i < rowKeys.length; i += TRANSACTION_LIMIT) {
        const batch = rowKeys.slice(i, i + TRANSACTION_LIMIT);
        try {
          await table.submitTransaction(batch.map((rowKey): TransactionAction => ['delete', { partitionKey, rowKey }]));
        } catch (error) {
          if (statusOf(error) !== 404) throw error;
          for (const rowKey of batch) {
            await table.deleteEntity(partitionKey, rowKey).catch((e: unknown) => {
              if (statusOf(e) !== 404) throw e;
            });
          }
        }
      }
    }
  }

  async health(): Promise<Health> {
    try {
      const pages = this.clusters.listEntities({ queryOptions: { filter: odata`RowKey eq ${POSTURE_ROW}`, select: ['RowKey'] } }).byPage({ maxPageSize: 1 });
      await pages.next();
      return { ok: true, detail: `Table Storage reachable (tables ${this.clusters.tableName}, ${this.events.tableName})` };
    } catch (error) {
      return { ok: false, detail: `Table Storage unreachable: ${messageOf(error)}` };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Entity mapping

/**
 * The time a new history row is filed under: now, but always after the cluster's previous
 * history row. The posture row remembers that time and is written under its ETag, so history
 * keys of one cluster strictly increase in time even for evaluations within one millisecond or
 * from hosts whose clocks disagree: newest first really is newest first.
 */
function nextHistoryTime(stored: StoredPosture | undefined, now: Date): Date {
  const last = Date.parse(stringOr(stored?.summary.lastHistoryAt, ''));
  return Number.isNaN(last) || last < now.getTime() ? now : new Date(last + 1);
}

function requireEventMark(eventId: string, at: Date): void {
  if (typeof eventId !== 'string' || eventId.trim() === '') throw new InputError('an event needs an id');
  if (Number.isNaN(at.getTime())) throw new InputError('the processing time is not a valid date');
}

/** The day an event processed at `at` is filed under, then the two days before it (redeliveries across midnight). */
function eventPartitionsAround(at: Date): string[] {
  return [0, 1, 2].map((daysBack) => eventPartitionKey(new Date(at.getTime() - daysBack * 24 * 3600 * 1000)));
}

function sameCluster(a: string, b: string): boolean {
  return clusterPartitionKey(a) === clusterPartitionKey(b);
}

function uniqueByKey(alerts: readonly Alert[]): Alert[] {
  const seen = new Set<string>();
  return alerts.filter((a) => {
    const key = alertRowKey(a.dedupeKey);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The principal of a privilege alert without a `principal` object: the last part of its dedupe key. */
function principalOfKey(alert: Alert): string | undefined {
  if (alert.kind !== 'privilege-gained' && alert.kind !== 'privileged-role-granted') return undefined;
  const parts = alert.dedupeKey.split('|');
  return parts.length >= 3 ? parts[parts.length - 1] : undefined;
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
  };
}

function summaryOf(row: EntityResult): PostureSummary {
  const worst = row.worstSeverity;
  const summary: PostureSummary = {
    id: stringOr(row.clusterId, ''),
    name: stringOr(row.name, ''),
    subscriptionId: stringOr(row.subscriptionId, ''),
    resourceGroup: stringOr(row.resourceGroup, ''),
    status: stringOr(row.status, 'error') as ClusterStatus,
    score: typeof row.score === 'number' ? row.score : 0,
    failingCheckIds: parseJson<string[]>(row.failingCheckIds ?? '[]', 'failing check ids'),
    privilegedPrincipalCount: typeof row.privilegedPrincipalCount === 'number' ? row.privilegedPrincipalCount : 0,
    evaluatedAt: stringOr(row.evaluatedAt, ''),
  };
  if (typeof worst === 'string' && (SEVERITIES as readonly string[]).includes(worst)) summary.worstSeverity = worst as Severity;
  if (row.deleted === true) summary.deleted = true;
  return summary;
}

/** Regressions are small, but a bulk grant can make thousands: chunked, compressed past one entity. */
function regressionProperties(regressions: Regression[]): Record<string, unknown> {
  const json = JSON.stringify(regressions);
  let encoding: PayloadEncoding = 'json';
  let layout = layoutPayload(json);
  if (layout.parts.length > 0) {
    encoding = 'gzip-base64';
    layout = layoutPayload(encodePayload(json, encoding));
    if (layout.parts.length > 0) throw new Error(`${regressions.length} regressions are too many to store in one history row`);
  }
  return { regressionsEncoding: encoding, ...piecesAsProperties('regressions', layout.main) };
}

function historyEntity(partitionKey: string, posture: ClusterPosture, regressions: Regression[], now: Date, sourceEventId?: string): Entity {
  return {
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
    ...regressionProperties(regressions),
  };
}

function historyEntryOf(row: EntityResult): HistoryEntry {
  const entry: HistoryEntry = {
    clusterId: stringOr(row.clusterId, ''),
    evaluatedAt: stringOr(row.evaluatedAt, ''),
    status: stringOr(row.status, 'error') as ClusterStatus,
    score: typeof row.score === 'number' ? row.score : 0,
    failingCheckIds: parseJson<string[]>(row.failingCheckIds ?? '[]', 'failing check ids'),
    regressions: parseJson<Regression[]>(decodePayload(joinChunks(row, 'regressions'), row.regressionsEncoding), 'regressions'),
  };
  if (typeof row.sourceEventId === 'string' && row.sourceEventId) entry.sourceEventId = row.sourceEventId;
  if (row.deleted === true) entry.deleted = true;
  return entry;
}

function newAlertRecord(alert: Alert, now: Date): AlertRecord {
  return { alert, state: 'pending', open: true, attempts: 0, channels: {}, updatedAt: now.toISOString() };
}

function alertEntity(partitionKey: string, rowKey: string, record: AlertRecord): Entity {
  const { alert } = record;
  const entity: Entity = {
    partitionKey,
    rowKey,
    clusterId: alert.clusterId,
    dedupeKey: alert.dedupeKey,
    kind: alert.kind,
    checkId: alert.checkId,
    principalId: alert.principal?.principalId ?? '',
    severity: alert.severity,
    createdAt: alert.createdAt,
    state: record.state,
    open: record.open,
    attempts: record.attempts,
    channels: JSON.stringify(record.channels ?? {}),
    lastError: record.lastError ?? '',
    updatedAt: record.updatedAt,
    closedAt: record.closedAt ?? '',
    claimedUntil: record.claimedUntil ?? '',
    ...piecesAsProperties('alert', alertPieces(alert)),
  };
  return entity;
}

/** An alert is a few KB; one far past that is a bug upstream, refused rather than cut short. */
function alertPieces(alert: Alert): string[] {
  const layout = layoutPayload(JSON.stringify(alert));
  if (layout.parts.length > 0) throw new Error(`alert ${alert.dedupeKey} is too large to store`);
  return layout.main;
}

function alertRecordOf(row: Record<string, unknown>): AlertRecord {
  const alert = parseJson<Alert>(joinChunks(row, 'alert'), 'alert');
  const record: AlertRecord = {
    alert,
    state: stringOr(row.state, 'pending') as OutboxAlert['state'],
    open: row.open !== false,
    attempts: typeof row.attempts === 'number' ? row.attempts : 0,
    channels: parseJson<OutboxAlert['channels']>(row.channels ?? '{}', 'alert channels'),
    updatedAt: stringOr(row.updatedAt, alert.createdAt),
  };
  if (typeof row.lastError === 'string' && row.lastError) record.lastError = row.lastError;
  if (typeof row.closedAt === 'string' && row.closedAt) record.closedAt = row.closedAt;
  if (typeof row.claimedUntil === 'string' && row.claimedUntil) record.claimedUntil = row.claimedUntil;
  return record;
}

function outboxOf(record: AlertRecord): OutboxAlert {
  const outbox: OutboxAlert = {
    alert: record.alert,
    state: record.state,
    attempts: record.attempts,
    channels: record.channels,
    updatedAt: record.updatedAt,
  };
  if (record.lastError) outbox.lastError = record.lastError;
  if (record.claimedUntil) outbox.claimedUntil = record.claimedUntil;
  return outbox;
}
