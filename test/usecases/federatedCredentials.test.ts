/**
 * The live estate with federated credentials: ARM fake → liveEstateSource (real SDK clients) →
 * evaluation; app registrations through the ApplicationCredentials port.
 */
import { liveEstateSource } from '../../src/composition';
import { BUILTIN_ROLE_GUIDS } from '../../src/core/builtinRoles';
import { evaluateEstate } from '../../src/core/evaluate';
import type { FederatedCredential } from '../../src/core/federation';
import type { ApplicationCredentials } from '../../src/core/ports';
import { APPLICATIONS_NOT_READ } from '../../src/usecases/federatedCredentials';
import { startArmFake, type ArmFake } from '../fakes/arm';
import { staticTestCredential, STATIC_TEST_TOKEN } from '../fakes/credential';

const SUB = '11111111-1111-4111-8111-111111111111';
const SHARED = '22222222-2222-4222-8222-222222222222';
const NOW = new Date('2026-11-26T02:00:00Z');

let fake: ArmFake;
beforeAll(async () => {
  fake = await startArmFake({ expectedToken: STATIC_TEST_TOKEN });
  fake.addSubscription(SUB);
  fake.addSubscription(SHARED);
});
afterAll(() => fake.stop());

function source(applications?: ApplicationCredentials) {
  return liveEstateSource(
    { subscriptionIds: [SUB, SHARED], sourceMode: 'arm' },
    { credential: staticTestCredential(), armEndpoint: fake.endpoint, agent: fake.agent, applications },
  );
}

function wif(estate: Parameters<typeof evaluateEstate>[0], clusterName: string) {
  const posture = evaluateEstate(estate, { now: NOW }).find((p) => p.name === clusterName)!;
  return posture.findings.find((f) => f.checkId === 'workload-identity-federation')!;
}

describe('live workload identity federation', () => {
  it('finds a managed identity in another subscription that a service account can act as, and its Owner grant', async () => {
    const cluster = fake.addCluster({ subscriptionId: SUB, resourceGroup: 'rg-aks', name: 'aks-fed' });
    const issuer = cluster.properties.oidcIssuerProfile.issuerURL as string;
    const identity = fake.addIdentity({ subscriptionId: SHARED, resourceGroup: 'rg-id', name: 'id-batch' });
    fake.addFederatedCredential({ identityId: identity.id, name: 'batch', issuer, subject: 'system:serviceaccount:batch:worker' });
    fake.addRoleAssignment({ scope: `/subscriptions/${SHARED}`, principalId: identity.properties.principalId, principalType: 'ServicePrincipal', roleDefinitionId: BUILTIN_ROLE_GUIDS.owner });

    const estate = await source().readEstate();
    expect(estate.federatedCredentials?.map((c) => c.subject)).toEqual(['system:serviceaccount:batch:worker']);
    expect(estate.federatedCredentialsUnread).toEqual([APPLICATIONS_NOT_READ]);
    const finding = wif(estate, 'aks-fed');
    expect(finding.status).toBe('fail');
    expect(finding.detail).toContain('system:serviceaccount:batch:worker → managed identity id-batch');
    expect(finding.detail).toContain('Note: app registrations were not read (AUDIT_DIRECTORY=none)');
  });

  it('adds the app registrations that trust the clusters’ issuers, and is an error when Graph refuses', async () => {
    const asked: string[][] = [];
    const appCredential = (issuer: string): FederatedCredential => ({
      id: 'applications/app-1/federatedIdentityCredentials/fc',
      name: 'fc',
      issuer,
      subject: 'system:serviceaccount:web:frontend',
      identity: { kind: 'application', appId: 'a1a1a1a1-0000-4000-8000-000000000001', displayName: 'web-frontend', principalId: 'a2a2a2a2-0000-4000-8000-000000000001' },
    });
    const estate = await source({
      credentialsForIssuers: async (issuers) => {
        asked.push([...issuers]);
        return [appCredential(issuers[0]!)];
      },
    }).readEstate();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toEqual(estate.clusters.map((c) => c.oidcIssuerUrl));
    expect(estate.federatedCredentials?.some((c) => c.identity.kind === 'application')).toBe(true);
    expect(estate.federatedCredentialsUnread).toBeUndefined();

    const refused = await source({
      credentialsForIssuers: async () => {
        throw new Error('HTTP 403 Authorization_RequestDenied: the app needs Application.Read.All');
      },
    }).readEstate();
    expect(refused.failures).toEqual([expect.objectContaining({ subscriptionId: '*', part: 'identities', message: expect.stringContaining('Application.Read.All') })]);
    expect(wif(refused, 'aks-fed').status).toBe('fail');
    fake.state.federatedCredentials.splice(0);
    const withoutCredentials = await source({ credentialsForIssuers: async () => { throw new Error('HTTP 403'); } }).readEstate();
    expect(wif(withoutCredentials, 'aks-fed').status).toBe('error');
  });
});
