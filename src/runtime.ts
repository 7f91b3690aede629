/**
 * The composition root: settings → the concrete source, store, notifiers and queue, and the use
 * cases bound to them. The Functions triggers get it through `getRuntime()` (built once per
 * process from the app settings); the local host and the tests build one with `createRuntime`
 * and install it with `setRuntime`.
 */
import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import type { Agent } from 'https';
import { join } from 'path';
import { ArmEstateSource } from './adapters/armSource';
import { startEmbeddedAzurite } from './adapters/embeddedAzurite';
import { parseEventBatch, parseFunctionTriggerEvent } from './adapters/eventGridInput';
import { createNotifiers } from './adapters/notifiers';
import { SnapshotSource } from './adapters/snapshotSource';
import { StorageSubscriptionQueue, type QueueConnection } from './adapters/subscriptionQueue';
import { TableStore } from './adapters/tableStore';
import { loadSettings, processEnvironment, type Settings } from './config';
import { evaluateEstate } from './core/evaluate';
import type { Report } from './core/model';
import { systemClock, type Clock, type EstateSource, type Notifier, type PostureStore } from './core/ports';
import { runAudit, type AuditDeps } from './usecases/audit';
import { deliverPendingAlerts } from './usecases/deliverAlerts';
import {
  AUDIT_QUEUE_NAME,
  recordSubscriptionFailure,
  runNightlyAudit,
  runSubscriptionAudit,
  type SubscriptionQueue,
} from './usecases/fanOut';
import { createEvaluationCoalescer, handleArmEvents, type EventResult } from './usecases/handleEvents';
import { findPackageRoot } from './cli/main';

export interface Runtime {
  settings: Settings;
  source: EstateSource;
  /** One line saying where the estate comes from (announced on start). */
  sourceDescription: string;
  store: PostureStore;
  notifiers: Notifier[];
  queue?: SubscriptionQueue;
  clock: Clock;
  log: (line: string) => void;
  auditDeps(): AuditDeps & { store: PostureStore };
  /** Audit everything, record it and deliver alerts (local host start-up, `audit --store --notify`). */
  auditNow(options?: { notify?: boolean }): Promise<Report>;
  /** The Functions Event Grid trigger: one already-deserialised event. */
  handleTriggerEvent(event: unknown): Promise<EventResult[]>;
  /** The local webhook: an Event Grid or CloudEvents batch, or the validation handshake. */
  handleEventBatch(body: unknown): Promise<{ validationResponse: string } | { events: EventResult[] }>;
  nightlyAudit(): Promise<string>;
  auditSubscription(subscriptionId: string): Promise<string>;
  recordSubscriptionFailure(subscriptionId: string, message: string): Promise<number>;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  log: (line: string) => void;
  clock?: Clock;
  /** Where samples/ lives (the bundled sample estate). */
  packageRoot?: string;
  /** Azure credential; default DefaultAzureCredential (managed identity in Azure, `az login` locally). */
  credential?: TokenCredential;
  /** Tests: the ARM endpoint of a local fake and an agent trusting its certificate. */
  armEndpoint?: string;
  agent?: Agent;
  /** Local use: the console channel prints alerts (always on for the local host and CLI). */
  consoleAlerts?: boolean;
  /** Tests: run the embedded Azurite in memory. */
  inMemoryStorage?: boolean;
}

