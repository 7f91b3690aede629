/**
 * The composition root: settings → the concrete source, store, notifiers and queue, and the use
 * cases bound to them. The Functions triggers get it through `getRuntime()` (built once per
 * process from the app settings); the local host and the tests build one with `createRuntime`
 * and install it with `setRuntime`.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { Agent } from 'https';
import { parseEventBatch, parseFunctionTriggerEvent } from './adapters/eventGridInput';
import { SnapshotSource } from './adapters/snapshotSource';
import {
  alertChannels,
  lazyAzureCredential,
  liveEstateSource,
  openStorage,
  selectEstate,
} from './composition';
import { ConfigurationError, InputError } from './core/errors';
import { redactSecrets } from './core/redaction';
import { findPackageRoot, loadSettings, processEnvironment, type Settings } from './config';
import { evaluateEstate } from './core/evaluate';
import type { AlertDelivery, Report } from './core/model';
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
import { runAudit, type AuditDeps } from './usecases/audit';
import { deliverPendingAlerts } from './usecases/deliverAlerts';
import { startDeliveryLoop, type DeliveryLoop } from './usecases/deliveryLoop';
import { activeExemptions } from './usecases/exemptions';
import {
  recordSubscriptionFailure,
  runNightlyAudit,
  runSubscriptionAudit,
  type SubscriptionQueue,
} from './usecases/fanOut';
import { createEvaluationCoalescer } from './usecases/evaluateRequests';
import { handleArmEvents, readRoutingContext, type EventResult } from './usecases/handleEvents';
import { shareConcurrentCalls } from './usecases/sharedCall';
import {
  enqueueSilentSubscriptions,
  processDeadLetters,
  type DeadLetterRun,
} from './usecases/blindSpots';
import { checkHealth, type HealthReport } from './usecases/queries';

/** How often the delivery run reads the dead-letter container (docs/events.md "Not going blind"). */
const DEAD_LETTER_INTERVAL_MS = 60_000;

export interface Runtime {
  settings: Settings;
  source: EstateSource;
  /** One line saying where the estate comes from (announced on start). */
  sourceDescription: string;
  /** One line saying where posture is stored (announced on start). */
  storeDescription: string;
  store: PostureStore;
  /** Exemptions and their history (HTTP `/api/exemptions`). */
  exemptionStore: ExemptionStore;
  notifiers: Notifier[];
  queue?: SubscriptionQueue;
  clock: Clock;
  log: (line: string) => void;
  auditDeps(): AuditDeps & { store: PostureStore };
  /** Audit everything, record it and deliver alerts (local host start-up, `audit --store --notify`). */
  auditNow(options?: { notify?: boolean }): Promise<Report>;
  /** Send the pending alerts that are due, one message per alert (the delivery loop's run). */
  deliverAlerts(): Promise<AlertDelivery[]>;
  /** Run the delivery loop in this process (the local host); the event doors wake it. */
  startDeliveryLoop(options?: { intervalMs?: number }): DeliveryLoop;
  /** The Functions Event Grid trigger: one already-deserialised event. */
  handleTriggerEvent(event: unknown): Promise<EventResult[]>;
  /** The local webhook: an Event Grid or CloudEvents batch, or the validation handshake. */
  handleEventBatch(
    body: unknown,
  ): Promise<{ validationResponse: string } | { events: EventResult[] }>;
  nightlyAudit(): Promise<string>;
  /** Where Event Grid dead-letters what it could not deliver (when configured). */
  deadLetters?: DeadLetterBox;
  /** Read back and process the dead letters not processed yet (the delivery run does, at most once a minute). */
  processDeadLetters(): Promise<DeadLetterRun | undefined>;
  /** `GET /api/health`. */
  health(): Promise<HealthReport>;
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
  /** Tests: the endpoint of a local fake of Microsoft Graph (same agent). */
  graphEndpoint?: string;
  agent?: Agent;
  /** Local use: the console channel prints alerts (always on for the local host and CLI). */
  consoleAlerts?: boolean;
  /** Where the console channel writes (the CLI's stderr, injectable like every CLI stream); default process.stderr. */
  consoleStream?: { write(chunk: string): unknown };
  /** Tests: run the embedded Azurite in memory. */
  inMemoryStorage?: boolean;
  /**
   * Retries of each Table Storage call (default: the SDK's, 3 with back-off). Tests of a store
   * that is down set 0, so that they do not wait out the back-off.
   */
  storageRetries?: number;
}

