/**
 * Building the concrete adapters from settings — one place, shared by the Functions runtime,
 * the local host and the CLI (`audit --store/--notify`, `event`).
 */
import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import type { Agent } from 'https';
import { join, resolve } from 'path';
import type { Writable } from 'stream';
import { startEmbeddedAzurite } from './adapters/embeddedAzurite';
import { createNotifiers, DisabledNotifier } from './adapters/notifiers';
import { StorageSubscriptionQueue, type QueueConnection } from './adapters/subscriptionQueue';
import { BlobDeadLetterBox, type BlobConnection } from './adapters/deadLetterContainer';
import { DirectoryTable } from './adapters/directoryTable';
import { ExemptionTable } from './adapters/exemptionTable';
import type { TableConnectionConfig } from './adapters/tables/common';
import { TableStore } from './adapters/tableStore';
import { DEFAULT_DIRECTORY_CACHE_MINUTES, type Settings } from './config';
import {
  systemClock,
  type Clock,
  type DeadLetterBox,
  type DirectoryCache,
  type EstateSource,
  type ExemptionStore,
  type Notifier,
  type PostureStore,
} from './core/ports';
import { withDirectory } from './usecases/directory';
import { cachedDirectory } from './usecases/directoryCache';
import { withFederatedCredentials } from './usecases/federatedCredentials';
import { AUDIT_QUEUE_NAME, type SubscriptionQueue } from './usecases/fanOut';

/** Where the estate comes from (docs/contracts.md `AUDIT_SNAPSHOT_DIR`). */
export type EstateSelection =
  | { kind: 'snapshot'; dir: string; bundledSample: boolean }
  /** `subscriptionIds` empty: every subscription the identity can read (in Azure). */
  | { kind: 'azure'; subscriptionIds: string[] };

/**
 * The one estate-source selection of the Functions app, the local host and the CLI (whose flags
 * arrive as setting overrides): the exports of `AUDIT_SNAPSHOT_DIR` when set (relative to
 * `cwd`); live Azure in Azure or when subscriptions are configured; otherwise the bundled sample
 * estate, which the caller announces.
 */
export function selectEstate(
  settings: Pick<Settings, 'snapshotDir' | 'runningInAzure' | 'subscriptionIds'>,
  where: { packageRoot: string; cwd?: string },
): EstateSelection {
  if (settings.snapshotDir)
    return {
      kind: 'snapshot',
      dir: resolve(where.cwd ?? process.cwd(), settings.snapshotDir),
      bundledSample: false,
    };
  if (settings.runningInAzure || settings.subscriptionIds.length > 0)
    return { kind: 'azure', subscriptionIds: settings.subscriptionIds };
  return {
    kind: 'snapshot',
    dir: join(where.packageRoot, 'samples', 'estate'),
    bundledSample: true,
  };
}

/**
 * The live estate source: ARM (clusters, role assignments, role definitions) with the federated
 * credentials of managed identities (ARM); with `AUDIT_DIRECTORY=graph`, Microsoft Graph for
 * names, deleted principals, the users behind privileged groups and app registrations' federated
 * credentials. One composition for the Functions app, the local host and the CLI.
 */