export async function createRuntime(settings: Settings, options: RuntimeOptions): Promise<Runtime> {
  const clock = options.clock ?? systemClock;
  const log = options.log;
  const credential = () =>
    (options.credential ??= new DefaultAzureCredential(
      settings.managedIdentityClientId ? { managedIdentityClientId: settings.managedIdentityClientId } : undefined,
    ));

  const { source, description } = createEstateSource(settings, {
    packageRoot: options.packageRoot ?? findPackageRoot(__dirname),
    credential,
    armEndpoint: options.armEndpoint,
    agent: options.agent,
  });

  const closers: Array<() => Promise<void>> = [];
  let queueConnection: QueueConnection | undefined;
  let store: PostureStore;
  if (settings.storage.kind === 'embedded') {
    const azurite = await startEmbeddedAzurite({ dataDir: join(settings.dataDir, 'azurite'), inMemory: options.inMemoryStorage });
    closers.push(() => azurite.stop());
    store = await TableStore.create({ connectionString: azurite.connectionString, allowInsecureConnection: true });
    queueConnection = { connectionString: azurite.connectionString };
  } else if (settings.storage.kind === 'connectionString') {
    const insecure = /^UseDevelopmentStorage=true|DefaultEndpointsProtocol=http;/i.test(settings.storage.connectionString);
    store = await TableStore.create({ connectionString: settings.storage.connectionString, allowInsecureConnection: insecure });
    queueConnection = { connectionString: settings.storage.connectionString };
  } else {
    const storageCredential = settings.storage.clientId
      ? new DefaultAzureCredential({ managedIdentityClientId: settings.storage.clientId })
      : credential();
    store = await TableStore.create({ tableServiceUri: settings.storage.tableServiceUri, credential: storageCredential });
    if (settings.storage.queueServiceUri) {
      queueConnection = { queueServiceUri: settings.storage.queueServiceUri, credential: storageCredential };
    }
  }
  const queue = queueConnection ? await StorageSubscriptionQueue.create(queueConnection, AUDIT_QUEUE_NAME) : undefined;

  const notifiers = createNotifiers({
    email:
      settings.alerts.email?.kind === 'connectionString'
        ? { connectionString: settings.alerts.email.connectionString }
        : settings.alerts.email?.kind === 'endpoint'
          ? { endpoint: settings.alerts.email.endpoint, credential: credential() }
          : undefined,
    emailSender: settings.alerts.email?.sender,
    emailTo: settings.alerts.email?.recipients,
    teamsWebhookUrl: settings.alerts.teamsWebhookUrl,
    console: options.consoleAlerts ?? !settings.runningInAzure,
    agent: options.agent,
  });

  const linkBase = settings.publicBaseUrl ?? (settings.runningInAzure ? undefined : `http://localhost:${settings.port}`);
  const auditDeps = (): AuditDeps & { store: PostureStore } => ({
    source,
    store,
    notifiers,
    clock,
    minAlertSeverity: settings.alerts.minSeverity,
    linkBase,
    log,
  });

  const eventDeps = {
    source,
    store,
    evaluate: evaluateEstate,
    clock,
    log,
    minAlertSeverity: settings.alerts.minSeverity,
    linkBase,
  };
  // One coalescer for the life of the process: the Functions trigger hands one event per
  // invocation, so only a shared window merges a burst into one evaluation per cluster.
  const coalescer = createEvaluationCoalescer(eventDeps);
  const handleEvents = async (events: Parameters<typeof handleArmEvents>[0]) => {
    const results = await handleArmEvents(events, { ...eventDeps, coalescer });
    await deliverPendingAlerts({ store, notifiers, clock, log }, { digest: false });
    return results;
  };

  return {
    settings,
    source,
    sourceDescription: description,
    store,
    notifiers,
    queue,
    clock,
    log,
    auditDeps,
    auditNow: async ({ notify = true } = {}) => {
      const deps = auditDeps();
      const { report } = await runAudit(notify ? deps : { ...deps, notifiers: undefined }, { digest: true });
      return report;
    },
    handleTriggerEvent: async (event) => handleEvents([await parseFunctionTriggerEvent(event)]),
    handleEventBatch: async (body) => {
      const batch = await parseEventBatch(body);
      if (batch.validation) return { validationResponse: batch.validation.validationCode };
      const rejected: EventResult[] = batch.rejected.map((r) => ({
        id: r.id ?? '',
        type: '',
        operationName: '',
        subject: '',
        outcome: 'rejected',
        reason: r.reason,
        clusters: [],
        signals: [],
        regressions: [],
      }));
      for (const r of batch.rejected) log(`event ${r.id ?? '(no id)'} rejected: ${r.reason}`);
      return { events: [...(batch.events.length ? await handleEvents(batch.events) : []), ...rejected] };
    },
    nightlyAudit: () => runNightlyAudit({ ...auditDeps(), queue, historyDays: settings.historyDays }),
    auditSubscription: (subscriptionId) => runSubscriptionAudit(auditDeps(), subscriptionId),
    recordSubscriptionFailure: (subscriptionId, message) => recordSubscriptionFailure(auditDeps(), subscriptionId, message),
    close: async () => {
      for (const close of closers.reverse()) await close();
    },
  };
}

/**
 * Where the estate comes from (CONTRACTS.md `AUDIT_SNAPSHOT_DIR`): exports when a snapshot
 * directory is set; live Azure in Azure or when subscriptions are configured; otherwise the
 * bundled sample estate — and the description says so, to be announced.
 */
export function createEstateSource(
  settings: Pick<Settings, 'snapshotDir' | 'runningInAzure' | 'subscriptionIds' | 'sourceMode'>,
  options: { packageRoot: string; credential: () => TokenCredential; armEndpoint?: string; agent?: Agent },
): { source: EstateSource; description: string } {
  if (settings.snapshotDir) {
    return { source: new SnapshotSource(settings.snapshotDir), description: `auditing the exports in ${settings.snapshotDir}` };
  }
  if (settings.runningInAzure || settings.subscriptionIds.length > 0) {
    const source = new ArmEstateSource({
      credential: options.credential(),
      subscriptionIds: settings.subscriptionIds.length ? settings.subscriptionIds : undefined,
      mode: settings.sourceMode,
      endpoint: options.armEndpoint,
      clientOptions: options.agent ? { agent: options.agent } : undefined,
    });
    const which = settings.subscriptionIds.length ? `${settings.subscriptionIds.length} subscription(s)` : 'every subscription the identity can read';
    return { source, description: `auditing live Azure: ${which} (${settings.sourceMode} mode)` };
  }
  const sample = join(options.packageRoot, 'samples', 'estate');
  return {
    source: new SnapshotSource(sample),
    description: `auditing the bundled sample estate in ${sample} (no subscriptions configured: set AUDIT_SUBSCRIPTION_IDS or AUDIT_SNAPSHOT_DIR)`,
  };
}

let current: Promise<Runtime> | undefined;

/** The runtime of this process: built once from the app settings, unless one was installed. */
export function getRuntime(): Promise<Runtime> {
  current ??= createRuntime(loadSettings(processEnvironment()), { log: (line) => console.log(line) }).catch((error) => {
    // A broken setting must fail every invocation with the same clear message, not only the first.
    current = undefined;
    throw error;
  });
  return current;
}

/** Install a runtime (the local host, tests); `undefined` forgets it. */
export function setRuntime(runtime: Runtime | undefined): void {
  current = runtime ? Promise.resolve(runtime) : undefined;
}
