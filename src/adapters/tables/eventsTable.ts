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

export class EventsTable {
  constructor(readonly table: TableClient) {}

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
