/**
 * The alert outbox (docs/storage.md "Outbox"): one row per dedupe key in the cluster's
 * partition of the `clusters` table (`alert-<encoded dedupe key>`), so an alert is written in
 * the same transaction as the posture it comes from. A row is `pending` until every channel
 * took it (`sent`) or its attempts ran out (`failed`); `open` while its condition holds
 * (core/alertPolicy decides when it opens and closes).
 */
import { odata, type TableClient } from '@azure/data-tables';
import { DependencyError, InputError, NotFoundError } from '../../core/errors';
import type { Alert } from '../../core/model';
import type { Clock, OutboxAlert } from '../../core/ports';
import {
  ALERT_END,
  ALERT_PREFIX,
  alertRowKey,
  clusterPartitionKey,
  joinChunks,
  layoutPayload,
  piecesAsProperties,
} from '../tableKeys';
import {
  asDependencyError,
  deleteRows,
  isConflict,
  parseJson,
  queryAll,
  statusOf,
  stringOr,
  type Entity,
} from './common';

export interface AlertRecord {
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

export interface StoredAlert {
  rowKey: string;
  etag: string;
  record: AlertRecord;
}

export function requireAlert(alert: Alert): void {
  if (
    !alert ||
    typeof alert.clusterId !== 'string' ||
    !alert.clusterId.trim() ||
    typeof alert.dedupeKey !== 'string' ||
    !alert.dedupeKey
  ) {
    throw new InputError('an alert needs a clusterId and a dedupeKey');
  }
}

export function newAlertRecord(alert: Alert, now: Date): AlertRecord {
  return {
    alert,
    state: 'pending',
    open: true,
    attempts: 0,
    channels: {},
    updatedAt: now.toISOString(),
  };
}

export function alertEntity(partitionKey: string, rowKey: string, record: AlertRecord): Entity {
  const { alert } = record;
  return {
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
}

/** The merge that closes an open row (its condition cleared, or the cluster was deleted). */
export function closeEntity(partitionKey: string, rowKey: string, at: Date): Entity {
  return { partitionKey, rowKey, open: false, closedAt: at.toISOString() };
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
  if (typeof row.claimedUntil === 'string' && row.claimedUntil)
    record.claimedUntil = row.claimedUntil;
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

function uniqueByKey(alerts: readonly Alert[]): Alert[] {
  const seen = new Set<string>();
  return alerts.filter((a) => {
    const key = alertRowKey(a.dedupeKey);
    return !seen.has(key) && seen.add(key);
  });
}

/** The outbox rows of the `clusters` table. */
export class Outbox {
  /**
   * The version of each outbox row this process last read or wrote (by partition and row key):
   * a claim or an update tries it first, one round trip instead of a read and a write. A stale
   * one costs nothing but the 412 it gets, after which the row is read as before.
   */
  private readonly seen = new Map<string, StoredAlert>();

  constructor(
    private readonly table: TableClient,
    private readonly clock: Clock,
    private readonly maxAttempts: number,
  ) {}

  private remember(partitionKey: string, stored: StoredAlert | undefined): void {
    const key = `${partitionKey}\u0000${stored?.rowKey ?? ''}`;
    if (stored) this.seen.set(key, stored);
  }

  /**
   * On a first attempt, the row as last seen by this process (then forgotten: it is used once,
   * and only to attempt a write under its version); else the row as read now.
   */
  private async current(
    partitionKey: string,
    rowKey: string,
    attempt: number,
  ): Promise<{ stored: StoredAlert | undefined; remembered: boolean }> {
    const key = `${partitionKey}\u0000${rowKey}`;
    const seen = this.seen.get(key);
    this.seen.delete(key);
    if (attempt === 1 && seen) return { stored: seen, remembered: true };
    return { stored: await this.read(partitionKey, rowKey), remembered: false };
  }

  /** Replace the row under its version; the new version is remembered for the next write. */
  private async replace(partitionKey: string, rowKey: string, etag: string, record: AlertRecord) {
    const written = await this.table.updateEntity(
      alertEntity(partitionKey, rowKey, record),
      'Replace',
      { etag },
    );
    // Only a row still pending is written again by this process (its delivery after a claim).
    if (written.etag && record.state === 'pending')
      this.remember(partitionKey, { rowKey, etag: written.etag, record });
  }

  /** Every outbox row of one cluster's partition, by row key. */
  async readPartition(partitionKey: string): Promise<Map<string, StoredAlert>> {
    const filter = odata`PartitionKey eq ${partitionKey} and RowKey ge ${ALERT_PREFIX} and RowKey lt ${ALERT_END}`;
    const result = new Map<string, StoredAlert>();
    for await (const row of this.table.listEntities({ queryOptions: { filter } })) {
      result.set(row.rowKey!, { rowKey: row.rowKey!, etag: row.etag, record: alertRecordOf(row) });
    }
    return result;
  }

  private async read(partitionKey: string, rowKey: string): Promise<StoredAlert | undefined> {
    try {
      const row = await this.table.getEntity<Record<string, unknown>>(partitionKey, rowKey);
      return { rowKey, etag: row.etag, record: alertRecordOf(row) };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async list(filter: { since?: Date; state?: OutboxAlert['state'] }): Promise<OutboxAlert[]> {
    const clauses = [odata`RowKey ge ${ALERT_PREFIX}`, odata`RowKey lt ${ALERT_END}`];
    if (filter.state !== undefined) clauses.push(odata`state eq ${filter.state}`);
    if (filter.since !== undefined) {
      if (Number.isNaN(filter.since.getTime())) throw new InputError('since is not a valid time');
      clauses.push(odata`createdAt ge ${filter.since.toISOString()}`);
    }
    try {
      const rows = await queryAll(this.table, clauses.join(' and '));
      if (filter.state === 'pending') this.seen.clear();
      return rows.map((row) => {
        const record = alertRecordOf(row);
        // Pending rows are about to be claimed by the delivery run that listed them.
        if (filter.state === 'pending')
          this.remember(row.partitionKey!, { rowKey: row.rowKey!, etag: row.etag, record });
        return outboxOf(record);
      });
    } catch (error) {
      throw asDependencyError(error);
    }
  }

  /** Pending rows for alerts whose dedupe key has no open row (one page per open condition). */
  async enqueue(alerts: Alert[]): Promise<Alert[]> {
    const written: Alert[] = [];
    try {
      for (const alert of uniqueByKey(alerts)) {
        requireAlert(alert);
        const partitionKey = clusterPartitionKey(alert.clusterId);
        const rowKey = alertRowKey(alert.dedupeKey);
        // Most alerts are new (a signal's key names its event): try the insert first, one
        // round trip; a row already there (409) takes the read-then-decide path below.
        try {
          await this.table.createEntity(
            alertEntity(partitionKey, rowKey, newAlertRecord(alert, this.clock.now())),
          );
          written.push(alert);
          continue;
        } catch (error) {
          if (statusOf(error) !== 409) throw error;
        }
        for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
          const current = await this.read(partitionKey, rowKey);
          if (current?.record.open) break;
          const entity = alertEntity(partitionKey, rowKey, newAlertRecord(alert, this.clock.now()));
          try {
            if (current) await this.table.updateEntity(entity, 'Replace', { etag: current.etag });
            else await this.table.createEntity(entity);
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

  async update(clusterId: string, dedupeKey: string, update: Partial<OutboxAlert>): Promise<void> {
    const partitionKey = clusterPartitionKey(clusterId);
    const rowKey = alertRowKey(dedupeKey);
    try {
      for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
        const current = (await this.current(partitionKey, rowKey, attempt)).stored;
        if (!current)
          throw new NotFoundError(`no alert ${dedupeKey} is stored for cluster ${clusterId}`);
        const record: AlertRecord = {
          ...current.record,
          alert: update.alert ?? current.record.alert,
          state: update.state ?? current.record.state,
          attempts: update.attempts ?? current.record.attempts,
          channels: update.channels ?? current.record.channels,
          lastError: update.lastError ?? current.record.lastError,
          updatedAt: update.updatedAt ?? this.clock.now().toISOString(),
          claimedUntil:
            'claimedUntil' in update ? update.claimedUntil : current.record.claimedUntil,
        };
        try {
          await this.replace(partitionKey, rowKey, current.etag, record);
          return;
        } catch (error) {
          if (statusOf(error) !== 412) throw error;
        }
      }
    } catch (error) {
      throw asDependencyError(error);
    }
    throw new DependencyError(
      `could not update alert ${dedupeKey}: it kept changing concurrently`,
      'storage',
    );
  }

  async claim(
    clusterId: string,
    dedupeKey: string,
    leaseMs: number,
    now: Date,
  ): Promise<OutboxAlert | undefined> {
    if (!Number.isFinite(leaseMs) || leaseMs <= 0)
      throw new InputError('a claim lease must be a positive number of milliseconds');
    if (Number.isNaN(now.getTime())) throw new InputError('the claim time is not a valid date');
    const partitionKey = clusterPartitionKey(clusterId);
    const rowKey = alertRowKey(dedupeKey);
    try {
      for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
        const seen = await this.current(partitionKey, rowKey, attempt);
        const taken = (row: StoredAlert | undefined) =>
          !row ||
          row.record.state !== 'pending' ||
          Date.parse(row.record.claimedUntil ?? '') > now.getTime();
        // A remembered row only ever leads to a write attempt; to decide to skip, read it now.
        const current =
          seen.remembered && taken(seen.stored)
            ? await this.read(partitionKey, rowKey)
            : seen.stored;
        if (!current || taken(current)) return undefined;
        // updatedAt is left alone: it times retries, and a claim is not a delivery attempt.
        const record: AlertRecord = {
          ...current.record,
          claimedUntil: new Date(now.getTime() + leaseMs).toISOString(),
        };
        try {
          await this.replace(partitionKey, rowKey, current.etag, record);
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

  /** Deletes the rows closed before `cutoff`. */
  async purgeClosedBefore(cutoff: Date): Promise<void> {
    const rows = await queryAll(
      this.table,
      odata`RowKey ge ${ALERT_PREFIX} and RowKey lt ${ALERT_END} and open eq ${false} and closedAt lt ${cutoff.toISOString()}`,
      ['PartitionKey', 'RowKey'],
    );
    await deleteRows(this.table, rows);
  }
}
