/**
 * The non-HTTP triggers called as the Functions host calls them (test mode): the Event Grid
 * trigger, the nightly timer, the fan-out queue consumer and its poison queue, against a real
 * runtime (Azurite + a copy of samples/estate).
 */
import type { EventGridEvent, Timer } from '@azure/functions';
import { readFileSync } from 'fs';
import { join } from 'path';
import { InputError } from '../../src/core/errors';
import type { ClusterPosture } from '../../src/core/model';
import type { HistoryEntry } from '../../src/core/ports';
import { armEvents } from '../../src/functions/armEvents';
import { auditSubscription } from '../../src/functions/auditSubscription';
import { auditSubscriptionPoison } from '../../src/functions/auditSubscriptionPoison';
import { nightlyAudit } from '../../src/functions/nightlyAudit';
import {
  clusterIdOf,
  CLUSTERS,
  NONPROD_SUB,
  PROD_SUB,
  SAMPLE_EVENTS,
  startTestRuntime,
  testContext,
  type TestRuntime,
} from '../helpers/runtime';

let t: TestRuntime;

beforeAll(async () => {
  t = await startTestRuntime();
});
afterAll(() => t?.close());

function sampleEvent(file: string): Record<string, any> {
  const [event] = JSON.parse(readFileSync(join(SAMPLE_EVENTS, file), 'utf8')) as Array<
    Record<string, any>
  >;
  return event;
}

function timer(isPastDue: boolean): Timer {
  return {
    isPastDue,
    schedule: { adjustForDST: false },
    scheduleStatus: {
      last: '2026-11-21T02:00:00.000Z',
      next: '2026-11-23T02:00:00.000Z',
      lastUpdated: '2026-11-22T02:00:00.000Z',
    },
  };
}

async function posture(id: string): Promise<ClusterPosture | undefined> {
  return t.runtime.store.getPosture(id);
}

async function historyOf(id: string): Promise<HistoryEntry[]> {
  return (await t.runtime.store.getHistory(id, { pageSize: 100 })).items;
}

describe('nightlyAudit (timer)', () => {
  it('warns when the run is late and audits the whole estate', async () => {
    const { context, at } = testContext('nightlyAudit');
    await nightlyAudit(timer(true), context);
    expect(at('warning')).toEqual([expect.stringMatching(/late.*isPastDue/)]);
    expect(at('information')).toEqual([
      expect.stringMatching(/^nightly audit: 7 cluster\(s\) evaluated, 6 failing$/),
    ]);
    expect(await t.runtime.store.knownClusterIds()).toHaveLength(7);
  });

  it('does not warn when on time', async () => {
    const { context, at } = testContext('nightlyAudit');
    await nightlyAudit(timer(false), context);
    expect(at('warning')).toEqual([]);
    expect(at('information')).toHaveLength(1);
  });
});

