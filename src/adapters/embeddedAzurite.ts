/**
 * The embedded Table and Queue Storage for local use (`npm start` without `AUDIT_STORAGE`) and
 * for tests: Azurite's table and queue servers started in this process on free loopback ports.
 *
 * Azurite's package `main` is its VS Code extension, so the servers are loaded from their
 * modules under `azurite/dist/src/…`. They are required lazily: Azurite is a development
 * dependency, and in Azure (where a real storage account is configured) this file is imported
 * but never called.
 */
import { mkdirSync } from 'fs';
import { join, resolve } from 'path';

export interface EmbeddedAzurite {
  /** A connection string for both services (the emulator's documented development account). */
  connectionString: string;
  /** `http://127.0.0.1:<port>/devstoreaccount1` */
  tableEndpoint: string;
  queueEndpoint: string;
  stop(): Promise<void>;
}

export interface EmbeddedAzuriteOptions {
  /** Where table and queue data are kept across restarts; default `.data/azurite`. */
  dataDir?: string;
  /** Keep everything in memory (tests); `dataDir` is then ignored. */
  inMemory?: boolean;
}

/** The minimal surface of Azurite's server classes that is used here. */
interface AzuriteServer {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
}
type ServerConstructor = new (configuration: unknown) => AzuriteServer;
type ConfigurationConstructor = new (...args: unknown[]) => unknown;

const ACCOUNT_NAME = 'devstoreaccount1';
const LOOPBACK = '127.0.0.1';
/** Memory for queue message bodies of one in-memory instance (its own store, not Azurite's process-wide one). */
const QUEUE_MEMORY_LIMIT_BYTES = 64 * 1024 * 1024;

function load<T>(modulePath: string, exportName = 'default'): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require(modulePath) as Record<string, unknown>;
  return loaded[exportName] as T;
}

/**
 * The emulator's well-known development account key, taken from Azurite itself rather than
 * copied here: it is public and documented, and only valid against an emulator.
 */
function emulatorAccountKey(): string {
  const key = load<Buffer>('azurite/dist/src/common/utils/constants', 'EMULATOR_ACCOUNT_KEY');
  return Buffer.from(key).toString('base64');
}

function endpointOf(server: AzuriteServer): string {
  const address = server.getHttpServerAddress();
  if (!address) throw new Error('Azurite started but reports no listening address');
  return `${address}/${ACCOUNT_NAME}`;
}

export async function startEmbeddedAzurite(options: EmbeddedAzuriteOptions = {}): Promise<EmbeddedAzurite> {
  const inMemory = options.inMemory === true;
  const dataDir = resolve(options.dataDir ?? join('.data', 'azurite'));
  if (!inMemory) mkdirSync(dataDir, { recursive: true });

  const TableServer = load<ServerConstructor>('azurite/dist/src/table/TableServer');
  const TableConfiguration = load<ConfigurationConstructor>('azurite/dist/src/table/TableConfiguration');
  const QueueServer = load<ServerConstructor>('azurite/dist/src/queue/QueueServer');
  const QueueConfiguration = load<ConfigurationConstructor>('azurite/dist/src/queue/QueueConfiguration');
  const MemoryExtentChunkStore = load<new (limit: number) => unknown>(
    'azurite/dist/src/common/persistence/MemoryExtentStore',
    'MemoryExtentChunkStore',
  );

  // Positional arguments as Azurite's own entry points pass them: port 0 lets the OS pick a
  // free port; access and debug logs are off (they would write files and flood the console);
  // the API version check is skipped so an SDK newer than this Azurite still works.
  const tableConfiguration = new TableConfiguration(
    LOOPBACK, 0, 5,
    join(dataDir, '__azurite_db_table__.json'),
    false, false, undefined, undefined,
    false, true,
    '', '', '', undefined, false,
    inMemory,
  );
  const queueConfiguration = new QueueConfiguration(
    LOOPBACK, 0, 5,
    join(dataDir, '__azurite_db_queue__.json'),
    join(dataDir, '__azurite_db_queue_extent__.json'),
    [{ locationId: 'Default', locationPath: join(dataDir, '__queuestorage__'), maxConcurrency: 1 }],
    false, undefined, false, undefined,
    false, true,
    '', '', '', undefined, false,
    inMemory,
    inMemory ? new MemoryExtentChunkStore(QUEUE_MEMORY_LIMIT_BYTES) : undefined,
  );

  const table = new TableServer(tableConfiguration);
  const queue = new QueueServer(queueConfiguration);
  await table.start();
  try {
    await queue.start();
  } catch (error) {
    await table.close();
    throw error;
  }

  const tableEndpoint = endpointOf(table);
  const queueEndpoint = endpointOf(queue);
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT_NAME};AccountKey=${emulatorAccountKey()};` +
    `TableEndpoint=${tableEndpoint};QueueEndpoint=${queueEndpoint};`;

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    // Closing saves the on-disk databases, so a later start sees every write.
    (stopped ??= Promise.allSettled([table.close(), queue.close()]).then((results) => {
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }));

  return { connectionString, tableEndpoint, queueEndpoint, stop };
}