export async function createRuntime(settings: Settings, options: RuntimeOptions): Promise<Runtime> {
  const clock = options.clock ?? systemClock;
  const log = options.log;
  const credential = lazyAzureCredential(settings, options.credential);

  // Storage first: the live source keeps Microsoft Graph's answers in its `directory` table.
  const storage = await openStorage(settings, {
    credential,
    inMemory: options.inMemoryStorage,
    retries: options.storageRetries,
  });
  const { store, queue } = storage;
  const exemptions = () => activeExemptions({ store: storage.exemptions, clock });
  let source: EstateSource;
  let description: string;
  let notifiers: Notifier[];
  try {
    ({ source, description } = createEstateSource(settings, {
      packageRoot: options.packageRoot ?? findPackageRoot(__dirname),
      credential,
      armEndpoint: options.armEndpoint,
      graphEndpoint: options.graphEndpoint,
      agent: options.agent,
      clock,
      log,
      directoryCache: storage.directoryCache,
    }));
    notifiers = alertChannels(settings, {
      credential,
      console: options.consoleAlerts ?? !settings.runningInAzure,
      consoleStream: options.consoleStream,
      agent: options.agent,
      log,
    });
    for (const d of settings.disabled.filter((d) => d.disables === 'links'))
      log(`alerts: links to the API left out: ${d.message}`);
  } catch (error) {
    // The embedded Azurite must not keep the process alive after a failed start.
    await storage.close().catch(() => undefined);
    throw error;
  }

  const linkBase =
    settings.publicBaseUrl ??
    (settings.runningInAzure ? undefined : `http://localhost:${settings.port}`);
  const auditDeps = (): AuditDeps & { store: PostureStore } => ({
    source,
    store,
    notifiers,
    clock,
    minAlertSeverity: settings.alerts.minSeverity,
    linkBase,
    log,
    exemptions,
    approvedAdmins: settings.approvedAdmins,
  });

  const eventDeps = {
    source,
    store,
    evaluate: evaluateEstate,
    exemptions,
    approvedAdmins: settings.approvedAdmins,
    clock,
    log,
    minAlertSeverity: settings.alerts.minSeverity,
    linkBase,
  };
  // One coalescer for the life of the process: the Functions trigger hands one event per
  // invocation, so only a shared window merges a burst into one evaluation per cluster.
  const coalescer = createEvaluationCoalescer(eventDeps);
  // Likewise one read of the routing context for the invocations of a burst, not one each.
  const routingContext = shareConcurrentCalls(() => readRoutingContext(eventDeps));
  // Sending is its own loop: the event doors answer once the outbox rows are stored, and wake
  // the loop (the local host's) so a page does not wait for its interval. In Azure the timer
  // function `deliverAlerts` is the loop.
  const sendDue = () => deliverPendingAlerts({ store, notifiers, clock, log }, { digest: false });
  let deliveryLoop: DeliveryLoop | undefined;
  const handleEvents = async (events: Parameters<typeof handleArmEvents>[0]) => {
    try {
      return await handleArmEvents(events, { ...eventDeps, coalescer, routingContext });
    } finally {
      // Also after a failure: what was stored before it (an admin-credential page) goes out now.
      deliveryLoop?.wake();
    }
  };

  const handleEventBatch: Runtime['handleEventBatch'] = async (body) => {
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
    return {
      events: [...(batch.events.length ? await handleEvents(batch.events) : []), ...rejected],
    };
  };
  const { deadLetters } = storage;
  const processDeadLettersNow = async (): Promise<DeadLetterRun | undefined> =>
    deadLetters
      ? processDeadLetters({
          box: deadLetters,
          handleBatch: async (elements) => {
            const handled = await handleEventBatch(elements);
            return 'events' in handled ? handled.events : [];
          },
          clock,
          log,
        })
      : undefined;
  // Dead letters are rare: the delivery run looks at most once a minute, whatever wakes it.
  let deadLettersReadAt = Number.NEGATIVE_INFINITY;
  const deliverAlerts = async () => {
    const now = clock.now().getTime();
    if (deadLetters && now - deadLettersReadAt >= DEAD_LETTER_INTERVAL_MS) {
      deadLettersReadAt = now;
      await processDeadLettersNow().catch((error: unknown) =>
        log(
          `dead letters: could not be read: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    }
    return sendDue();
  };

  return {
    settings,
    source,
    sourceDescription: description,
    storeDescription: storage.description,
    store,
    exemptionStore: storage.exemptions,
    notifiers,
    queue,
    clock,
    log,
    auditDeps,
    auditNow: async ({ notify = true } = {}) => {
      const deps = auditDeps();
      const { report } = await runAudit(notify ? deps : { ...deps, notifiers: undefined }, {
        digest: true,
      });
      return report;
    },
    handleTriggerEvent: async (event) => handleEvents([await parseFunctionTriggerEvent(event)]),
    handleEventBatch,
    deliverAlerts,
    startDeliveryLoop: (options = {}) => {
      const loop = startDeliveryLoop(deliverAlerts, { intervalMs: options.intervalMs, log });
      deliveryLoop = loop;
      return {
        wake: loop.wake,
        stop: async () => {
          if (deliveryLoop === loop) deliveryLoop = undefined;
          await loop.stop();
        },
      };
    },
    nightlyAudit: async () => {
      // Written before the digest goes out, so that the digest names them.
      await enqueueSilentSubscriptions(
        { store, source, clock, log },
        settings.runningInAzure,
      ).catch((error: unknown) =>
        log(
          `events: could not check for silent subscriptions: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
      await processDeadLettersNow().catch((error: unknown) =>
        log(
          `dead letters: could not be read: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
      return runNightlyAudit({
        ...auditDeps(),
        queue,
        historyDays: settings.historyDays,
        exemptionStore: storage.exemptions,
      });
    },
    deadLetters,
    processDeadLetters: processDeadLettersNow,
    health: () =>
      checkHealth(store, source, settings.disabled, {
        deadLetters,
        now: clock.now(),
        expectEvents: settings.runningInAzure,
      }),
    auditSubscription: (subscriptionId) => runSubscriptionAudit(auditDeps(), subscriptionId),
    recordSubscriptionFailure: (subscriptionId, message) =>
      recordSubscriptionFailure(auditDeps(), subscriptionId, message),
    close: () => storage.close(),
  };
}

/**
 * The estate source the settings select (`selectEstate`), and a line saying which, to be
 * announced (the bundled sample says how to choose another).
 */
export function createEstateSource(
  settings: Pick<
    Settings,
    'snapshotDir' | 'runningInAzure' | 'subscriptionIds' | 'sourceMode' | 'directory'
  > &
    Partial<Pick<Settings, 'directoryCacheMinutes'>>,
  options: {
    packageRoot: string;
    credential: () => TokenCredential;
    armEndpoint?: string;
    graphEndpoint?: string;
    agent?: Agent;
    clock?: Clock;
    log?: (line: string) => void;
    directoryCache?: DirectoryCache;
  },
): { source: EstateSource; description: string } {
  const selection = selectEstate(settings, { packageRoot: options.packageRoot });
  if (selection.kind === 'azure') {
    const source = liveEstateSource(settings, {
      credential: options.credential(),
      armEndpoint: options.armEndpoint,
      graphEndpoint: options.graphEndpoint,
      agent: options.agent,
      clock: options.clock,
      log: options.log,
      directoryCache: options.directoryCache,
    });
    const which = settings.subscriptionIds.length
      ? `${settings.subscriptionIds.length} subscription(s)`
      : 'every subscription the identity can read';
    const directory =
      settings.directory === 'graph'
        ? 'names and groups from Microsoft Graph'
        : 'no directory (AUDIT_DIRECTORY=none)';
    return {
      source,
      description: `auditing live Azure: ${which} (${settings.sourceMode} mode; ${directory})`,
    };
  }
  return {
    source: new SnapshotSource(selection.dir),
    description: selection.bundledSample
      ? `auditing the bundled sample estate in ${selection.dir} (no subscriptions configured: set AUDIT_SUBSCRIPTION_IDS or AUDIT_SNAPSHOT_DIR)`
      : `auditing the exports in ${selection.dir}`,
  };
}

/**
 * The console channel waits for `write(chunk, callback)`; the CLI's streams (and captures of
 * them) take a plain `write(chunk)`. The callback fires once the chunk is handed over.
 */
let current: Promise<Runtime> | undefined;

/** The runtime of this process: built once from the app settings, unless one was installed. */
export function getRuntime(): Promise<Runtime> {
  current ??= Promise.resolve()
    // The Functions log goes to Application Insights: every line through the one redaction.
    .then(() =>
      createRuntime(loadAppSettings(), { log: (line) => console.log(redactSecrets(line)) }),
    )
    .catch((error) => {
      // A broken setting must fail every invocation with the same clear message, not only the first.
      current = undefined;
      throw error;
    });
  return current;
}

/**
 * The app settings of this process. A missing or malformed setting is the deployment's fault,
 * not the caller's: it becomes a ConfigurationError naming the setting (never a 400).
 */
export function loadAppSettings(env = processEnvironment()): Settings {
  try {
    // A bad channel setting disables only that channel (docs/contracts.md "Settings").
    return loadSettings(env, {}, { onChannelProblem: 'disable' });
  } catch (error) {
    if (error instanceof InputError) throw new ConfigurationError(`app setting: ${error.message}`);
    throw error;
  }
}

/** Install a runtime (the local host, tests); `undefined` forgets it. */
export function setRuntime(runtime: Runtime | undefined): void {
  current = runtime ? Promise.resolve(runtime) : undefined;
}