describe('armEvents (Event Grid trigger)', () => {
  it('logs a malformed event as a warning naming it, and does not throw (a retry cannot help)', async () => {
    const { context, at } = testContext('armEvents');
    const malformed = {
      ...sampleEvent('cluster-write.json'),
      id: 'bad-event-1',
      subject: 42,
    } as unknown as EventGridEvent;
    await expect(armEvents(malformed, context)).resolves.toBeUndefined();
    expect(at('warning')).toEqual([expect.stringMatching(/^event bad-event-1 rejected: /)]);
    expect(at('error')).toEqual([]);
  });

  it('warns for a value that is not an event at all', async () => {
    const { context, at } = testContext('armEvents');
    await expect(
      armEvents('not an event' as unknown as EventGridEvent, context),
    ).resolves.toBeUndefined();
    await expect(
      armEvents([sampleEvent('cluster-write.json')] as unknown as EventGridEvent, context),
    ).resolves.toBeUndefined();
    expect(at('warning')).toHaveLength(2);
  });

  it('evaluates the cluster a good cluster-write event names, reading its current state', async () => {
    t.editCluster('aks-payments-prod', (cluster) => {
      cluster.disableLocalAccounts = false;
    });
    const { context, at } = testContext('armEvents');
    const event = sampleEvent('cluster-write.json') as unknown as EventGridEvent;
    await armEvents(event, context);
    expect(at('warning')).toEqual([]);
    expect(at('information')).toEqual([
      expect.stringMatching(
        /^event 00000000-0000-4000-8000-0000000e0002 Microsoft\.ContainerService\/managedClusters\/write: evaluated/,
      ),
    ]);
    const stored = await posture(clusterIdOf(CLUSTERS.paymentsProd));
    expect(stored!.findings.find((f) => f.checkId === 'local-accounts-disabled')!.status).toBe(
      'fail',
    );
    const [latest] = await historyOf(clusterIdOf(CLUSTERS.paymentsProd));
    expect(latest.sourceEventId).toBe('00000000-0000-4000-8000-0000000e0002');
    expect(latest.regressions).toEqual(
      expect.arrayContaining([expect.objectContaining({ checkId: 'local-accounts-disabled' })]),
    );
  });

  it('acknowledges the same event again as a duplicate', async () => {
    const { context, at } = testContext('armEvents');
    await armEvents(sampleEvent('cluster-write.json') as unknown as EventGridEvent, context);
    expect(at('information')).toEqual([expect.stringMatching(/: duplicate/)]);
  });

  it('accepts a CloudEvents event (admin credential retrieved) and logs its outcome', async () => {
    const { context, at } = testContext('armEvents');
    await armEvents(sampleEvent('admin-credential.json') as unknown as EventGridEvent, context);
    expect(at('warning')).toEqual([]);
    expect(at('information')).toEqual([
      expect.stringMatching(
        /listClusterAdminCredential\/action: evaluated \(erin@contoso\.example \(object id [0-9a-f-]+, app id [0-9a-f-]+\) fetched the cluster-admin kubeconfig; paging at critical\)/,
      ),
    ]);
  });

  it('refuses (and logs) an event about a subscription it does not watch, without throwing', async () => {
    const event = sampleEvent('cluster-write.json');
    const other = '99999999-9999-4999-8999-999999999999';
    const foreign = JSON.parse(JSON.stringify(event).split(PROD_SUB).join(other)) as Record<
      string,
      any
    >;
    foreign.id = '00000000-0000-4000-8000-0000000e0f0f';
    const { context, at } = testContext('armEvents');
    await armEvents(foreign as unknown as EventGridEvent, context);
    expect(at('information')).toEqual([expect.stringMatching(/: rejected \(/)]);
    expect(await t.runtime.store.knownClusterIds()).toHaveLength(7);
  });
});

describe('auditSubscription (fan-out queue consumer)', () => {
  it('audits the subscription a JSON message names (object or string), and only that one', async () => {
    t.editCluster('aks-dev-shared', (cluster) => {
      cluster.disableLocalAccounts = false;
    });
    const prodBefore = await historyOf(clusterIdOf(CLUSTERS.checkoutProd));

    const { context, at } = testContext('auditSubscription');
    await auditSubscription({ subscriptionId: NONPROD_SUB }, context);
    expect(at('information')).toEqual([
      `subscription ${NONPROD_SUB}: 4 cluster(s) evaluated, 4 failing`,
    ]);
    const dev = await posture(clusterIdOf(CLUSTERS.devShared));
    expect(dev!.findings.find((f) => f.checkId === 'local-accounts-disabled')!.status).toBe('fail');
    expect(await historyOf(clusterIdOf(CLUSTERS.checkoutProd))).toEqual(prodBefore);

    const second = testContext('auditSubscription');
    await auditSubscription(
      JSON.stringify({ subscriptionId: PROD_SUB.toUpperCase() }),
      second.context,
    );
    expect(second.at('information')).toEqual([
      `subscription ${PROD_SUB}: 3 cluster(s) evaluated, 3 failing`,
    ]);
  });

  it.each([
    ['not JSON', 'subscription please'],
    ['JSON without subscriptionId', '{"sub":"x"}'],
    ['a subscriptionId that is not a GUID', { subscriptionId: "x' or '1' eq '1" }],
    ['a number', 42],
    ['null', null],
  ])('throws InputError for a message that is %s', async (_what, message) => {
    const { context } = testContext('auditSubscription');
    await expect(auditSubscription(message, context)).rejects.toBeInstanceOf(InputError);
  });
});

describe('auditSubscriptionPoison', () => {
  it('marks every known cluster of the subscription `error` (never a stale pass) and logs an error', async () => {
    t.editCluster('aks-payments-prod', (cluster) => {
      cluster.disableLocalAccounts = true;
    });
    await t.runtime.auditSubscription(PROD_SUB);
    expect((await posture(clusterIdOf(CLUSTERS.paymentsProd)))!.status).toBe('pass');

    const { context, at } = testContext('auditSubscriptionPoison');
    await auditSubscriptionPoison({ subscriptionId: PROD_SUB }, context);
    expect(at('error')).toEqual([
      expect.stringMatching(
        new RegExp(`^subscription ${PROD_SUB}: .*3 cluster\\(s\\) marked error$`),
      ),
    ]);

    for (const params of [CLUSTERS.paymentsProd, CLUSTERS.checkoutProd, CLUSTERS.searchProd2]) {
      const stored = await posture(clusterIdOf(params));
      expect(stored!.status).toBe('error');
      expect(stored!.findings.every((f) => f.status === 'error')).toBe(true);
      expect(stored!.findings[0].detail).toMatch(/poison queue/);
    }
    const summaries = (await t.runtime.store.listPostures({ status: 'error' }, {})).items
      .map((s) => s.name)
      .sort();
    expect(summaries).toEqual(['aks-checkout-prod', 'aks-payments-prod', 'aks-search-prod2']);
    // The other subscription is untouched.
    expect((await posture(clusterIdOf(CLUSTERS.devShared)))!.status).toBe('fail');
  });

  it('logs (and does not throw for) a poison message that is not an audit request', async () => {
    const { context, at } = testContext('auditSubscriptionPoison');
    await expect(auditSubscriptionPoison('garbage', context)).resolves.toBeUndefined();
    expect(at('error')).toEqual([expect.stringMatching(/not a subscription audit request/)]);
  });

  it('the next successful audit clears the error', async () => {
    const { context } = testContext('auditSubscription');
    await auditSubscription({ subscriptionId: PROD_SUB }, context);
    expect((await posture(clusterIdOf(CLUSTERS.paymentsProd)))!.status).toBe('pass');
  });
});
