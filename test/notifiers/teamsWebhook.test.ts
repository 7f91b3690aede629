/**
 * The Teams Workflows channel against the local webhook fake over HTTPS. Waits go through an
 * injected sleep, so retries are asserted by the values asked for, never by wall time.
 */
import {
  parseRetryAfter,
  TeamsWebhookNotifier,
  webhookHost,
} from '../../src/adapters/notifiers/teamsWebhook';
import { localAccountsAlert as alert, SUB } from './alertFixture';
import { startTeamsWebhookFake, type TeamsWebhookFake } from '../fakes/teamsWebhook';
import { testCertificate } from '../fakes/tls';

describe('TeamsWebhookNotifier', () => {
  let fake: TeamsWebhookFake;
  let waits: number[];
  const NOW = new Date('2026-11-22T02:00:00.000Z');

  const notifier = (
    overrides: Partial<ConstructorParameters<typeof TeamsWebhookNotifier>[0]> = {},
  ) =>
    new TeamsWebhookNotifier({
      webhookUrl: fake.url,
      agent: testCertificate().agent,
      maxAttempts: 4,
      sleep: async (ms) => {
        waits.push(ms);
      },
      now: () => NOW,
      ...overrides,
    });

  async function failure(promise: Promise<unknown>): Promise<Error> {
    return promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (e: Error) => e,
    );
  }

  beforeAll(async () => {
    fake = await startTeamsWebhookFake();
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.reset();
    fake.received.length = 0;
    fake.statuses.length = 0;
    waits = [];
  });

  it('posts the Adaptive Card the fake accepts', async () => {
    await notifier().send([alert()], { digest: false });
    expect(fake.statuses).toEqual([202]);
    expect(fake.received).toHaveLength(1);
    const card = fake.received[0];
    expect(card.type).toBe('AdaptiveCard');
    expect(card.version).toBe('1.4');
    expect(JSON.stringify(card)).toContain(
      'az aks update --resource-group rg-prod --name aks-prod --disable-local-accounts',
    );
    expect(card.actions[0]).toMatchObject({
      type: 'Action.OpenUrl',
      url: `https://auditor.example.net/api/dashboard/clusters/${SUB}/rg-prod/aks-prod`,
    });
    expect(waits).toEqual([]);
  });

  it('one card per alert, or one digest card', async () => {
    const alerts = [
      alert(),
      alert({ dedupeKey: 'b', severity: 'high', title: 'aks-prod: another' }),
    ];
    await notifier().send(alerts, { digest: false });
    expect(fake.received).toHaveLength(2);
    await notifier().send(alerts, { digest: true });
    expect(fake.received).toHaveLength(3);
    expect(JSON.stringify(fake.received[2])).toContain(
      'AKS identity digest: 2 alerts on 1 cluster',
    );
  });

  it('429 with Retry-After: 1 then 200: waits the second asked for, posts once', async () => {
    fake.script([{ status: 429, retryAfter: '1' }, { status: 200 }]);
    await notifier().send([alert()], { digest: false });
    expect(fake.statuses).toEqual([429, 200]);
    expect(waits).toEqual([1000]);
    expect(fake.received).toHaveLength(1);
  });

  it('honours a Retry-After HTTP date, measured from the injected clock', async () => {
    fake.script([{ status: 503, retryAfter: new Date(NOW.getTime() + 7_000).toUTCString() }]);
    await notifier().send([alert()], { digest: false });
    expect(waits).toEqual([7000]);
    expect(fake.statuses).toEqual([503, 202]);
  });

  it('caps what Retry-After asks for', async () => {
    fake.script([{ status: 429, retryAfter: '3600' }]);
    await notifier({ maxRetryWaitMs: 30_000 }).send([alert()], { digest: false });
    expect(waits).toEqual([30_000]);
  });

  it('503 forever: fails after the configured attempts, backing off, without the URL in the error', async () => {
    fake.always({ status: 503 });
    const error = await failure(
      notifier({ baseRetryWaitMs: 100 }).send([alert()], { digest: false }),
    );
    expect(fake.statuses).toEqual([503, 503, 503, 503]);
    expect(waits).toEqual([100, 200, 400]);
    expect(error.message).toBe(
      `teams: the webhook at host ${fake.host} answered 503 Service Unavailable after 4 attempts`,
    );
    expect(error.message).not.toContain(fake.signature);
    expect(error.message).not.toContain('/workflows/');
    expect(fake.received).toHaveLength(0);
  });

  it('400 is final at once', async () => {
    fake.script([
      {
        status: 400,
        body: JSON.stringify({
          error: { code: 'InvalidTemplate', message: 'The card is invalid.' },
        }),
      },
    ]);
    const error = await failure(notifier().send([alert()], { digest: false }));
    expect(fake.statuses).toEqual([400]);
    expect(waits).toEqual([]);
    expect(error.message).toMatch(
      new RegExp(
        `^teams: the webhook at host ${fake.host.replace(/\./g, '\\.')} answered 400 Bad Request: .*InvalidTemplate.*; not retried$`,
      ),
    );
  });

  it('an error body echoing the URL is redacted', async () => {
    fake.script([{ status: 404, body: `no trigger at ${fake.url}` }]);
    const error = await failure(notifier().send([alert()], { digest: false }));
    expect(error.message).not.toContain(fake.signature);
    expect(error.message).toContain('[webhook URL]');
  });

  it.each([
    ['JSON-escaped', (url: string) => JSON.stringify({ target: url }).replace(/&/g, '\\u0026')],
    ['HTML-escaped', (url: string) => `<a href="${url.replace(/&/g, '&amp;')}">`],
    ['percent-encoded', (url: string) => `redirect=${encodeURIComponent(url)}`],
  ])('an error body echoing the signature %s is redacted', async (_form, echo) => {
    fake.script([{ status: 404, body: `no trigger: ${echo(fake.url)}` }]);
    const error = await failure(notifier().send([alert()], { digest: false }));
    expect(error.message).toMatch(/answered 404/);
    expect(error.message).not.toContain(fake.signature);
    expect(error.message).not.toContain(encodeURIComponent(fake.signature));
  });

  it('a wrong signature (401) is final and does not reveal the URL', async () => {
    const wrongUrl = fake.url.replace(fake.signature, 'wrong-signature-value');
    const error = await failure(
      notifier({ webhookUrl: wrongUrl }).send([alert()], { digest: false }),
    );
    expect(error.message).toMatch(/answered 401 Unauthorized/);
    expect(error.message).not.toContain('wrong-signature-value');
    expect(error.message).not.toContain('/workflows/');
  });

  it('an unreachable webhook is retried, then reported by host only', async () => {
    const closed = await startTeamsWebhookFake();
    const url = closed.url;
    await closed.stop();
    const error = await failure(
      notifier({ webhookUrl: url, maxAttempts: 2, baseRetryWaitMs: 50 }).send([alert()], {
        digest: false,
      }),
    );
    expect(waits).toEqual([50]);
    expect(error.message).toMatch(
      new RegExp(
        `^teams: the webhook at host ${closed.host.replace(/\./g, '\\.')} could not be reached \\(ECONNREFUSED\\) after 2 attempts$`,
      ),
    );
    expect(error.message).not.toContain(closed.signature);
  });

  it('refuses a non-https or invalid webhook URL without echoing it', () => {
    expect(
      () => new TeamsWebhookNotifier({ webhookUrl: 'http://example.com/x?sig=secret-sig' }),
    ).toThrow('teams: the webhook URL for host example.com must use https');
    expect(() => new TeamsWebhookNotifier({ webhookUrl: 'not a url sig=secret-sig' })).toThrow(
      /^teams: the webhook URL is not a valid URL \(value not shown/,
    );
  });
});

describe('parseRetryAfter and webhookHost', () => {
  const now = new Date('2026-11-22T02:00:00.000Z');
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('1', now)).toBe(1000);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('Sun, 22 Nov 2026 02:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 01:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
  it('keeps only the host', () => {
    expect(
      webhookHost(
        'https://prod-00.westeurope.logic.azure.com:443/workflows/x/triggers/manual/paths/invoke?sig=abc',
      ),
    ).toBe('prod-00.westeurope.logic.azure.com');
  });
});
