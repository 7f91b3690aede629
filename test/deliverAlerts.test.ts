/**
 * The outbox delivery use case against the real TableStore on Azurite, with the real channels
 * (ACS Email through the SDK, Teams over HTTPS, console) talking to the local fakes.
 */
import { SteppedClock as TestClock } from './helpers/clock';
import { randomBytes } from 'crypto';
import { Writable } from 'stream';
import { AcsEmailNotifier } from '../src/adapters/notifiers/acsEmail';
import { ConsoleNotifier } from '../src/adapters/notifiers/console';
import { TeamsWebhookNotifier } from '../src/adapters/notifiers/teamsWebhook';
import { TableStore } from '../src/adapters/tableStore';
import type { Alert } from '../src/core/model';
import type { Notifier, OutboxAlert, PostureStore } from '../src/core/ports';
import {
  DEFAULT_CHANNEL_TIMEOUT_MS,
  DEFAULT_MAX_DELIVERY_ATTEMPTS,
  DEFAULT_RETRY_AFTER_MS,
  deliverPendingAlerts,
} from '../src/usecases/deliverAlerts';
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

class Collect extends Writable {
  text = '';
  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    done: (error?: Error | null) => void,
  ): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

let azurite: TestAzurite;
let email: AcsEmailFake;
let teams: TeamsWebhookFake;
const accessKey = randomBytes(32).toString('base64');

beforeAll(async () => {
  [azurite, email, teams] = await Promise.all([
    startAzurite(),
    startAcsEmailFake({ accessKey }),
    startTeamsWebhookFake(),
  ]);
});
afterAll(async () => {
  await Promise.all([azurite?.stop(), email?.stop(), teams?.stop()]);
});

interface World {
  store: TableStore;
  /** Another instance's store on the same tables (a second Functions instance). */
  otherInstanceStore(): Promise<TableStore>;
  clock: TestClock;
  notifiers: Notifier[];
  logs: string[];
  deliver(options?: {
    digest?: boolean;
    maxAttempts?: number;
    channelTimeoutMs?: number;
  }): ReturnType<typeof deliverPendingAlerts>;
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
  const tablePrefix = uniqueTablePrefix('deliver');
  const openStore = () =>
    TableStore.create({
      connectionString: azurite.connectionString,
      allowInsecureConnection: true,
      tablePrefix,
      clock,
    });
  const store = await openStore();
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
    new TeamsWebhookNotifier({
      webhookUrl: teams.url,
      agent,
      maxAttempts: 2,
      sleep: async () => undefined,
    }),
  ];
  if (channels.console) notifiers.push(new ConsoleNotifier(channels.console));
  const logs: string[] = [];
  return {
    store,
    otherInstanceStore: openStore,
    clock,
    notifiers,
    logs,
    deliver: (options = {}) =>
      deliverPendingAlerts(
        { store, notifiers, clock, log: (line) => logs.push(line) },
        {
          digest: options.digest ?? false,
          maxAttempts: options.maxAttempts,
          channelTimeoutMs: options.channelTimeoutMs,
        },
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
    {
      dedupeKey: a.dedupeKey,
      severity: 'critical',
      channels: { email: 'sent', teams: 'sent', console: 'sent' },
    },
  ]);
  expect(email.received.map((m) => m.subject)).toEqual([
    '[CRITICAL] aks-prod: local accounts re-enabled',
  ]);
  expect(teams.received).toHaveLength(1);
  expect(out.text).toContain('[CRITICAL] aks-prod: local accounts re-enabled');
  expect(await w.row(a)).toMatchObject({
    state: 'sent',
    attempts: 1,
    channels: { email: 'sent', teams: 'sent', console: 'sent' },
  });

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
  expect(row).toMatchObject({
    state: 'failed',
    attempts: 3,
    channels: { email: 'sent', teams: 'failed' },
  });
  expect(row?.lastError).toMatch(/^teams: the webhook at host 127\.0\.0\.1:\d+ answered 503/);
  expect(row?.lastError).not.toContain(teams.signature);
  expect((await w.store.listAlerts({ state: 'failed' })).map((r) => r.alert.dedupeKey)).toEqual([
    a.dedupeKey,
  ]);
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
  expect(deliveries.map((d) => d.channels)).toEqual([
    { email: 'sent', teams: 'sent', console: 'skipped' },
  ]);
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
  expect((await w.row(a))?.lastError).toMatch(
    /^email: Azure Communication Services at host 127\.0\.0\.1:\d+ failed: HTTP 503/,
  );

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
  expect(deliveries.every((d) => d.channels.email === 'sent' && d.channels.teams === 'sent')).toBe(
    true,
  );
  expect(email.received.map((m) => m.subject)).toEqual([
    'AKS identity digest: 3 alerts on 3 clusters',
  ]);
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
  const deliveries = await deliverPendingAlerts(
    { store: w.store, notifiers: [], clock: w.clock, log: (l) => logs.push(l) },
    { digest: false },
  );
  expect(deliveries).toEqual([
    {
      dedupeKey: a.dedupeKey,
      severity: 'critical',
      channels: { email: 'skipped', teams: 'skipped', console: 'skipped' },
    },
  ]);
  expect(await w.row(a)).toMatchObject({ state: 'sent', attempts: 1 });
  expect(logs.join('\n')).toMatch(/no alert channel is configured/);
});

