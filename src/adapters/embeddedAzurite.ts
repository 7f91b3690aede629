/**
 * The embedded Table and Queue Storage for local use (`npm start`, `audit --store`, `event`
 * without `AUDIT_STORAGE`) and for tests: Azurite's table and queue servers on loopback ports.
 *
 * One Azurite per data folder (docs/storage.md "Embedded store"): the first process starts it in
 * itself and records its pid and endpoints in the folder's lock file (`./embeddedStoreLock`);
 * every other process connects to that one. When the owner exits, a process still connected
 * takes over on the same ports, so its connection keeps working. Azurite's file store saves
 * every 5 s and when it closes: the owner closes it on every shutdown it sees (normal exit,
 * SIGINT, SIGTERM). A hard kill (SIGKILL, power loss) loses at most the last 5 s of writes and
 * leaves a stale lock, which the next process detects and replaces.
 *
 * Azurite's package `main` is its VS Code extension, so the servers are loaded from their
 * modules under `azurite/dist/src/…`. They are required lazily: Azurite is a development
 * dependency, and in Azure (where a real storage account is configured) this file is imported
 * but never called.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import {
  inspectLock,
  isProcessAlive,
  lockHolder,
  lockPath,
  releaseLock,
  removeStaleLock,
  tryCreateLock,
  updateLock,
  type LockContent,
} from './embeddedStoreLock';

export interface EmbeddedAzurite {
  /** A connection string for both services (the emulator's documented development account). */
  connectionString: string;
  /** `http://127.0.0.1:<port>/devstoreaccount1` */
  tableEndpoint: string;
  queueEndpoint: string;
  /** `owner`: Azurite runs in this process; `client`: connected to the one another process runs. */
  role(): 'owner' | 'client';
  /** The process that runs it (this one when the owner). */
  ownerPid(): number;
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

interface Servers {
  tableEndpoint: string;
  queueEndpoint: string;
  /** Stops listening and saves the on-disk databases. */
  close(): Promise<void>;
}

/** Ports to listen on (a takeover keeps the previous owner's); 0 = any free port. */
interface Ports {
  table: number;
  queue: number;
}

/** Azurite's server modules: loading them takes seconds, so it is done before taking the lock. */
function loadAzurite() {
  return {
    TableServer: load<ServerConstructor>('azurite/dist/src/table/TableServer'),
    TableConfiguration: load<ConfigurationConstructor>('azurite/dist/src/table/TableConfiguration'),
    QueueServer: load<ServerConstructor>('azurite/dist/src/queue/QueueServer'),
    QueueConfiguration: load<ConfigurationConstructor>('azurite/dist/src/queue/QueueConfiguration'),
    MemoryExtentChunkStore: load<new (limit: number) => unknown>(
      'azurite/dist/src/common/persistence/MemoryExtentStore',
      'MemoryExtentChunkStore',
    ),
  };
}

