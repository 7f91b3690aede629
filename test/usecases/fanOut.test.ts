/**
 * The nightly audit and its fan-out (docs/architecture.md "Scale") against real parts: the runtime's
 * audit dependencies (Table Storage on Azurite, a copy of samples/estate) and a real Azure
 * Storage queue on the same Azurite.
 */
import { QueueClient } from '@azure/storage-queue';
import { StorageSubscriptionQueue } from '../../src/adapters/subscriptionQueue';
import { InputError } from '../../src/core/errors';
import { auditSubscription } from '../../src/functions/auditSubscription';
import {
  AUDIT_QUEUE_NAME,
  FAN_OUT_THRESHOLD,
  parseSubscriptionMessage,
  recordSubscriptionFailure,
  runNightlyAudit,
  runSubscriptionAudit,
  subscriptionMessage,
} from '../../src/usecases/fanOut';
import {
  NONPROD_SUB,
  PROD_SUB,
  startTestRuntime,
  testContext,
  type TestRuntime,
} from '../helpers/runtime';

describe('parseSubscriptionMessage', () => {
  it.each([
    ['an object', { subscriptionId: PROD_SUB }, PROD_SUB],
    ['a JSON string', JSON.stringify({ subscriptionId: NONPROD_SUB }), NONPROD_SUB],
    ['an upper-case id (lower-cased)', { subscriptionId: PROD_SUB.toUpperCase() }, PROD_SUB],
    ['extra properties (ignored)', { subscriptionId: PROD_SUB, attempt: 2 }, PROD_SUB],
    ['what subscriptionMessage writes', subscriptionMessage(NONPROD_SUB), NONPROD_SUB],
  ])('accepts %s', (_what, message, expected) => {
    expect(parseSubscriptionMessage(message)).toEqual({ subscriptionId: expected });
  });

  it.each([
    ['text that is not JSON', 'please audit'],
    ['base64 that was not decoded', Buffer.from(subscriptionMessage(PROD_SUB)).toString('base64')],
    ['an empty string', ''],
    ['null', null],
    ['undefined', undefined],
    ['a number', 7],
    ['an array', [{ subscriptionId: PROD_SUB }]],
    ['JSON null', 'null'],
    ['an object without subscriptionId', { subscription: PROD_SUB }],
    ['a numeric subscriptionId', { subscriptionId: 1 }],
    ['a subscriptionId that is not a GUID', { subscriptionId: 'prod' }],
    ['an injection attempt', { subscriptionId: `${PROD_SUB}' or '1' eq '1` }],
    ['a GUID with surrounding text', { subscriptionId: ` ${PROD_SUB}/resourceGroups/x` }],
  ])('refuses %s with an InputError', (_what, message) => {
    expect(() => parseSubscriptionMessage(message)).toThrow(InputError);
  });

  it('names the problem in one line without echoing a long value', () => {
    try {
      parseSubscriptionMessage({ subscriptionId: 'x'.repeat(500) });
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toMatch(/subscriptionId/);
      expect((error as Error).message.length).toBeLessThan(200);
    }
  });
});

