/**
 * A real Azurite (Table + Queue) for tests: in memory, on free loopback ports, one per test file.
 * Stop it in `afterAll`.
 *
 *   let azurite: TestAzurite;
 *   beforeAll(async () => { azurite = await startAzurite(); });
 *   afterAll(() => azurite.stop());
 */
import { startEmbeddedAzurite, type EmbeddedAzurite } from '../../src/adapters/embeddedAzurite';

export type TestAzurite = EmbeddedAzurite;

export async function startAzurite(): Promise<TestAzurite> {
  return startEmbeddedAzurite({ inMemory: true });
}

let tableSequence = 0;

/**
 * A table-name prefix unique within the test process, so tests sharing one Azurite do not see
 * each other's rows (table names: letters and digits, starting with a letter).
 */
export function uniqueTablePrefix(label = 't'): string {
  tableSequence += 1;
  const clean = label.replace(/[^A-Za-z0-9]/g, '').slice(0, 20) || 't';
  return `${/^[A-Za-z]/.test(clean) ? clean : `t${clean}`}${process.pid}x${tableSequence}`;
}

/** Azurite's Blob service, in memory on a free loopback port (the embedded store serves none). */
export interface TestAzuriteBlob {
  /** `http://127.0.0.1:<port>/devstoreaccount1` */
  blobEndpoint: string;
  stop(): Promise<void>;
}

export async function startAzuriteBlob(): Promise<TestAzuriteBlob> {
  const BlobServer = require('azurite/dist/src/blob/BlobServer').default as new (
    config: unknown,
  ) => { start(): Promise<void>; close(): Promise<void>; getHttpServerAddress(): string };
  const BlobConfiguration = require('azurite/dist/src/blob/BlobConfiguration').default as new (
    ...args: unknown[]
  ) => unknown;
  const { MemoryExtentChunkStore } =
    require('azurite/dist/src/common/persistence/MemoryExtentStore') as {
      MemoryExtentChunkStore: new (limit: number) => unknown;
    };
  // Positional, as Azurite's own entry point passes them: port 0, no logs, API version check
  // skipped (the SDK may be newer than this Azurite), in-memory persistence.
  const server = new BlobServer(
    new BlobConfiguration(
      '127.0.0.1',
      0,
      5,
      'blob-metadata.json',
      'blob-extents.json',
      [{ locationId: 'Default', locationPath: 'blobstorage', maxConcurrency: 1 }],
      false,
      undefined,
      false,
      undefined,
      false,
      true,
      '',
      '',
      '',
      undefined,
      false,
      true,
      new MemoryExtentChunkStore(64 * 1024 * 1024),
    ),
  );
  await server.start();
  return {
    blobEndpoint: `${server.getHttpServerAddress()}/devstoreaccount1`,
    stop: () => server.close(),
  };
}