/**
 * Both stores' runs get the outbox rows only once both have read them: each run then holds the
 * same pending row, as two Functions instances do that fire together. (A view of the real store,
 * delaying the answer; the SDK is not touched.)
 */
function readingTogether(stores: TableStore[]): PostureStore[] {
  let waiting = stores.length;
  let release!: () => void;
  const allRead = new Promise<void>((resolve) => (release = resolve));
  return stores.map(
    (store) =>
      new Proxy(store, {
        get(target, property, receiver) {
          if (property === 'listAlerts') {
            return async (...args: Parameters<TableStore['listAlerts']>) => {
              const rows = await target.listAlerts(...args);
              if (--waiting === 0) release();
              await allRead;
              return rows;
            };
          }
          const value = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }),
  );
}

describe('several instances share one outbox', () => {
  it('two instances that read the same pending alert at once send it once: the claim under the ETag decides', async () => {
    const w = await world();
    const a = alert('aks-prod');
    await w.store.enqueueAlerts([a]);
    const other = await w.otherInstanceStore();
    const teamsOnly = () => [
      new TeamsWebhookNotifier({
        webhookUrl: teams.url,
        agent: testCertificate().agent,
        maxAttempts: 2,
        sleep: async () => undefined,
      }),
    ];
    const [first, second] = readingTogether([w.store, other]);

    const runs = await Promise.all([
      deliverPendingAlerts(
        { store: first, notifiers: teamsOnly(), clock: w.clock, log: (l) => w.logs.push(l) },
        { digest: false },
      ),
      deliverPendingAlerts(
        { store: second, notifiers: teamsOnly(), clock: w.clock, log: (l) => w.logs.push(l) },
        { digest: false },
      ),
    ]);

    expect(teams.received).toHaveLength(1);
    expect(runs.flat().map((d) => d.dedupeKey)).toEqual([a.dedupeKey]);
    expect(await w.row(a)).toMatchObject({
      state: 'sent',
      attempts: 1,
      channels: { teams: 'sent' },
    });
    expect((await w.row(a))?.claimedUntil).toBeUndefined();
  });

  it('an alert claimed by a run that died before sending is delivered by a later run once the lease expires', async () => {
    const w = await world();
    const a = alert('aks-prod');
    await w.store.enqueueAlerts([a]);
    const lease = 5 * 60_000;
    // Another instance claimed it, then crashed: no send, no record.
    const other = await w.otherInstanceStore();
    expect(await other.claimAlert(a.clusterId, a.dedupeKey, lease, w.clock.now())).toMatchObject({
      state: 'pending',
      attempts: 0,
    });

    // While the lease runs the alert is someone else's.
    w.clock.advance(lease - 1_000);
    expect(await w.deliver()).toEqual([]);
    expect(teams.received).toHaveLength(0);
    expect(email.received).toHaveLength(0);

    w.clock.advance(2_000);
    expect((await w.deliver()).map((d) => d.channels)).toEqual([
      { email: 'sent', teams: 'sent', console: 'skipped' },
    ]);
    w.clock.advance(lease * 2);
    expect(await w.deliver()).toEqual([]);
    expect(teams.received).toHaveLength(1);
    expect(email.received).toHaveLength(1);
  });

  it('an instance holding a stale read does not retry an alert another instance just attempted, and does not keep it claimed', async () => {
    const w = await world();
    const a = alert('aks-prod');
    await w.store.enqueueAlerts([a]);
    const other = await w.otherInstanceStore();
    // The other instance read the outbox (never attempted: due) and is slow to go on.
    const staleRows = await other.listAlerts({ state: 'pending' });
    const stale = new Proxy(other, {
      get: (target, property) =>
        property === 'listAlerts' ? async () => staleRows : Reflect.get(target, property, target),
    });
    teams.always({ status: 503 });
    await w.deliver();
    expect(await w.row(a)).toMatchObject({
      state: 'pending',
      attempts: 1,
      channels: { email: 'sent', teams: 'failed' },
    });
    const teamsCalls = teams.statuses.length;

    const late = await deliverPendingAlerts(
      { store: stale, notifiers: w.notifiers, clock: w.clock, log: (l) => w.logs.push(l) },
      { digest: false },
    );
    expect(late).toEqual([]);
    expect(teams.statuses.length).toBe(teamsCalls);
    expect(email.received).toHaveLength(1);
    const row = await w.row(a);
    expect(row).toMatchObject({ state: 'pending', attempts: 1 });
    expect(row?.claimedUntil).toBeUndefined();

    // Due again a minute later, for whichever instance runs then.
    teams.reset();
    w.clock.advance(61_000);
    expect(
      (
        await deliverPendingAlerts(
          { store: other, notifiers: w.notifiers, clock: w.clock },
          { digest: false },
        )
      ).map((d) => d.channels.teams),
    ).toEqual(['sent']);
    expect(email.received).toHaveLength(1);
  });

  it('claimAlert: one claim at a time, none on an alert no longer pending; an expired claim can be taken again', async () => {
    const w = await world();
    const a = alert('aks-prod');
    await w.store.enqueueAlerts([a]);
    const other = await w.otherInstanceStore();
    const now = w.clock.now();

    const claims = await Promise.all([
      w.store.claimAlert(a.clusterId, a.dedupeKey, 60_000, now),
      other.claimAlert(a.clusterId, a.dedupeKey, 60_000, now),
    ]);
    expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
    expect(claims.find((c) => c)?.claimedUntil).toBe(
      new Date(now.getTime() + 60_000).toISOString(),
    );
    expect(
      await w.store.claimAlert(a.clusterId, a.dedupeKey, 60_000, new Date(now.getTime() + 59_999)),
    ).toBeUndefined();

    const later = new Date(now.getTime() + 60_000);
    expect(await other.claimAlert(a.clusterId, a.dedupeKey, 60_000, later)).toMatchObject({
      state: 'pending',
    });

    // Recorded as sent (the claim released with it): nothing left to claim.
    await w.store.updateAlert(a.clusterId, a.dedupeKey, {
      state: 'sent',
      attempts: 1,
      claimedUntil: undefined,
    });
    expect((await w.row(a))?.claimedUntil).toBeUndefined();
    expect(
      await w.store.claimAlert(
        a.clusterId,
        a.dedupeKey,
        60_000,
        new Date(later.getTime() + 3_600_000),
      ),
    ).toBeUndefined();
    expect(await w.store.claimAlert(a.clusterId, 'no such alert', 60_000, later)).toBeUndefined();
  });

  it('a claim or an update after a listing writes under the version listed, and re-reads a row that changed since', async () => {
    const w = await world();
    const [a, b] = [alert('aks-prod'), alert('aks-dev')];
    await w.store.enqueueAlerts([a, b]);
    const other = await w.otherInstanceStore();
    const now = w.clock.now();
    // This instance listed both while the other one held `a`.
    expect(await other.claimAlert(a.clusterId, a.dedupeKey, 60_000, now)).toBeDefined();
    await w.store.listAlerts({ state: 'pending' });
    // Since then: `a` released by the other instance (attempted once), `b` claimed by it.
    await other.updateAlert(a.clusterId, a.dedupeKey, { attempts: 1, claimedUntil: undefined });
    expect(await other.claimAlert(b.clusterId, b.dedupeKey, 60_000, now)).toBeDefined();

    // `a` looked held when listed: read again rather than skipped; `b` looked free: the write
    // under the listed version fails and the fresh read shows the other instance's claim.
    expect(await w.store.claimAlert(a.clusterId, a.dedupeKey, 60_000, now)).toMatchObject({
      attempts: 1,
    });
    expect(await w.store.claimAlert(b.clusterId, b.dedupeKey, 60_000, now)).toBeUndefined();
    // The update after the claim keeps what the other instance recorded.
    await w.store.updateAlert(a.clusterId, a.dedupeKey, { state: 'sent', attempts: 2 });
    expect(await w.row(a)).toMatchObject({ state: 'sent', attempts: 2 });
    expect(await w.row(b)).toMatchObject({ state: 'pending', attempts: 0 });
    expect((await w.row(b))?.claimedUntil).toBe(new Date(now.getTime() + 60_000).toISOString());
  });
});

describe('documented defaults and bounds', () => {
  it('an alert is attempted five times by default (a minute apart at least), then marked failed', async () => {
    expect(DEFAULT_MAX_DELIVERY_ATTEMPTS).toBe(5);
    expect(DEFAULT_RETRY_AFTER_MS).toBe(60_000);
    const w = await world();
    teams.always({ status: 500 });
    const a = alert('aks-five');
    await w.store.enqueueAlerts([a]);
    for (let run = 1; run <= 5; run++) {
      await w.deliver();
      expect(await w.row(a)).toMatchObject({
        attempts: run,
        state: run < 5 ? 'pending' : 'failed',
      });
      // A run before the retry time does not attempt it.
      w.clock.advance(30_000);
      expect(await w.deliver()).toEqual([]);
      w.clock.advance(30_000);
    }
    expect(await w.deliver()).toEqual([]);
    expect((await w.row(a))?.attempts).toBe(5);
  });

  it('a channel that hangs is aborted after the channel timeout: the attempt fails, the other channels are not held', async () => {
    expect(DEFAULT_CHANNEL_TIMEOUT_MS).toBe(20_000);
    const w = await world();
    teams.hang();
    const a = alert('aks-hang');
    await w.store.enqueueAlerts([a]);
    const [delivery] = await w.deliver({ channelTimeoutMs: 300 });
    expect(delivery.channels).toMatchObject({ email: 'sent', teams: 'failed' });
    expect(await w.row(a)).toMatchObject({
      state: 'pending',
      attempts: 1,
      lastError: expect.stringMatching(/teams: no answer within 300 ms; aborted/),
    });
    // The hanging request was aborted, not left open behind the run.
    for (let i = 0; i < 40 && teams.hanging > 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(teams.hanging).toBe(0);
    teams.reset();
  });
});
