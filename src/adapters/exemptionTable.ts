/**
 * Exemptions in Table Storage (docs/storage.md): one partition per exemption id, holding the
 * current row and one history row per change (created, updated, revoked, expired: who and when).
 * Every change writes both rows in one partition transaction, conditional on the ETag read, so
 * two writers racing on one exemption never both win and history never misses a change.
 */
import { odata, RestError, type TableClient, type TransactionAction } from '@azure/data-tables';
import { randomBytes } from 'crypto';
import { DependencyError, InputError, NotFoundError } from '../core/errors';
import type { Exemption } from '../core/exemptions';
import type { ExemptionChange, ExemptionHistoryEntry, ExemptionStore } from '../core/ports';
import { openTableClient, type TableConnectionConfig } from './tables/common';

const CURRENT_ROW = 'exemption';
const HISTORY_PREFIX = 'history-';
/** Conditional-write attempts before giving up (only a storm of writers on one id gets there). */
const MAX_ATTEMPTS = 5;

type Row = { partitionKey: string; rowKey: string; data: string; etag?: string };

function statusOf(error: unknown): number | undefined {
  return error instanceof RestError
    ? error.statusCode
    : (error as { statusCode?: number })?.statusCode;
}

function asDependency(error: unknown): Error {
  if (
    error instanceof InputError ||
    error instanceof NotFoundError ||
    error instanceof DependencyError
  )
    return error;
  return new DependencyError(
    'Table Storage',
    error instanceof Error ? error.message : String(error),
  );
}

/** A transaction that failed on one of its entities reports the first failing status. */
function transactionStatus(error: unknown): number | undefined {
  return statusOf(error);
}

export class ExemptionTable implements ExemptionStore {
  readonly table: TableClient;

  constructor(config: TableConnectionConfig) {
    this.table = openTableClient(config, 'exemptions');
  }

  static async create(
    config: ConstructorParameters<typeof ExemptionTable>[0],
  ): Promise<ExemptionTable> {
    const store = new ExemptionTable(config);
    try {
      await store.table.createTable();
    } catch (error) {
      throw asDependency(error);
    }
    return store;
  }

  async list(): Promise<Exemption[]> {
    const result: Exemption[] = [];
    try {
      const pages = this.table
        .listEntities<Row>({ queryOptions: { filter: odata`RowKey eq ${CURRENT_ROW}` } })
        .byPage({ maxPageSize: 1000 });
      for await (const page of pages)
        for (const row of page) result.push(JSON.parse(row.data) as Exemption);
    } catch (error) {
      throw asDependency(error);
    }
    return result.sort((a, b) => a.id.localeCompare(b.id));
  }

  async get(id: string): Promise<Exemption | undefined> {
    return (await this.read(id))?.exemption;
  }

  async history(id: string): Promise<ExemptionHistoryEntry[]> {
    const entries: ExemptionHistoryEntry[] = [];
    try {
      const rows = this.table.listEntities<Row>({
        queryOptions: {
          filter: odata`PartitionKey eq ${id} and RowKey ge ${HISTORY_PREFIX} and RowKey lt ${'history.'}`,
        },
      });
      for await (const row of rows) entries.push(JSON.parse(row.data) as ExemptionHistoryEntry);
    } catch (error) {
      throw asDependency(error);
    }
    return entries.sort((a, b) => a.at.localeCompare(b.at));
  }

  /** Insert a new exemption; an id that exists already is refused (whoever wrote it first wins). */
  async insert(exemption: Exemption, change: ExemptionChange): Promise<Exemption> {
    const actions: TransactionAction[] = [
      ['create', this.currentRow(exemption)],
      ['create', this.historyRow(exemption.id, change)],
    ];
    try {
      await this.table.submitTransaction(actions);
    } catch (error) {
      if (transactionStatus(error) === 409)
        throw new InputError(`exemption ${JSON.stringify(exemption.id)}: id already exists`);
      throw asDependency(error);
    }
    return exemption;
  }

  /**
   * Change a stored exemption: `apply` gets the current state and returns the new one (or throws
   * to refuse); the write is conditional on the ETag read and retried on a conflict, re-applying
   * to what the other writer stored.
   */
  async update(
    id: string,
    apply: (current: Exemption) => { exemption: Exemption; change: ExemptionChange } | undefined,
  ): Promise<Exemption> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.read(id);
      if (!current) throw new NotFoundError(`no exemption with id ${JSON.stringify(id)}`);
      const next = apply(current.exemption);
      if (!next) return current.exemption;
      const actions: TransactionAction[] = [
        ['update', this.currentRow(next.exemption), 'Replace', { etag: current.etag }],
        ['create', this.historyRow(id, next.change)],
      ];
      try {
        await this.table.submitTransaction(actions);
        return next.exemption;
      } catch (error) {
        if (transactionStatus(error) === 412 && attempt < MAX_ATTEMPTS) continue;
        throw asDependency(error);
      }
    }
  }

  private async read(id: string): Promise<{ exemption: Exemption; etag: string } | undefined> {
    try {
      const row = await this.table.getEntity<Row>(id, CURRENT_ROW);
      return { exemption: JSON.parse(row.data) as Exemption, etag: row.etag };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw asDependency(error);
    }
  }

  private currentRow(exemption: Exemption): Row {
    return { partitionKey: exemption.id, rowKey: CURRENT_ROW, data: JSON.stringify(exemption) };
  }

  private historyRow(id: string, change: ExemptionChange): Row {
    const entry: ExemptionHistoryEntry = { id, ...change };
    return {
      partitionKey: id,
      rowKey: `${HISTORY_PREFIX}${change.at}-${randomBytes(4).toString('hex')}`,
      data: JSON.stringify(entry),
    };
  }
}