describe('runNightlyAudit', () => {
  let t: TestRuntime;
  let queue: StorageSubscriptionQueue;

  beforeAll(async () => {
    t = await startTestRuntime();
    queue = await StorageSubscriptionQueue.create(
      { connectionString: t.azurite.connectionString },
      AUDIT_QUEUE_NAME,
    );
  });
  afterAll(() => t?.close());

  const deps = (extra: { fanOutThreshold?: number; withQueue?: boolean } = {}) => ({
    ...t.runtime.auditDeps(),
    historyDays: t.runtime.settings.historyDays,
    queue: extra.withQueue === false ? undefined : queue,
    fanOutThreshold: extra.fanOutThreshold,
  });

  it('above the threshold, enqueues one message per watched subscription and audits nothing itself', async () => {
    const line = await runNightlyAudit(deps({ fanOutThreshold: 1 }));
    expect(line).toBe(
      `nightly audit: fanned out 2 subscription audits to the ${AUDIT_QUEUE_NAME} queue`,
    );
    expect(await t.runtime.store.knownClusterIds()).toEqual([]);

    // On the wire: base64 of the JSON message, as the Functions queue trigger decodes by default.
    const raw = await rawMessages(t.azurite.connectionString);
    expect(
      raw
        .map((text) => JSON.parse(Buffer.from(text, 'base64').toString('utf8')))
        .sort(bySubscription),
    ).toEqual([{ subscriptionId: PROD_SUB }, { subscriptionId: NONPROD_SUB }]);

    const bodies = await queue.receive();
    const messages = bodies
      .map((body) => JSON.parse(body) as { subscriptionId: string })
      .sort(bySubscription);
    expect(messages).toEqual([{ subscriptionId: PROD_SUB }, { subscriptionId: NONPROD_SUB }]);
    expect(await queue.receive()).toEqual([]);

    // The consumer audits each subscription from its message: the estate is audited, once.
    for (const body of bodies) {
      const { context, at } = testContext('auditSubscription');
      await auditSubscription(body, context);
      expect(at('information')).toEqual([
        expect.stringMatching(
          /^subscription [0-9a-f-]{36}: \d cluster\(s\) evaluated, \d failing$/,
        ),
      ]);
    }
    expect(await t.runtime.store.knownClusterIds()).toHaveLength(7);
  });

  it('at or below the threshold, audits the estate in the run and enqueues nothing', async () => {
    expect(FAN_OUT_THRESHOLD).toBeGreaterThanOrEqual(2);
    expect(await runNightlyAudit(deps())).toBe('nightly audit: 7 cluster(s) evaluated, 6 failing');
    expect(await runNightlyAudit(deps({ fanOutThreshold: 2 }))).toBe(
      'nightly audit: 7 cluster(s) evaluated, 6 failing',
    );
    expect(await queue.receive()).toEqual([]);
  });

  it('without a queue, audits in the run whatever the number of subscriptions', async () => {
    expect(await runNightlyAudit(deps({ fanOutThreshold: 0, withQueue: false }))).toBe(
      'nightly audit: 7 cluster(s) evaluated, 6 failing',
    );
    expect(await queue.receive()).toEqual([]);
  });

  it('the runtime wires its own queue to the same queue name', async () => {
    expect(t.runtime.queue).toBeDefined();
    await t.runtime.queue!.enqueue([NONPROD_SUB]);
    expect(await queue.receive()).toEqual([subscriptionMessage(NONPROD_SUB)]);
  });

  it('runSubscriptionAudit audits one subscription and says what it did', async () => {
    expect(await runSubscriptionAudit(t.runtime.auditDeps(), PROD_SUB)).toBe(
      `subscription ${PROD_SUB}: 3 cluster(s) evaluated, 2 failing`,
    );
    expect(
      await runSubscriptionAudit(t.runtime.auditDeps(), '99999999-9999-4999-8999-999999999999'),
    ).toBe('subscription 99999999-9999-4999-8999-999999999999: 0 cluster(s) evaluated, 0 failing');
  });

  it('recordSubscriptionFailure marks only that subscription’s known clusters, and none of an unknown one', async () => {
    expect(
      await recordSubscriptionFailure(
        t.runtime.auditDeps(),
        '99999999-9999-4999-8999-999999999999',
        'failed',
      ),
    ).toBe(0);
    expect(
      await recordSubscriptionFailure(
        t.runtime.auditDeps(),
        NONPROD_SUB,
        'the audit failed after every retry',
      ),
    ).toBe(4);
    const errors = (await t.runtime.store.listPostures({ status: 'error' }, {})).items;
    expect(errors.map((s) => s.subscriptionId)).toEqual([
      NONPROD_SUB,
      NONPROD_SUB,
      NONPROD_SUB,
      NONPROD_SUB,
    ]);
  });
});

function bySubscription(a: { subscriptionId: string }, b: { subscriptionId: string }): number {
  return a.subscriptionId.localeCompare(b.subscriptionId);
}

/** The message texts as stored in the queue (peeked, not removed). */
async function rawMessages(connectionString: string): Promise<string[]> {
  const client = new QueueClient(connectionString, AUDIT_QUEUE_NAME);
  const peeked = await client.peekMessages({ numberOfMessages: 32 });
  return peeked.peekedMessageItems.map((m) => m.messageText);
}