async function startServers(
  dataDir: string,
  inMemory: boolean,
  ports: Ports = { table: 0, queue: 0 },
): Promise<Servers> {
  const {
    TableServer,
    TableConfiguration,
    QueueServer,
    QueueConfiguration,
    MemoryExtentChunkStore,
  } = loadAzurite();

  // Positional arguments as Azurite's own entry points pass them: port 0 lets the OS pick a
  // free port; access and debug logs are off (they would write files and flood the console);
  // the API version check is skipped so an SDK newer than this Azurite still works.
  const tableConfiguration = new TableConfiguration(
    LOOPBACK,
    ports.table,
    5,
    join(dataDir, '__azurite_db_table__.json'),
    false,
    false,
    undefined,
    undefined,
    false,
    true,
    '',
    '',
    '',
    undefined,
    false,
    inMemory,
  );
  const queueConfiguration = new QueueConfiguration(
    LOOPBACK,
    ports.queue,
    5,
    join(dataDir, '__azurite_db_queue__.json'),
    join(dataDir, '__azurite_db_queue_extent__.json'),
    [{ locationId: 'Default', locationPath: join(dataDir, '__queuestorage__'), maxConcurrency: 1 }],
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
  return {
    tableEndpoint: endpointOf(table),
    queueEndpoint: endpointOf(queue),
    close: () =>
      Promise.allSettled([table.close(), queue.close()]).then((results) => {
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      }),
  };
}

function connectionStringOf(endpoints: { tableEndpoint: string; queueEndpoint: string }): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT_NAME};AccountKey=${emulatorAccountKey()};` +
    `TableEndpoint=${endpoints.tableEndpoint};QueueEndpoint=${endpoints.queueEndpoint};`
  );
}

function portsOf(endpoints: { tableEndpoint: string; queueEndpoint: string }): Ports {
  return {
    table: Number(new URL(endpoints.tableEndpoint).port),
    queue: Number(new URL(endpoints.queueEndpoint).port),
  };
}

/**
 * The ports the folder's Azurite listened on last: the next owner listens there again when it
 * can, so a process still holding the old connection string (and the user's tools) keep working.
 */
const PORTS_FILE_NAME = 'azurite.ports.json';

function lastPorts(dataDir: string): Ports | undefined {
  try {
    const ports = JSON.parse(
      readFileSync(join(dataDir, PORTS_FILE_NAME), 'utf8'),
    ) as Partial<Ports>;
    return Number.isInteger(ports.table) && Number.isInteger(ports.queue)
      ? (ports as Ports)
      : undefined;
  } catch {
    return undefined;
  }
}

async function startOnPreferredPorts(dataDir: string, ports: Ports | undefined): Promise<Servers> {
  if (!ports) return startServers(dataDir, false);
  try {
    return await startServers(dataDir, false, ports);
  } catch (error) {
    // Taken by something else since: any free ports will do.
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return startServers(dataDir, false);
  }
}

/** How long to wait for a lock held by a live process that is starting or closing. */
const BUSY_WAIT_MS = 180_000;
/** How often a connected process checks that the owner is still there. */
const OWNER_CHECK_MS = 1_000;

type Acquired =
  | { role: 'owner'; servers: Servers; lock: LockContent }
  | { role: 'client'; lock: LockContent & { tableEndpoint: string; queueEndpoint: string } };

/** Become the owner of the folder's Azurite, or find the live one to connect to. */
async function acquire(dataDir: string, ports?: Ports): Promise<Acquired> {
  const deadline = Date.now() + BUSY_WAIT_MS;
  for (;;) {
    const mine: LockContent = { pid: process.pid, startedAt: new Date().toISOString() };
    const state = await inspectLock(dataDir);
    if (state.kind === 'live') return { role: 'client', lock: state.lock };
    // Free or stale: load Azurite now, so the lock is held "starting" only for the start itself.
    if (state.kind !== 'busy') loadAzurite();
    if (state.kind === 'stale') {
      // Another process replacing it at the same moment: let it, then look again.
      if (!removeStaleLock(dataDir, state.raw)) await pause();
      continue;
    }
    if (state.kind === 'free' && tryCreateLock(dataDir, mine)) {
      try {
        const servers = await startOnPreferredPorts(dataDir, ports ?? lastPorts(dataDir));
        writeFileSync(join(dataDir, PORTS_FILE_NAME), JSON.stringify(portsOf(servers)));
        const lock = {
          ...mine,
          tableEndpoint: servers.tableEndpoint,
          queueEndpoint: servers.queueEndpoint,
        };
        updateLock(dataDir, lock);
        return { role: 'owner', servers, lock };
      } catch (error) {
        releaseLock(dataDir, mine);
        throw error;
      }
    }
    if (state.kind === 'busy' && Date.now() > deadline) {
      throw new Error(
        `the embedded store in ${dataDir} is held by process ${state.lock.pid}, still starting or closing after ${BUSY_WAIT_MS / 1000} s; if no such process runs, delete ${lockPath(dataDir)}`,
      );
    }
    await pause();
  }
}

function pause(): Promise<void> {
  return new Promise((done) => setTimeout(done, 100));
}

export async function startEmbeddedAzurite(
  options: EmbeddedAzuriteOptions = {},
): Promise<EmbeddedAzurite> {
  const dataDir = resolve(options.dataDir ?? join('.data', 'azurite'));
  if (options.inMemory === true) {
    // Tests: a private instance, nothing on disk to share or save.
    const servers = await startServers(dataDir, true);
    let stopped: Promise<void> | undefined;
    return {
      connectionString: connectionStringOf(servers),
      tableEndpoint: servers.tableEndpoint,
      queueEndpoint: servers.queueEndpoint,
      role: () => 'owner',
      ownerPid: () => process.pid,
      stop: () => (stopped ??= servers.close()),
    };
  }
  mkdirSync(dataDir, { recursive: true });
  return shareEmbeddedAzurite(dataDir, await acquire(dataDir));
}

/**
 * The folder's one Azurite, as this process sees it: owner (runs it, saves it on shutdown) or
 * client (connected; takes over on the same ports when the owner goes away).
 */
function shareEmbeddedAzurite(dataDir: string, acquired: Acquired): EmbeddedAzurite {
  const endpoints = acquired.role === 'owner' ? acquired.servers : acquired.lock;
  let owned: { servers: Servers; lock: LockContent } | undefined =
    acquired.role === 'owner' ? acquired : undefined;
  let ownerPid = acquired.lock.pid;
  let stopped: Promise<void> | undefined;

  // Save on the shutdowns this process sees. When something else (the local host) also handles
  // the signal, it exits in its own time; otherwise the signal is raised again once saved.
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    const othersHandle = process
      .listeners(signal)
      .some((listener) => listener !== handlers[signal]);
    void stop().finally(() => {
      if (!othersHandle) process.kill(process.pid, signal);
    });
  };
  const handlers = { SIGINT: () => onSignal('SIGINT'), SIGTERM: () => onSignal('SIGTERM') };
  const watchSignals = (on: boolean) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      if (on) process.on(signal, handlers[signal]);
      else process.off(signal, handlers[signal]);
    }
  };
  if (owned) watchSignals(true);

  // A client checks that the owner is still there and takes over on the same ports if not.
  let checking = false;
  const watchdog = setInterval(() => {
    if (owned || stopped || checking) return;
    checking = true;
    void (async () => {
      try {
        if (lockHolder(dataDir) === ownerPid && isProcessAlive(ownerPid)) return;
        const next = await acquire(dataDir, portsOf(endpoints));
        if (stopped) {
          if (next.role === 'owner') await closeOwned(next);
          return;
        }
        ownerPid = next.lock.pid;
        if (next.role === 'owner') {
          owned = next;
          watchSignals(true);
        }
      } catch {
        // Tried again on the next tick; meanwhile requests fail and the SDK retries them.
      } finally {
        checking = false;
      }
    })();
  }, OWNER_CHECK_MS);
  watchdog.unref();

  async function closeOwned(own: { servers: Servers; lock: LockContent }): Promise<void> {
    // Marked closing first: a process arriving now waits instead of opening the files mid-save.
    updateLock(dataDir, { ...own.lock, closing: true });
    try {
      await own.servers.close();
    } finally {
      releaseLock(dataDir, own.lock);
    }
  }

  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      clearInterval(watchdog);
      watchSignals(false);
      if (owned) await closeOwned(owned);
    })());

  return {
    connectionString: connectionStringOf(endpoints),
    tableEndpoint: endpoints.tableEndpoint,
    queueEndpoint: endpoints.queueEndpoint,
    role: () => (owned ? 'owner' : 'client'),
    ownerPid: () => ownerPid,
    stop,
  };
}
