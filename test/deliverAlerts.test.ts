/**
 * The outbox delivery use case against the real TableStore on Azurite, with the real channels
 * (ACS Email through the SDK, Teams over HTTPS, console) talking to the local fakes.
 */
import { randomBytes } from 'crypto';
import { Writable } from 'stream';
import { AcsEmailNotifier } from '../src/adapters/notifiers/acsEmail';
import { ConsoleNotifier } from '../src/adapters/notifiers/console';
import { TeamsWebhookNotifier } from '../src/adapters/notifiers/teamsWebhook';
import { TableStore } from '../src/adapters/tableStore';
import type { Alert } from '../src/core/model';
import type { Clock, Notifier, OutboxAlert } from '../src/core/ports';
import { deliverPendingAlerts } from '../src/usecases/deliverAlerts';
import { startAcsEmailFake, type AcsEmailFake } from './fakes/acsEmail';
import { startTeamsWebhookFake, type TeamsWebhookFake } from './fakes/teamsWebhook';
import { testCertificate } from './fakes/tls';
import { startAzurite, uniqueTablePrefix, type TestAzurite } from './helpers/azurite';

const SUB = '00000000-0000-0000-0000-000000000001';
const T0 = new Date('2026-11-22T02:00:00.000Z');

function alert(name: string, overrides: Partial<Alert> = {}): Alert {
  const clusterId = `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/${name}`;
  return {
    dedupeKey: `${clusterId.toLowerCase()}|local-accounts-disabled`,
    clusterId,
    clusterName: name,
    subscriptionId: SUB,
    resourceGroup: 'rg-prod',
    severity: 'critical',
    kind: 'check-failed',
    checkId: 'local-accounts-disabled',
    title: `${name}: local accounts re-enabled`,
    before: 'Check local-accounts-disabled was passing.',
    after: 'Check local-accounts-disabled is failing.',
    remediation: `az aks update --resource-group rg-prod --name ${name} --disable-local-accounts`,
    createdAt: T0.toISOString(),
    ...overrides,
  };
}

class TestClock implements Clock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

let azurite: TestAzurite;
let email: AcsEmailFake;
let teams: TeamsWebhookFake;
const accessKey = randomBytes(32).toString('base64');

beforeAll(async () => {
  [azurite, email, teams] = await Promise.all([startAzurite(), startAcsEmailFake({ accessKey }), startTeamsWebhookFake()]);
});
afterAll(async () => {
  await Promise.all([azurite?.stop(), email?.stop(), teams?.stop()]);
});

interface World {
  store: TableStore;
  clock: TestClock;
  notifiers: Notifier[];
  logs: string[];
  deliver(options?: { digest?: boolean; maxAttempts?: number }): ReturnType<typeof deliverPendingAlerts>;
  row(a: Alert): Promise<OutboxAlert | undefined>;
}

async function world(channels: { console?: Collect } = {}): Promise<World> {
  email.up();
  email.received.length = 0;
  email.requests.length = 0;
  teams.reset();
  teams.received.length = 0;
  teams.statuses.length = 0;
  const clock = new TestClock(T0);
  const store = await TableStore.create({
    connectionString: azurite.connectionString,
    allowInsecureConnection: true,
    tablePrefix: uniqueTablePrefix('deliver'),
    clock,
  });
  const agent = testCertificate().agent;
  const notifiers: Notifier[] = [
    new AcsEmailNotifier({
      connection: { connectionString: email.connectionString },
      sender: 'DoNotReply@contoso.azurecomm.net',
      recipients: ['oncall@contoso.com'],
      agent,
      pollIntervalMs: 5,
      clientOptions: { retryOptions: { maxRetries: 1, retryDelayInMs: 1, maxRetryDelayInMs: 2 } },
    }),
    new TeamsWebhookNotifier({ webhookUrl: teams.url, agent, maxAttempts: 2, sleep: async () => undefined }),
  ];
  if (channels.console) notifiers.push(new ConsoleNotifier(channels.console));
  const logs: string[] = [];
  return {
    store,
    clock,
    notifiers,
    logs,
    deliver: (options = {}) =>
      deliverPendingAlerts(
        { store, notifiers, clock, log: (line) => logs.push(line) },
        { digest: options.digest ?? false, maxAttempts: options.maxAttempts },
      ),
    row: async (a) => (await store.listAlerts({})).find((r) => r.alert.dedupeKey === a.dedupeKey),
  };
}