export function liveEstateSource(
  settings: Pick<Settings, 'subscriptionIds' | 'sourceMode' | 'directory'> &
    Partial<Pick<Settings, 'directoryCacheMinutes'>>,
  options: {
    credential: TokenCredential;
    subscriptionIds?: string[];
    armEndpoint?: string;
    /** Tests: a local fake of Microsoft Graph. */
    graphEndpoint?: string;
    agent?: Agent;
    clock?: Clock;
    log?: (line: string) => void;
    /** Where Graph's answers are kept across runs (`directoryCacheMinutes`); none = asked every run. */
    directoryCache?: DirectoryCache;
  },
): EstateSource {
  // Loaded on demand: the Azure SDK clients are heavy and only live audits need them.
  const { ArmEstateSource } =
    require('./adapters/armSource') as typeof import('./adapters/armSource');
  const { ManagedIdentityCredentialReader } =
    require('./adapters/managedIdentities') as typeof import('./adapters/managedIdentities');
  const { GraphDirectory } =
    require('./adapters/graphDirectory') as typeof import('./adapters/graphDirectory');
  const subscriptionIds = options.subscriptionIds ?? settings.subscriptionIds;
  const clientOptions = options.agent ? { agent: options.agent } : undefined;
  const arm = new ArmEstateSource({
    credential: options.credential,
    subscriptionIds: subscriptionIds.length ? subscriptionIds : undefined,
    mode: settings.sourceMode,
    endpoint: options.armEndpoint,
    clientOptions,
  });
  const managedIdentities = new ManagedIdentityCredentialReader({
    credential: options.credential,
    endpoint: options.armEndpoint,
    clientOptions,
    clock: options.clock ?? systemClock,
  });
  const graph =
    settings.directory === 'graph'
      ? new GraphDirectory({
          credential: options.credential,
          endpoint: options.graphEndpoint,
          agent: options.agent,
        })
      : undefined;
  const federated = withFederatedCredentials(arm, {
    managedIdentities,
    applications: graph,
    log: options.log,
  });
  if (!graph) return federated;
  const directory = options.directoryCache
    ? cachedDirectory(graph, {
        cache: options.directoryCache,
        ttlMs: (settings.directoryCacheMinutes ?? DEFAULT_DIRECTORY_CACHE_MINUTES) * 60_000,
        clock: options.clock ?? systemClock,
        log: options.log,
      })
    : graph;
  return withDirectory(federated, directory, options.log);
}

/** DefaultAzureCredential (managed identity in Azure, `az login` locally), created on first use. */
export function lazyAzureCredential(
  settings: Pick<Settings, 'managedIdentityClientId'>,
  given?: TokenCredential,
): () => TokenCredential {
  let credential = given;
  return () =>
    (credential ??= new DefaultAzureCredential(
      settings.managedIdentityClientId
        ? { managedIdentityClientId: settings.managedIdentityClientId }
        : undefined,
    ));
}

export interface Storage {
  store: PostureStore;
  /** Exemptions and their history, in the same storage account. */
  exemptions: ExemptionStore;
  /** Microsoft Graph's answers kept across runs (the `directory` table). */
  directoryCache: DirectoryCache;
  queue?: SubscriptionQueue;
  /** Where Event Grid dead-letters undeliverable events, when `AUDIT_DEAD_LETTER_CONTAINER` is set. */
  deadLetters?: DeadLetterBox;
  /** One line for the start-up log. */
  description: string;
  close(): Promise<void>;
}

/**
 * The posture store (and the fan-out queue): the embedded Azurite when nothing is configured
 * (data kept under `dataDir`, so posture survives a restart), else a connection string, else
 * the identity-based endpoints.
 */
