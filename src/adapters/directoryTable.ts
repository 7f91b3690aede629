/**
 * The directory cache in Table Storage (docs/storage.md, `directory` table): Microsoft Graph's
 * answers with the time they were read.
 *
 * - partition `principal`, one row per object id asked: `readAt`, `deleted` (Graph did not know
 *   the id) or the principal as JSON (`data`: id, type, names, `userType`, `accountEnabled`);
 * - partition `members`, one row per group: `readAt`, `count`, `complete` and the users behind
 *   the group as gzip-compressed JSON over as many properties as it takes (a bounded listing is
 *   at most 1,000 users, well inside one entity).
 *
 * Row keys are the lower-cased object ids, encoded reversibly (`tableKeys.keyFor`). Principals
 * are read with one paged query of the fresh rows of their partition (a handful of pages for
 * thousands of principals, instead of a request per id), written in transactions of 100.
 */
import { odata, type TableClient } from '@azure/data-tables';
import type { DirectoryPrincipal } from '../core/model';
import type { CachedGroupUsers, CachedPrincipal, DirectoryCache } from '../core/ports';
import { principalKey } from '../core/principals';
import {
  asDependencyError,
  openTableClient,
  statusOf,
  TRANSACTION_LIMIT,
  type Entity,
  type EntityResult,
  type TableConnectionConfig,
} from './tables/common';
import { chunkProperty, decodePayload, encodePayload, joinChunks, keyFor } from './tableKeys';

const PRINCIPALS = 'principal';
const MEMBERS = 'members';

export class DirectoryTable implements DirectoryCache {
  readonly table: TableClient;

  constructor(config: TableConnectionConfig) {
    this.table = openTableClient(config, 'directory');
  }

  static async create(config: TableConnectionConfig): Promise<DirectoryTable> {
    const store = new DirectoryTable(config);
    try {
      await store.table.createTable();
    } catch (error) {
      throw asDependencyError(error);
    }
    return store;
  }

  async principals(ids: readonly string[], since: Date): Promise<CachedPrincipal[]> {
    const wanted = new Set(ids.map(principalKey));
    const found: CachedPrincipal[] = [];
    try {
      for await (const row of this.table.listEntities<Entity>({
        queryOptions: { filter: odata`PartitionKey eq ${PRINCIPALS} and readAt ge ${since}` },
      })) {
        const entry = principalOfRow(row);
        if (entry && wanted.has(principalKey(entry.id))) found.push(entry);
      }
    } catch (error) {
      throw asDependencyError(error);
    }
    return found;
  }

  async savePrincipals(entries: readonly CachedPrincipal[]): Promise<void> {
    const rows = entries.map((e): Entity => ({
      partitionKey: PRINCIPALS,
      rowKey: keyFor('', principalKey(e.id)),
      id: e.id,
      readAt: e.readAt,
      deleted: e.principal === undefined,
      ...(e.principal ? { data: JSON.stringify(e.principal) } : {}),
    }));
    try {
      for (let i = 0; i < rows.length; i += TRANSACTION_LIMIT) {
        await this.table.submitTransaction(
          rows.slice(i, i + TRANSACTION_LIMIT).map((row) => ['upsert', row, 'Replace']),
        );
      }
    } catch (error) {
      throw asDependencyError(error);
    }
  }

  async groupUsers(groupId: string, since: Date): Promise<CachedGroupUsers | undefined> {
    let row: EntityResult;
    try {
      row = await this.table.getEntity<Entity>(MEMBERS, keyFor('', principalKey(groupId)));
    } catch (error) {
      // Row absent: not cached. A missing table (TableNotFound) is a cache that cannot be read.
      const code = (error as { details?: { odataError?: { code?: string } } }).details?.odataError
        ?.code;
      if (statusOf(error) === 404 && code !== 'TableNotFound') return undefined;
      throw asDependencyError(error);
    }
    const entry = groupUsersOfRow(row);
    return entry && entry.readAt >= since ? entry : undefined;
  }

  async saveGroupUsers(entry: CachedGroupUsers): Promise<void> {
    const users = encodePayload(JSON.stringify(entry.listing.users), 'gzip-base64');
    try {
      await this.table.upsertEntity<Entity>(
        {
          partitionKey: MEMBERS,
          rowKey: keyFor('', principalKey(entry.groupId)),
          groupId: entry.groupId,
          readAt: entry.readAt,
          count: entry.listing.count,
          complete: entry.listing.complete,
          encoding: 'gzip-base64',
          ...chunkProperty('users', users),
        },
        'Replace',
      );
    } catch (error) {
      throw asDependencyError(error);
    }
  }
}

/** A stored row as a cache entry; undefined for a row that does not decode whole (then Graph is asked). */
function principalOfRow(row: Record<string, unknown>): CachedPrincipal | undefined {
  const readAt = dateOf(row.readAt);
  if (typeof row.id !== 'string' || !readAt) return undefined;
  if (row.deleted === true) return { id: row.id, readAt };
  const principal = parsed<DirectoryPrincipal>(() => JSON.parse(String(row.data)));
  if (!principal || typeof principal.id !== 'string') return undefined;
  if (principalKey(principal.id) !== principalKey(row.id)) return undefined;
  return { id: row.id, principal, readAt };
}

function groupUsersOfRow(row: Record<string, unknown>): CachedGroupUsers | undefined {
  const readAt = dateOf(row.readAt);
  if (typeof row.groupId !== 'string' || !readAt) return undefined;
  if (typeof row.count !== 'number' || typeof row.complete !== 'boolean') return undefined;
  const users = parsed<unknown>(() =>
    JSON.parse(decodePayload(joinChunks(row, 'users'), row.encoding)),
  );
  if (!Array.isArray(users) || !users.every((u) => typeof (u as { id?: unknown })?.id === 'string'))
    return undefined;
  return {
    groupId: row.groupId,
    readAt,
    listing: { users: users as DirectoryPrincipal[], count: row.count, complete: row.complete },
  };
}

function dateOf(value: unknown): Date | undefined {
  const date =
    value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

function parsed<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
