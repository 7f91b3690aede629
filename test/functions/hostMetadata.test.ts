/**
 * The Functions host's view of the app. The host injects `@azure/functions-core` into the worker;
 * `@azure/functions` hands every registration to it (`registerFunction(metadata, handler)`).
 * Here a stand-in for that module records what the host would receive while the app entry point
 * (src/functions/index.ts) is loaded with the real `@azure/functions`: function names, trigger
 * types, routes, auth levels, the timer schedule, queue names and connection setting names, and
 * retry policies. A broken registration fails here, since the Functions host itself cannot run on
 * these machines.
 */
import { AUDIT_QUEUE_NAME } from '../../src/usecases/fanOut';
import { REGISTERED_FUNCTIONS } from '../helpers/functionNames';

interface Binding {
  type: string;
  direction: 'in' | 'out';
  [property: string]: unknown;
}

interface Registered {
  metadata: {
    name: string;
    bindings: Record<string, Binding>;
    retryOptions?: Record<string, unknown>;
  };
  handler: (...args: unknown[]) => unknown;
}

interface HostView {
  registered: Map<string, Registered>;
  programmingModel?: { name?: string; version?: string };
  warnings: string[];
}

/** Loads the entry point in a fresh module registry with the host's module stood in. */
function loadAsTheHostWould(): HostView {
  const view: HostView = { registered: new Map(), warnings: [] };
  const warn = jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
    view.warnings.push(args.map(String).join(' '));
  });
  try {
    jest.isolateModules(() => {
      jest.doMock(
        '@azure/functions-core',
        () => ({
          setProgrammingModel: (model: HostView['programmingModel']) => {
            view.programmingModel = model;
          },
          getProgrammingModel: () => view.programmingModel,
          registerFunction: (metadata: Registered['metadata'], handler: Registered['handler']) => {
            if (view.registered.has(metadata.name))
              throw new Error(`function ${metadata.name} registered twice`);
            view.registered.set(metadata.name, { metadata, handler });
            return { dispose: () => undefined };
          },
          registerHook: () => ({ dispose: () => undefined }),
          log: () => undefined,
        }),
        { virtual: true },
      );
      require('../../src/functions/index');
    });
  } finally {
    warn.mockRestore();
    jest.dontMock('@azure/functions-core');
  }
  return view;
}

/** The one trigger binding of a function (the host requires exactly one). */
function triggerOf(registered: Registered): Binding {
  const triggers = Object.values(registered.metadata.bindings).filter(
    (b) => b.direction === 'in' && /Trigger$/.test(b.type),
  );
  expect(triggers).toHaveLength(1);
  return triggers[0];
}

let view: HostView;
const savedEnv = { ...process.env };

beforeAll(() => {
  // The entry point validates the app settings at load: give it the defaults, nothing of this machine.
  for (const name of Object.keys(process.env))
    if (/^(AUDIT_|ALERT_|WEBSITE_)/.test(name)) delete process.env[name];
  view = loadAsTheHostWould();
});
afterAll(() => {
  process.env = savedEnv;
});

it('registers through the host module, not in test mode, with @azure/functions as the programming model', () => {
  expect(view.warnings.filter((w) => /test mode|Failed to detect/i.test(w))).toEqual([]);
  expect(view.programmingModel?.name).toBe('@azure/functions');
});

it('registers exactly these functions', () => {
  expect([...view.registered.keys()].sort()).toEqual([...REGISTERED_FUNCTIONS]);
  for (const { handler } of view.registered.values()) expect(typeof handler).toBe('function');
});

const CLUSTER = 'clusters/{subscriptionId}/{resourceGroup}/{clusterName}';

it.each([
  ['listClusters', ['GET'], 'function', 'clusters'],
  ['getCluster', ['GET'], 'function', CLUSTER],
  ['getClusterHistory', ['GET'], 'function', `${CLUSTER}/history`],
  ['getClusterAccess', ['GET'], 'function', `${CLUSTER}/access`],
  ['listRegressions', ['GET'], 'function', 'regressions'],
  ['evaluateCluster', ['POST'], 'function', `${CLUSTER}/evaluate`],
  ['health', ['GET'], 'anonymous', 'health'],
  ['openApi', ['GET'], 'anonymous', 'openapi.json'],
  ['listExemptions', ['GET'], 'function', 'exemptions'],
  ['createExemption', ['POST'], 'function', 'exemptions'],
  ['revokeExemption', ['DELETE'], 'function', 'exemptions/{id}'],
  ['dashboard', ['GET'], 'function', 'dashboard'],
  ['dashboardCluster', ['GET'], 'function', `dashboard/${CLUSTER}`],
  ['dashboardRegressions', ['GET'], 'function', 'dashboard/regressions'],
  ['dashboardExemptions', ['GET'], 'function', 'dashboard/exemptions'],
  ['dashboardAsset', ['GET'], 'anonymous', 'dashboard/assets/{file}'],
])(
  'HTTP %s: %j, auth level %s, route %s, answered through the http output',
  (name, methods, authLevel, route) => {
    const registered = view.registered.get(name)!;
    expect(triggerOf(registered)).toMatchObject({
      type: 'httpTrigger',
      direction: 'in',
      methods,
      authLevel,
      route,
    });
    expect(registered.metadata.bindings.$return).toMatchObject({ type: 'http', direction: 'out' });
    expect(registered.metadata.retryOptions).toBeUndefined();
  },
);

it('armEvents is an Event Grid trigger without a host retry policy (Event Grid redelivers)', () => {
  const registered = view.registered.get('armEvents')!;
  expect(triggerOf(registered)).toMatchObject({ type: 'eventGridTrigger', direction: 'in' });
  expect(registered.metadata.retryOptions).toBeUndefined();
});

it('deliverAlerts is the delivery loop in Azure: a timer every 30 s, no retry policy (the next tick retries)', () => {
  const registered = view.registered.get('deliverAlerts')!;
  expect(triggerOf(registered)).toMatchObject({
    type: 'timerTrigger',
    direction: 'in',
    schedule: '*/30 * * * * *',
  });
  expect(registered.metadata.retryOptions).toBeUndefined();
});

it('nightlyAudit runs on the %AUDIT_SCHEDULE% app setting with an exponential retry policy', () => {
  const registered = view.registered.get('nightlyAudit')!;
  expect(triggerOf(registered)).toMatchObject({
    type: 'timerTrigger',
    direction: 'in',
    schedule: '%AUDIT_SCHEDULE%',
  });
  expect(triggerOf(registered).runOnStartup).toBeUndefined();
  expect(registered.metadata.retryOptions).toMatchObject({
    retryStrategy: 'exponentialBackoff',
    maxRetryCount: 3,
    minimumInterval: { seconds: 300 },
    maximumInterval: { seconds: 1800 },
  });
});

it.each([
  ['auditSubscription', AUDIT_QUEUE_NAME],
  ['auditSubscriptionPoison', `${AUDIT_QUEUE_NAME}-poison`],
])(
  "%s consumes queue %s over the AUDIT_STORAGE connection (retries: the queue's dequeue count)",
  (name, queueName) => {
    const registered = view.registered.get(name)!;
    expect(triggerOf(registered)).toMatchObject({
      type: 'queueTrigger',
      direction: 'in',
      queueName,
      connection: 'AUDIT_STORAGE',
    });
    expect(registered.metadata.retryOptions).toBeUndefined();
  },
);

it('the fan-out queue is the one named in the documentation', () => {
  expect(AUDIT_QUEUE_NAME).toBe('audit-subscriptions');
});
