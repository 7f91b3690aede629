/**
 * What the Table Storage adapters share: error classification (an outage is a DependencyError,
 * a lost race is 409/412), paged queries and batched deletes.
 */
import { isRestError } from '@azure/core-rest-pipeline';
import {
  TableClient,
  type TableServiceClientOptions,
  type TableEntity,
  type TableEntityResult,
  type TransactionAction,
} from '@azure/data-tables';
import type { TokenCredential } from '@azure/core-auth';
import { DependencyError, InputError, NotFoundError } from '../../core/errors';

export type Entity = TableEntity<Record<string, unknown>>;
export type EntityResult = TableEntityResult<Record<string, unknown>>;

/** At most this many entities in one transaction (one partition of one table). */
export const TRANSACTION_LIMIT = 100;

export function statusOf(error: unknown): number | undefined {
  return isRestError(error) ? error.statusCode : undefined;
}

/** 409 (created meanwhile) or 412 (changed since read): another writer got there first. */
export function isConflict(error: unknown): boolean {
  const status = statusOf(error);
  return status === 409 || status === 412;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

/** An outage (no answer, 5xx, refused credentials) is the dependency's, not a bug here. */
export function asDependencyError(error: unknown): unknown {
  if (
    error instanceof InputError ||
    error instanceof NotFoundError ||
    error instanceof DependencyError
  )
    return error;
  if (isRestError(error)) {
    const status = error.statusCode;
    if (status === undefined || status >= 500 || status === 401 || status === 403) {
      return new DependencyError(`Table Storage is unavailable: ${messageOf(error)}`, 'storage');
    }
  }
  return error;
}

export function parseJson<T>(text: unknown, what: string): T {
  if (typeof text !== 'string') throw new Error(`stored ${what} is missing`);
  return JSON.parse(text) as T;
}

export function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

export function validTableName(name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9]{2,62}$/.test(name)) {
    throw new InputError(
      `table name ${JSON.stringify(name)} is not valid (3-63 letters and digits, starting with a letter)`,
    );
  }
  return name;
}

/** Every page of a query. */
export async function queryAll(
  table: TableClient,
  filter: string,
  select?: string[],
): Promise<EntityResult[]> {
  const rows: EntityResult[] = [];
  for await (const row of table.listEntities({
    queryOptions: select ? { filter, select } : { filter },
  }))
    rows.push(row);
  return rows;
}

/** Deletes in partition transactions of 100; a batch that meets a row deleted meanwhile is redone row by row. */
export async function deleteRows(table: TableClient, rows: EntityResult[]): Promise<void> {
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
        await table.submitTransaction(
          batch.map((rowKey): TransactionAction => ['delete', { partitionKey, rowKey }]),
        );
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

/** Where a table lives: a connection string (Azurite, keys) or the endpoint with an identity. */
export type TableConnectionConfig = {
  /** Plain http (Azurite); the SDK refuses it otherwise. */
  allowInsecureConnection?: boolean;
  /** Prepended to the table name (test isolation); letters and digits. */
  tablePrefix?: string;
  clientOptions?: TableServiceClientOptions;
} & ({ connectionString: string } | { tableServiceUri: string; credential: TokenCredential });

/** The client of table `prefix + name` for either form of connection. */
export function openTableClient(config: TableConnectionConfig, name: string): TableClient {
  const table = `${config.tablePrefix ?? ''}${name}`;
  const options: TableServiceClientOptions = { ...config.clientOptions };
  if (config.allowInsecureConnection) options.allowInsecureConnection = true;
  return 'connectionString' in config
    ? TableClient.fromConnectionString(config.connectionString, table, options)
    : new TableClient(config.tableServiceUri, table, config.credential, options);
}
