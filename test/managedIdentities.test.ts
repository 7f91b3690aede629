/**
 * Federated credentials of user-assigned managed identities, read with the real `@azure/arm-msi`
 * client from the local HTTPS fake of ARM: paging, bounded reads, the cache that keeps a second
 * run from re-reading unchanged identities, and failures that name the subscription.
 */
import { ManagedIdentityCredentialReader } from '../src/adapters/managedIdentities';
import { startArmFake, type ArmFake } from './fakes/arm';
import { staticTestCredential, STATIC_TEST_TOKEN } from './fakes/credential';
import { SteppedClock } from './helpers/clock';

const SUB_A = '11111111-1111-4111-8111-111111111111';
const SUB_B = '22222222-2222-4222-8222-222222222222';
const ISSUER = 'https://westeurope.oic.prod-aks.azure.com/tenant/cluster-a/';

let fake: ArmFake;
let clock: SteppedClock;

beforeAll(async () => {
  fake = await startArmFake({ expectedToken: STATIC_TEST_TOKEN });
});

afterAll(async () => {
  await fake.stop();
});

beforeEach(() => {
  fake.state.subscriptions.splice(0);
  fake.state.identities.splice(0);
  fake.state.federatedCredentials.splice(0);
  fake.options.pageSize = 2;
  fake.clearFaults();
  fake.requests.reset();
  fake.addSubscription(SUB_A, 'prod');
  fake.addSubscription(SUB_B, 'dev');
  clock = new SteppedClock(Date.parse('2026-11-26T02:00:00Z'));
});

function reader(ttlMs?: number): ManagedIdentityCredentialReader {
  return new ManagedIdentityCredentialReader({
    credential: staticTestCredential(),
    endpoint: fake.endpoint,
    clientOptions: {
      agent: fake.agent,
      retry: { maxRetries: 3, retryDelayInMs: 1, maxRetryDelayInMs: 5 },
    },
    concurrency: 3,
    ttlMs,
    clock,
  });
}

function identityWithCredentials(sub: string, name: string, subjects: string[]): string {
  const identity = fake.addIdentity({ subscriptionId: sub, resourceGroup: 'rg-identities', name });
  subjects.forEach((subject, i) =>
    fake.addFederatedCredential({
      identityId: identity.id,
      name: `fc-${i}`,
      issuer: ISSUER,
      subject,
    }),
  );
  return identity.id as string;
}

describe('ManagedIdentityCredentialReader', () => {
  it('reads every identity of each subscription and every page of its credentials', async () => {
    for (let i = 0; i < 5; i++)
      identityWithCredentials(SUB_A, `id-${i}`, [
        'system:serviceaccount:a:one',
        'system:serviceaccount:a:two',
        'system:serviceaccount:a:three',
      ]);
    identityWithCredentials(SUB_B, 'id-dev', ['system:serviceaccount:dev:api']);
    const read = await reader().read([SUB_A, SUB_B]);
    expect(read.failures).toEqual([]);
    expect(read.credentials).toHaveLength(16);
    const one = read.credentials.find((c) => c.identity.displayName === 'id-dev')!;
    expect(one).toEqual(
      expect.objectContaining({
        issuer: ISSUER,
        subject: 'system:serviceaccount:dev:api',
        identity: expect.objectContaining({
          kind: 'managedIdentity',
          principalId: fake.state.identities[5].properties.principalId,
          resourceId: fake.state.identities[5].id,
        }),
      }),
    );
    // O(identities): one paged listing per subscription, one paged listing per identity.
    expect(fake.requests.count('identities.listBySubscription', SUB_A)).toBe(3);
    expect(fake.requests.count('federatedCredentials.list')).toBe(5 * 2 + 1);
  });

  it('does not re-read unchanged identities on the next run; re-reads new, changed, invalidated and expired ones', async () => {
    const ids = [0, 1, 2, 3].map((i) =>
      identityWithCredentials(SUB_A, `id-${i}`, ['system:serviceaccount:a:x']),
    );
    const r = reader(24 * 3600 * 1000);
    expect((await r.read([SUB_A])).identitiesRead).toBe(4);

    fake.requests.reset();
    const second = await r.read([SUB_A]);
    expect(second.identitiesRead).toBe(0);
    expect(second.credentials).toHaveLength(4);
    expect(fake.requests.count('federatedCredentials.list')).toBe(0);
    expect(fake.requests.count('identities.listBySubscription')).toBe(2);

    // An event names a credential write on id-1; a new identity appears.
    fake.addFederatedCredential({
      identityId: ids[1],
      name: 'fc-new',
      issuer: ISSUER,
      subject: 'system:serviceaccount:a:new',
    });
    r.invalidate(ids[1]);
    identityWithCredentials(SUB_A, 'id-4', ['system:serviceaccount:a:y']);
    const third = await r.read([SUB_A]);
    expect(third.identitiesRead).toBe(2);
    expect(third.credentials.map((c) => c.subject)).toContain('system:serviceaccount:a:new');

    clock.advance(24 * 3600 * 1000);
    expect((await r.read([SUB_A])).identitiesRead).toBe(5);
  });

  it('retries a 429 with Retry-After and reports a subscription it cannot read as an identities failure', async () => {
    identityWithCredentials(SUB_A, 'id-a', ['system:serviceaccount:a:x']);
    identityWithCredentials(SUB_B, 'id-b', ['system:serviceaccount:b:x']);
    const throttled = fake.fault({ match: /federatedIdentityCredentials/i, status: 429, times: 1 });
    fake.fault({
      match: new RegExp(`/subscriptions/${SUB_B}/providers/Microsoft.ManagedIdentity`, 'i'),
      status: 403,
      code: 'AuthorizationFailed',
      message: 'no read on identities',
    });
    const read = await reader().read([SUB_A, SUB_B]);
    expect(throttled.hits).toBe(1);
    expect(read.credentials.map((c) => c.identity.displayName)).toEqual(['id-a']);
    expect(read.failures).toEqual([
      {
        subscriptionId: SUB_B,
        part: 'identities',
        message: expect.stringContaining('HTTP 403 AuthorizationFailed'),
      },
    ]);
  });

  it('reports an identity whose credentials cannot be listed and keeps the others', async () => {
    identityWithCredentials(SUB_A, 'id-ok', ['system:serviceaccount:a:x']);
    const broken = identityWithCredentials(SUB_A, 'id-broken', ['system:serviceaccount:a:y']);
    fake.fault({ match: /id-broken\/federatedIdentityCredentials/i, status: 500 });
    const read = await reader().read([SUB_A]);
    expect(read.credentials.map((c) => c.identity.displayName)).toEqual(['id-ok']);
    expect(read.failures).toEqual([
      { subscriptionId: SUB_A, part: 'identities', message: expect.stringContaining(broken) },
    ]);
  });
});