it('sends a pending alert once through every channel and marks it sent', async () => {
  const out = new Collect();
  const w = await world({ console: out });
  const a = alert('aks-prod');
  await w.store.enqueueAlerts([a]);

  const deliveries = await w.deliver();
  expect(deliveries).toEqual([
    { dedupeKey: a.dedupeKey, severity: 'critical', channels: { email: 'sent', teams: 'sent', console: 'sent' } },
  ]);
  expect(email.received.map((m) => m.subject)).toEqual(['[CRITICAL] aks-prod: local accounts re-enabled']);
  expect(teams.received).toHaveLength(1);
  expect(out.text).toContain('[CRITICAL] aks-prod: local accounts re-enabled');
  expect(await w.row(a)).toMatchObject({ state: 'sent', attempts: 1, channels: { email: 'sent', teams: 'sent', console: 'sent' } });

  w.clock.advance(3600_000);
  expect(await w.deliver()).toEqual([]);
  expect(email.received).toHaveLength(1);
  expect(teams.received).toHaveLength(1);
});

it('a channel down for good: failed after N runs, the other channel not repeated, nothing lost', async () => {
  const w = await world();
  const a = alert('aks-prod');
  await w.store.enqueueAlerts([a]);
  teams.always({ status: 503 });

  const first = await w.deliver({ maxAttempts: 3 });
  expect(first[0].channels).toEqual({ email: 'sent', teams: 'failed', console: 'skipped' });
  expect(await w.row(a)).toMatchObject({ state: 'pending', attempts: 1 });

  // Attempted a moment ago: left for a later run, while a fresh alert is sent at once.
  const fresh = alert('aks-dev');
  await w.store.enqueueAlerts([fresh]);
  teams.reset();
  const meanwhile = await w.deliver({ maxAttempts: 3 });
  expect(meanwhile.map((d) => d.dedupeKey)).toEqual([fresh.dedupeKey]);
  teams.always({ status: 503 });

  for (let run = 2; run <= 3; run++) {
    w.clock.advance(61_000);
    const deliveries = await w.deliver({ maxAttempts: 3 });
    expect(deliveries.map((d) => d.dedupeKey)).toEqual([a.dedupeKey]);
  }
  const row = await w.row(a);
  expect(row).toMatchObject({ state: 'failed', attempts: 3, channels: { email: 'sent', teams: 'failed' } });
  expect(row?.lastError).toMatch(/^teams: the webhook at host 127\.0\.0\.1:\d+ answered 503/);
  expect(row?.lastError).not.toContain(teams.signature);
  expect((await w.store.listAlerts({ state: 'failed' })).map((r) => r.alert.dedupeKey)).toEqual([a.dedupeKey]);
  // Email delivered each alert exactly once across all those runs.
  expect(email.received.map((m) => m.subject).sort()).toEqual([
    '[CRITICAL] aks-dev: local accounts re-enabled',
    '[CRITICAL] aks-prod: local accounts re-enabled',
  ]);
  expect(w.logs.some((l) => l.includes('marked failed after 3 attempt(s)'))).toBe(true);

  // A failed alert is not retried by later runs.
  w.clock.advance(3600_000);
  const before = teams.statuses.length;
  expect(await w.deliver({ maxAttempts: 3 })).toEqual([]);
  expect(teams.statuses.length).toBe(before);
});

