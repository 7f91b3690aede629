/**
 * The real `EmailClient` of @azure/communication-email against the local ACS Email fake, which
 * verifies the HMAC signature (or the bearer token) exactly as the service does.
 */
import { randomBytes } from 'crypto';
import { AcsEmailNotifier, emailEndpointHost } from '../../src/adapters/notifiers/acsEmail';
import { localAccountsAlert as alert } from './alertFixture';
import { startAcsEmailFake, type AcsEmailFake } from '../fakes/acsEmail';
import { staticTestCredential, STATIC_TEST_TOKEN } from '../fakes/credential';
import { testCertificate } from '../fakes/tls';

// SDK retries without real waiting: the fake's faults are answered at once.
const fastRetries = { retryOptions: { maxRetries: 2, retryDelayInMs: 1, maxRetryDelayInMs: 5 } };

describe('AcsEmailNotifier with a connection string (HMAC-SHA256)', () => {
  const accessKey = randomBytes(32).toString('base64');
  let fake: AcsEmailFake;
  let notifier: AcsEmailNotifier;

  beforeAll(async () => {
    fake = await startAcsEmailFake({ accessKey, runningPolls: 2 });
    notifier = new AcsEmailNotifier({
      connection: { connectionString: fake.connectionString },
      sender: 'DoNotReply@contoso.azurecomm.net',
      recipients: ['oncall@contoso.com', 'sec@contoso.com'],
      agent: testCertificate().agent,
      pollIntervalMs: 5,
      clientOptions: fastRetries,
    });
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.up();
    fake.received.length = 0;
    fake.requests.length = 0;
  });

  it('sends one signed email with HTML and plain text and waits for Succeeded', async () => {
    await notifier.send([alert()], { digest: false });
    expect(fake.received).toHaveLength(1);
    const [email] = fake.received;
    expect(email.auth).toBe('hmac');
    expect(email.senderAddress).toBe('DoNotReply@contoso.azurecomm.net');
    expect(email.to).toEqual(['oncall@contoso.com', 'sec@contoso.com']);
    expect(email.subject).toBe('[CRITICAL] aks-prod: local accounts re-enabled');
    expect(email.plainText).toContain(
      'az aks update --resource-group rg-prod --name aks-prod --disable-local-accounts',
    );
    expect(email.html).toContain('<pre');
    // 202 then two `Running` polls then `Succeeded`: the notifier waited for the outcome.
    const polls = fake.requests.filter((r) => r.method === 'GET');
    expect(polls.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(fake.requests.every((r) => r.auth === 'hmac' && r.reason === undefined)).toBe(true);
  });

  it('sends one email per alert, or one digest', async () => {
    const alerts = [
      alert(),
      alert({
        dedupeKey: 'other',
        clusterName: 'aks-dev',
        clusterId: '/x/aks-dev',
        title: 'aks-dev: x',
      }),
    ];
    await notifier.send(alerts, { digest: false });
    expect(fake.received).toHaveLength(2);
    fake.received.length = 0;
    await notifier.send(alerts, { digest: true });
    expect(fake.received.map((e) => e.subject)).toEqual([
      'AKS identity digest: 2 alerts on 2 clusters',
    ]);
  });

  it('rides out transient 429/503 through the SDK retries, sending once', async () => {
    fake.failNext(1, 429, 0);
    fake.failNext(1, 503);
    await notifier.send([alert()], { digest: false });
    expect(fake.received).toHaveLength(1);
    expect(fake.requests.filter((r) => r.method === 'POST').map((r) => r.status)).toEqual([
      429, 503, 202,
    ]);
  });

  it('fails with a one-line message naming the host when the service is down', async () => {
    fake.down(503);
    const error = await notifier.send([alert()], { digest: false }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toBe(
      `email: Azure Communication Services at host ${new URL(fake.endpoint).host} failed: HTTP 503 ServiceUnavailable`,
    );
    expect(fake.received).toHaveLength(0);
  });

  it('fails when the operation ends Failed', async () => {
    fake.failNextOperation('EmailDroppedAllRecipientsSuppressed');
    const error = await notifier.send([alert()], { digest: false }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/^email: Azure Communication Services at host 127\.0\.0\.1:\d+/);
    expect(error?.message).toContain('EmailDroppedAllRecipientsSuppressed');
  });

  it('with a wrong access key, the fake refuses the signature and the notifier says so without the key', async () => {
    const wrongKey = randomBytes(32).toString('base64');
    const wrong = new AcsEmailNotifier({
      connection: { connectionString: `endpoint=${fake.endpoint}/;accesskey=${wrongKey}` },
      sender: 'DoNotReply@contoso.azurecomm.net',
      recipients: ['oncall@contoso.com'],
      agent: testCertificate().agent,
      pollIntervalMs: 5,
      clientOptions: fastRetries,
    });
    const error = await wrong.send([alert()], { digest: false }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(
      /^email: Azure Communication Services at host 127\.0\.0\.1:\d+ refused the credentials .*: HTTP 401 Denied$/,
    );
    expect(error?.message).not.toContain(wrongKey);
    expect(error?.message).not.toContain(accessKey);
    expect(fake.requests.map((r) => r.reason)).toContain('signature mismatch');
    expect(fake.received).toHaveLength(0);
  });

  it('the fake rejects a body that was changed after signing (content hash)', async () => {
    const tamper = new AcsEmailNotifier({
      connection: { connectionString: fake.connectionString },
      sender: 'DoNotReply@contoso.azurecomm.net',
      recipients: ['oncall@contoso.com'],
      agent: testCertificate().agent,
      pollIntervalMs: 5,
      clientOptions: {
        ...fastRetries,
        // Runs after the signing policy: a man in the middle rewriting the body.
        additionalPolicies: [
          {
            position: 'perRetry',
            policy: {
              name: 'tamper',
              sendRequest: (request, next) => {
                if (typeof request.body === 'string')
                  request.body = request.body.replace('oncall@', 'attacker@');
                return next(request);
              },
            },
          },
        ],
      },
    });
    await expect(tamper.send([alert()], { digest: false })).rejects.toThrow(/HTTP 401/);
    expect(fake.requests.map((r) => r.reason)).toContain(
      'x-ms-content-sha256 does not match the body',
    );
  });
});

describe('AcsEmailNotifier with an endpoint and a TokenCredential (managed identity)', () => {
  let fake: AcsEmailFake;
  beforeAll(async () => {
    fake = await startAcsEmailFake({ bearerToken: STATIC_TEST_TOKEN });
  });
  afterAll(() => fake.stop());

  it('authenticates with Authorization: Bearer for the Communication Services audience', async () => {
    const credential = staticTestCredential();
    const notifier = new AcsEmailNotifier({
      connection: { endpoint: fake.endpoint, credential },
      sender: 'DoNotReply@contoso.azurecomm.net',
      recipients: ['oncall@contoso.com'],
      agent: testCertificate().agent,
      pollIntervalMs: 5,
      clientOptions: fastRetries,
    });
    await notifier.send([alert()], { digest: false });
    expect(fake.received).toHaveLength(1);
    expect(fake.received[0].auth).toBe('bearer');
    expect(credential.scopesRequested).toContain('https://communication.azure.com//.default');
  });

  it('a wrong token is refused with a clear error', async () => {
    const notifier = new AcsEmailNotifier({
      connection: { endpoint: fake.endpoint, credential: staticTestCredential('some-other-token') },
      sender: 'DoNotReply@contoso.azurecomm.net',
      recipients: ['oncall@contoso.com'],
      agent: testCertificate().agent,
      pollIntervalMs: 5,
      clientOptions: fastRetries,
    });
    await expect(notifier.send([alert()], { digest: false })).rejects.toThrow(
      /refused the credentials .*HTTP 401/,
    );
  });
});

describe('emailEndpointHost', () => {
  it('names the host of either form and never the key', () => {
    expect(
      emailEndpointHost({
        connectionString: 'endpoint=https://acs-prod.communication.azure.com/;accesskey=c2VjcmV0',
      }),
    ).toBe('acs-prod.communication.azure.com');
    expect(emailEndpointHost({ connectionString: 'accesskey=c2VjcmV0' })).toBe(
      'an unknown endpoint',
    );
  });

  it('an unparsable connection string is reported without its value', () => {
    expect(
      () =>
        new AcsEmailNotifier({
          connection: { connectionString: 'not-a-connection-string-c2VjcmV0' },
          sender: 'a@b.c',
          recipients: ['d@e.f'],
        }),
    ).toThrow(/^email: the Azure Communication Services connection is invalid.*value not shown/);
  });
});
