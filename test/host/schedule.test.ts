/**
 * The local host's nightly schedule. In Azure, past FAN_OUT_THRESHOLD subscriptions the timer
 * fans out to the queue and the queue trigger consumes it; the local host has no queue trigger,
 * so its scheduled run must audit the estate itself rather than fill a queue nobody reads.
 */
import { StorageSubscriptionQueue } from '../../src/adapters/subscriptionQueue';
import { scheduledAudit, startLocalHost } from '../../src/host/localHost';
import { AUDIT_QUEUE_NAME, FAN_OUT_THRESHOLD } from '../../src/usecases/fanOut';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';

const EXTRA_SUBSCRIPTIONS = [3, 4, 5, 6, 7].map((n) => `00000000-0000-4000-a000-00000000000${n}`);

let t: TestRuntime;
let queue: StorageSubscriptionQueue;

beforeAll(async () => {
  t = await startTestRuntime();
  // Seven subscriptions: the two of the sample, and five more with a copy of aks-dev-shared each.
  t.editClusters((clusters) => {
    const template = clusters.find((c) => c.name === 'aks-dev-shared')!;
    for (const subscriptionId of EXTRA_SUBSCRIPTIONS) {
      const text = JSON.stringify(template)
        .split('00000000-0000-4000-a000-000000000002')
        .join(subscriptionId);
      clusters.push(JSON.parse(text) as Record<string, unknown>);
    }
  });
  expect((await t.runtime.source.watchedSubscriptions()).length).toBeGreaterThan(FAN_OUT_THRESHOLD);
  queue = await StorageSubscriptionQueue.create(
    { connectionString: t.azurite.connectionString },
    AUDIT_QUEUE_NAME,
  );
});
afterAll(() => t?.close());

it('the Functions nightly run fans out past the threshold (the queue trigger audits)', async () => {
  expect(await t.runtime.nightlyAudit()).toMatch(/fanned out 7 subscription audits/);
  expect((await queue.receive()).length).toBe(7);
  expect(await t.runtime.store.knownClusterIds()).toEqual([]);
});

it('the local host’s scheduled run audits the whole estate itself and enqueues nothing', async () => {
  expect(await scheduledAudit(t.runtime)).toBe(
    'nightly audit: 12 cluster(s) evaluated, 11 failing',
  );
  expect(await t.runtime.store.knownClusterIds()).toHaveLength(12);
  expect(await queue.receive()).toEqual([]);
});

it('the schedule of a running local host runs that audit', async () => {
  const log: string[] = [];
  let ran!: () => void;
  const done = new Promise<void>((resolve) => (ran = resolve));
  const host = await startLocalHost({
    runtime: t.runtime,
    port: 0,
    schedule: '* * * * * *',
    log: (line) => {
      log.push(line);
      if (line.startsWith('nightly audit')) ran();
    },
  });
  try {
    await done;
  } finally {
    await host.close();
  }
  expect(log.filter((line) => line.startsWith('nightly audit'))[0]).toBe(
    'nightly audit: 12 cluster(s) evaluated, 11 failing',
  );
  expect(await queue.receive()).toEqual([]);
});
