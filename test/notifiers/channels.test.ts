/**
 * The console channel, `createNotifiers` wiring, and the Teams fake's own payload checks (so
 * a passing Teams test means the payload really has the shape Workflows requires).
 */
import { randomBytes } from 'crypto';
import { request } from 'https';
import { Writable } from 'stream';
import {
  AcsEmailNotifier,
  ConsoleNotifier,
  createNotifiers,
  TeamsWebhookNotifier,
} from '../../src/adapters/notifiers';
import { InputError } from '../../src/core/errors';
import type { Alert } from '../../src/core/model';
import { startTeamsWebhookFake, type TeamsWebhookFake } from '../fakes/teamsWebhook';
import { testCertificate } from '../fakes/tls';
import { staticTestCredential } from '../fakes/credential';

function alert(name: string): Alert {
  const clusterId = `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${name}`;
  return {
    dedupeKey: `${clusterId}|local-accounts-disabled`,
    clusterId,
    clusterName: name,
    subscriptionId: 's',
    resourceGroup: 'rg',
    severity: 'high',
    kind: 'check-failed',
    checkId: 'local-accounts-disabled',
    title: `${name}: local accounts re-enabled`,
    before: 'was passing',
    after: 'is failing',
    remediation: `az aks update -g rg -n ${name} --disable-local-accounts`,
    createdAt: '2026-11-22T02:00:00.000Z',
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

describe('ConsoleNotifier', () => {
  it('writes the plain text, one block per alert or one digest', async () => {
    const out = new Collect();
    const notifier = new ConsoleNotifier(out);
    await notifier.send([alert('aks-a'), alert('aks-b')], { digest: false });
    expect(out.text.match(/=== ALERT ===/g)).toHaveLength(2);
    expect(out.text).toContain('[HIGH] aks-a: local accounts re-enabled');
    expect(out.text).toContain('    az aks update -g rg -n aks-b --disable-local-accounts');
    const digest = new Collect();
    await new ConsoleNotifier(digest).send([alert('aks-a'), alert('aks-b')], { digest: true });
    expect(digest.text).toContain('AKS identity digest: 2 alerts on 2 clusters');
  });

  it('fails when the stream does', async () => {
    const broken = new Writable({ write: (_c, _e, done) => done(new Error('EPIPE')) });
    broken.on('error', () => undefined);
    await expect(new ConsoleNotifier(broken).send([alert('a')], { digest: false })).rejects.toThrow(
      'console: could not write the alert: EPIPE',
    );
  });
});

describe('createNotifiers', () => {
  const accessKey = randomBytes(32).toString('base64');

  it('builds email, Teams and console in that order', () => {
    const notifiers = createNotifiers({
      email: {
        connectionString: `endpoint=https://acs.example.communication.azure.com/;accesskey=${accessKey}`,
      },
      emailSender: 'DoNotReply@contoso.azurecomm.net',
      emailTo: ['oncall@contoso.com'],
      teamsWebhookUrl:
        'https://prod-00.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=abc',
      console: true,
    });
    expect(notifiers.map((n) => n.channel)).toEqual(['email', 'teams', 'console']);
    expect(notifiers[0]).toBeInstanceOf(AcsEmailNotifier);
    expect(notifiers[1]).toBeInstanceOf(TeamsWebhookNotifier);
  });

  it('accepts the managed-identity form and nothing at all', () => {
    expect(
      createNotifiers({
        email: {
          endpoint: 'https://acs.example.communication.azure.com',
          credential: staticTestCredential(),
        },
        emailSender: 'DoNotReply@contoso.azurecomm.net',
        emailTo: ['oncall@contoso.com'],
      }).map((n) => n.channel),
    ).toEqual(['email']);
    expect(createNotifiers({})).toEqual([]);
  });

  it('names the missing setting', () => {
    const email = {
      connectionString: `endpoint=https://acs.example.communication.azure.com/;accesskey=${accessKey}`,
    };
    expect(() => createNotifiers({ email, emailTo: ['a@b.c'] })).toThrow(InputError);
    expect(() => createNotifiers({ email, emailTo: ['a@b.c'] })).toThrow(/^ALERT_EMAIL_SENDER/);
    expect(() => createNotifiers({ email, emailSender: 'a@b.c', emailTo: [] })).toThrow(
      /^ALERT_EMAIL_TO/,
    );
    expect(() =>
      createNotifiers({ teamsWebhookUrl: 'http://example.com/hook?sig=secret-sig' }),
    ).toThrow(/^ALERT_TEAMS_WEBHOOK_URL: the webhook URL for host example\.com must use https$/);
  });
});

describe('the Teams webhook fake refuses what Workflows refuses', () => {
  let fake: TeamsWebhookFake;
  beforeAll(async () => {
    fake = await startTeamsWebhookFake();
  });
  afterAll(() => fake.stop());

  function post(body: unknown): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(
        fake.url,
        {
          method: 'POST',
          agent: testCertificate().agent,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
  }

  const card = { type: 'AdaptiveCard', version: '1.4', body: [] };
  const attachment = { contentType: 'application/vnd.microsoft.card.adaptive', content: card };

  it.each([
    ['not JSON', '{'],
    ['not a message', { type: 'card', attachments: [attachment] }],
    ['two attachments', { type: 'message', attachments: [attachment, attachment] }],
    [
      'a legacy MessageCard',
      {
        type: 'message',
        attachments: [
          { contentType: 'application/vnd.microsoft.teams.card.o365connector', content: card },
        ],
      },
    ],
    [
      'no card body',
      {
        type: 'message',
        attachments: [{ ...attachment, content: { type: 'AdaptiveCard', version: '1.4' } }],
      },
    ],
  ])('400 for %s', async (_label, body) => {
    expect(await post(body)).toBe(400);
    expect(fake.received).toHaveLength(0);
  });

  it('202 for a well-formed message', async () => {
    expect(await post({ type: 'message', attachments: [attachment] })).toBe(202);
    expect(fake.received).toEqual([card]);
  });
});