export async function openStorage(
  settings: Pick<Settings, 'storage' | 'dataDir'> & Partial<Pick<Settings, 'deadLetterContainer'>>,
  options: { credential: () => TokenCredential; inMemory?: boolean; retries?: number },
): Promise<Storage> {
  const closers: Array<() => Promise<void>> = [];
  let queueConnection: QueueConnection | undefined;
  // The embedded Azurite serves no blobs, and Event Grid cannot reach a laptop anyway.
  let blobConnection: BlobConnection | undefined;
  let tables: TableConnectionConfig;
  let description: string;
  try {
    if (settings.storage.kind === 'embedded') {
      const azurite = await startEmbeddedAzurite({
        dataDir: join(settings.dataDir, 'azurite'),
        inMemory: options.inMemory,
      });
      closers.push(() => azurite.stop());
      tables = { connectionString: azurite.connectionString, allowInsecureConnection: true };
      queueConnection = { connectionString: azurite.connectionString };
      description = options.inMemory
        ? 'embedded Azurite (in memory)'
        : azurite.role() === 'owner'
          ? `embedded Azurite, data in ${join(settings.dataDir, 'azurite')}`
          : `embedded Azurite of process ${azurite.ownerPid()}, data in ${join(settings.dataDir, 'azurite')}`;
    } else if (settings.storage.kind === 'connectionString') {
      // Azurite and other local emulators speak plain http; Azure itself is always https.
      const insecure = /UseDevelopmentStorage=true|DefaultEndpointsProtocol=http;/i.test(
        settings.storage.connectionString,
      );
      tables = {
        connectionString: settings.storage.connectionString,
        allowInsecureConnection: insecure,
      };
      queueConnection = { connectionString: settings.storage.connectionString };
      blobConnection = { connectionString: settings.storage.connectionString };
      description = 'Table Storage (connection string)';
    } else {
      const clientId = settings.storage.clientId;
      const credential = clientId
        ? new DefaultAzureCredential({ managedIdentityClientId: clientId })
        : options.credential();
      tables = { tableServiceUri: settings.storage.tableServiceUri, credential };
      if (settings.storage.queueServiceUri)
        queueConnection = { queueServiceUri: settings.storage.queueServiceUri, credential };
      if (settings.storage.blobServiceUri)
        blobConnection = { blobServiceUri: settings.storage.blobServiceUri, credential };
      description = `Table Storage at ${new URL(settings.storage.tableServiceUri).host} (managed identity)`;
    }
    if (options.retries !== undefined)
      tables = { ...tables, clientOptions: { retryOptions: { maxRetries: options.retries } } };
    const store = await TableStore.create(tables);
    const exemptions = await ExemptionTable.create(tables);
    const directoryCache = await DirectoryTable.create(tables);
    const queue = queueConnection
      ? await StorageSubscriptionQueue.create(queueConnection, AUDIT_QUEUE_NAME)
      : undefined;
    const deadLetters =
      blobConnection && settings.deadLetterContainer
        ? BlobDeadLetterBox.create(blobConnection, settings.deadLetterContainer)
        : undefined;
    return {
      store,
      exemptions,
      directoryCache,
      queue,
      deadLetters,
      description,
      close: async () => {
        for (const close of closers.reverse()) await close();
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

/**
 * The configured alert channels; the console channel prints alerts for local use. A channel
 * whose setting could not be used (`settings.disabled`), or whose notifier refuses its
 * configuration, becomes a DisabledNotifier: logged once here, `failed` with the reason on
 * every alert, shown by /api/health. The other channels are built regardless.
 */
export function alertChannels(
  settings: Pick<Settings, 'alerts'> & Partial<Pick<Settings, 'disabled'>>,
  options: {
    credential: () => TokenCredential;
    console: boolean;
    /** Where the console channel writes (the CLI's injectable stderr); default process.stderr. */
    consoleStream?: { write(chunk: string): unknown };
    agent?: Agent;
    /**
     * Given (the long-running app): a channel the notifier refuses is disabled and logged here
     * instead of failing start-up. Absent (the CLI): it throws, naming the setting.
     */
    log?: (line: string) => void;
  },
): Notifier[] {
  const email = settings.alerts.email;
  const disabledBySetting = (settings.disabled ?? []).filter(
    (d) => d.disables === 'email' || d.disables === 'teams',
  );
  const build = (channel: 'email' | 'teams', make: () => Notifier[]): Notifier[] => {
    const disabled = disabledBySetting.find((d) => d.disables === channel);
    if (disabled) return [new DisabledNotifier(channel, disabled.message)];
    if (!options.log) return make();
    try {
      return make();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      options.log(`alerts: ${channel} channel disabled: ${reason}`);
      return [new DisabledNotifier(channel, reason)];
    }
  };
  for (const d of disabledBySetting)
    options.log?.(`alerts: ${d.disables} channel disabled: ${d.message}`);
  return [
    ...build('email', () =>
      createNotifiers({
        email:
          email?.kind === 'connectionString'
            ? { connectionString: email.connectionString }
            : email?.kind === 'endpoint'
              ? { endpoint: email.endpoint, credential: options.credential() }
              : undefined,
        emailSender: email?.sender,
        emailTo: email?.recipients,
        agent: options.agent,
      }),
    ),
    ...build('teams', () =>
      createNotifiers({ teamsWebhookUrl: settings.alerts.teamsWebhookUrl, agent: options.agent }),
    ),
    ...createNotifiers({
      console: options.console,
      consoleStream: options.consoleStream ? callbackWriter(options.consoleStream) : undefined,
    }),
  ];
}

/**
 * A plain `write(chunk)` sink as the Writable the console channel expects: the callback is
 * called at once, because an injected stream (tests, the CLI's captured stderr) may never call it.
 */
function callbackWriter(out: { write(chunk: string): unknown }): Pick<Writable, 'write'> {
  const write = (chunk: unknown, ...rest: unknown[]): boolean => {
    out.write(typeof chunk === 'string' ? chunk : String(chunk));
    const callback = rest.find((r): r is (error?: Error | null) => void => typeof r === 'function');
    callback?.(null);
    return true;
  };
  return { write };
}