it('a crash between the outbox write and the send: the next run delivers exactly once', async () => {
  const w = await world();
  const a = alert('aks-prod');
  // The evaluation wrote the pending alert, then the process died before sending.
  await w.store.enqueueAlerts([a]);
  expect(email.received).toHaveLength(0);

  // A new process, a new run, minutes later.
  w.clock.advance(5 * 60_000);
  const deliveries = await w.deliver();
  expect(deliveries.map((d) => d.channels)).toEqual([{ email: 'sent', teams: 'sent', console: 'skipped' }]);
  w.clock.advance(5 * 60_000);
  await w.deliver();
  await w.store.enqueueAlerts([a]); // the same regression recorded again is the same open alert
  await w.deliver();
  expect(email.received).toHaveLength(1);
  expect(teams.received).toHaveLength(1);
});

it('partial success: the channel that delivered is not asked again on retry', async () => {
  const w = await world();
  const a = alert('aks-prod');
  await w.store.enqueueAlerts([a]);
  email.down(503);

  const first = await w.deliver();
  expect(first[0].channels).toEqual({ email: 'failed', teams: 'sent', console: 'skipped' });
  expect((await w.row(a))?.lastError).toMatch(/^email: Azure Communication Services at host 127\.0\.0\.1:\d+ failed: HTTP 503/);

  email.up();
  w.clock.advance(61_000);
  const second = await w.deliver();
  expect(second[0].channels).toEqual({ email: 'sent', teams: 'sent', console: 'skipped' });
  expect(await w.row(a)).toMatchObject({ state: 'sent', attempts: 2 });
  expect(email.received).toHaveLength(1);
  expect(teams.received).toHaveLength(1);
});

it('digest: one message per channel carrying every due alert', async () => {
  const w = await world();
  const alerts = [alert('aks-a'), alert('aks-b', { severity: 'high' }), alert('aks-c')];
  await w.store.enqueueAlerts(alerts);
  const deliveries = await w.deliver({ digest: true });
  expect(deliveries).toHaveLength(3);
  expect(deliveries.every((d) => d.channels.email === 'sent' && d.channels.teams === 'sent')).toBe(true);
  expect(email.received.map((m) => m.subject)).toEqual(['AKS identity digest: 3 regressions on 3 clusters']);
  expect(teams.received).toHaveLength(1);
});

it('a channel failing alert after alert is paused for the rest of the run, and retried next run', async () => {
  const w = await world();
  const alerts = [alert('aks-a'), alert('aks-b'), alert('aks-c')];
  await w.store.enqueueAlerts(alerts);
  teams.always({ status: 503 });
  const deliveries = await w.deliver();
  // Two alerts tried (2 attempts each), the third not tried this run.
  expect(teams.statuses).toEqual([503, 503, 503, 503]);
  expect(deliveries.map((d) => d.channels.teams)).toEqual(['failed', 'failed', 'failed']);
  expect(email.received).toHaveLength(3);

  teams.reset();
  w.clock.advance(61_000);
  await w.deliver();
  expect(teams.received).toHaveLength(3);
  expect(email.received).toHaveLength(3);
});

it('two runs at once in one process deliver each alert once', async () => {
  const w = await world();
  await w.store.enqueueAlerts([alert('aks-a'), alert('aks-b')]);
  const [one, two] = await Promise.all([w.deliver(), w.deliver()]);
  expect(one.length + two.length).toBe(2);
  expect(email.received).toHaveLength(2);
  expect(teams.received).toHaveLength(2);
});

it('no channel configured: alerts are marked sent with every channel skipped, with a warning', async () => {
  const w = await world();
  const a = alert('aks-prod');
  await w.store.enqueueAlerts([a]);
  const logs: string[] = [];
  const deliveries = await deliverPendingAlerts({ store: w.store, notifiers: [], clock: w.clock, log: (l) => logs.push(l) }, { digest: false });
  expect(deliveries).toEqual([{ dedupeKey: a.dedupeKey, severity: 'critical', channels: { email: 'skipped', teams: 'skipped', console: 'skipped' } }]);
  expect(await w.row(a)).toMatchObject({ state: 'sent', attempts: 1 });
  expect(logs.join('\n')).toMatch(/no alert channel is configured/);
});
