/**
 * The `events` table (docs/storage.md): processed Event Grid ids, one row per event under the
 * UTC day it was processed (`YYYYMMDD`), kept 48 hours for at-least-once delivery.
 */
import { odata, type TableClient } from '@azure/data-tables';
import { InputError } from '../../core/errors';
import { eventPartitionKey, eventRowKey } from '../tableKeys';
import { asDependencyError, deleteRows, queryAll, statusOf } from './common';

/** Event ids are kept this long (docs/events.md). */
export const EVENT_RETENTION_MS = 48 * 3600 * 1000;

/**
 * The partition of the last event received per subscription (row key: the lower-cased
 * subscription id). Not a date, so the 48-hour purge (`PartitionKey le <day>`) leaves it alone.
 */
const RECEIVED_PARTITION = 'received';
/** One process writes a subscription's last-received time at most this often. */
const RECEIVED_WRITE_INTERVAL_MS = 60_000;

export class EventsTable {
  /** Lower-cased subscription → the receive time this process last wrote for it (ms). */
  private readonly receivedWritten = new Map<string, number>();

  constructor(readonly table: TableClient) {}

  async recordReceived(subscriptionIds: readonly string[], at: Date): Promise<void> {
    const due = [...new Set(subscriptionIds.map((s) => s.toLowerCase()))].filter(
      (s) =>
        /^[0-9a-f-]{36}$/.test(s) &&
        !(at.getTime() - (this.receivedWritten.get(s) ?? -Infinity) < RECEIVED_WRITE_INTERVAL_MS),
    );
    if (due.length === 0) return;
    for (const s of due) this.receivedWritten.set(s, at.getTime());
    try {
      await Promise.all(
        due.map((subscriptionId) =>
          this.table.upsertEntity(
            {
              partitionKey: RECEIVED_PARTITION,
              rowKey: subscriptionId,
              lastEventAt: at.toISOString(),
            },
            'Merge',
          ),
        ),
      );
    } catch (error) {
      for (const s of due) this.receivedWritten.delete(s);
      throw asDependencyError(error);
    }
  }

  async lastReceived(): Promise<Array<{ subscriptionId: string; lastEventAt: string }>> {
    try {
      const rows = await queryAll(this.table, odata`PartitionKey eq ${RECEIVED_PARTITION}`, [
        'RowKey',
        'lastEventAt',
      ]);
      return rows
        .filter((r) => typeof r.lastEventAt === 'string')
        .map((r) => ({ subscriptionId: r.rowKey!, lastEventAt: r.lastEventAt as string }))
        .sort((a, b) => a.subscriptionId.localeCompare(b.subscriptionId));
    } catch (error) {
      throw asDependencyError(error);
    }
  }

  async isProcessed(eventId: string, at: Date): Promise<boolean> {
    requireEventMark(eventId, at);
    const [today, , earliest] = eventPartitionsAround(at);
    try {
      // Redeliveries come within 48 hours, maybe after midnight: look in the two days before
      // too, in one query (one round trip per event, which a burst of 200 feels).
      const found = this.table.listEntities({
        queryOptions: {
          filter: odata`PartitionKey ge ${earliest} and PartitionKey le ${today} and RowKey eq ${eventRowKey(eventId)}`,
          select: ['RowKey'],
        },
      });
      for await (const row of found) if (row) return true;
      return false;
    } catch (error) {
      throw asDependencyError(error);
    }
  }

  /**
   * One insert under the day of `at` (the caller looked the id up before processing the event:
   * looking again here would cost a second round trip per event in a burst). A mark already
   * there that day answers false; one filed under an earlier day is left alone, and both
   * expire with the 48 hours.
   */
  async markProcessed(eventId: string, at: Date): Promise<boolean> {
    requireEventMark(eventId, at);
    try {
      await this.table.createEntity({
        partitionKey: eventPartitionKey(at),
        rowKey: eventRowKey(eventId),
        eventId,
        processedAt: at.toISOString(),
      });
      return true;
    } catch (error) {
      if (statusOf(error) === 409) return false;
      throw asDependencyError(error);
    }
  }

  /** Processed event ids older than 48 hours. */
  async purgeExpired(now: Date): Promise<void> {
    const cutoff = new Date(now.getTime() - EVENT_RETENTION_MS);
    const rows = await queryAll(
      this.table,
      odata`PartitionKey le ${eventPartitionKey(cutoff)} and processedAt lt ${cutoff.toISOString()}`,
      ['PartitionKey', 'RowKey'],
    );
    await deleteRows(this.table, rows);
  }
}

function requireEventMark(eventId: string, at: Date): void {
  if (typeof eventId !== 'string' || eventId.trim() === '')
    throw new InputError('an event needs an id');
  if (Number.isNaN(at.getTime())) throw new InputError('the processing time is not a valid date');
}

/** The day an event processed at `at` is filed under, then the two days before it (redeliveries across midnight). */
function eventPartitionsAround(at: Date): string[] {
  return [0, 1, 2].map((daysBack) =>
    eventPartitionKey(new Date(at.getTime() - daysBack * 24 * 3600 * 1000)),
  );
}
