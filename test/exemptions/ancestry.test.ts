/**
 * Management-group exemptions against the live subscription ancestry: ArmEstateSource (real SDK
 * clients) reads `resourcecontainers` from the HTTPS fake of ARM's Resource Graph endpoint,
 * paged, once per read; an exemption scoped to a management group then covers only the
 * clusters whose subscription lies under it. Without ancestry (the query failed, or a snapshot)
 * it covers every cluster and is marked as not verified.
 */
import { ArmEstateSource, type ArmSourceMode } from '../../src/adapters/armSource';
import { exemptionNote } from '../../src/cli/formats/common';
import { orderedCluster } from '../../src/cli/formats/json';
import { evaluateEstate } from '../../src/core/evaluate';
import type { Exemption } from '../../src/core/exemptions';
import type { ClusterPosture, Estate } from '../../src/core/model';
import { startArmFake, resetArmFake, type ArmFake } from '../fakes/arm';
import { staticTestCredential, STATIC_TEST_TOKEN } from '../fakes/credential';

const SUB_A = '11111111-1111-4111-8111-111111111111';
const SUB_B = '22222222-2222-4222-8222-222222222222';
const SUB_C = '33333333-3333-4333-8333-333333333333';
const NOW = new Date('2026-11-26T12:00:00.000Z');
const PLATFORM = '/providers/Microsoft.Management/managementGroups/Platform';

let fake: ArmFake;
beforeAll(async () => {
  fake = await startArmFake({ expectedToken: STATIC_TEST_TOKEN });
});
afterAll(() => fake.stop());

beforeEach(() => {
  resetArmFake(fake);
  for (const sub of [SUB_A, SUB_B, SUB_C]) {
    fake.addSubscription(sub);
    // Local accounts on: `local-accounts-disabled` fails on every cluster.
    fake.addCluster({
      subscriptionId: sub,
      resourceGroup: 'rg-aks',
      name: 'aks',
      properties: { disableLocalAccounts: false },
    });
  }
  // Platform holds A and C (through a child group, as ARM reports the whole chain).
  fake.state.managementGroups.platform = [SUB_A, SUB_C];
  fake.state.managementGroups['platform-prod'] = [SUB_C];
});

function read(mode: ArmSourceMode = 'arm'): Promise<Estate> {
  return new ArmEstateSource({
    credential: staticTestCredential(),
    subscriptionIds: [SUB_A, SUB_B, SUB_C],
    endpoint: fake.endpoint,
    mode,
    clientOptions: { agent: fake.agent, retry: { maxRetries: 0 } },
  }).readEstate();
}

const exemption: Exemption = {
  id: 'platform-local-accounts',
  checkId: 'local-accounts-disabled',
  scope: PLATFORM,
  reason: 'Break-glass kubeconfig kept for the platform clusters, reviewed monthly',
  owner: 'platform-team@contoso.example',
  expiresOn: '2027-01-31T00:00:00Z',
};

function localAccounts(postures: ClusterPosture[], sub: string) {
  const posture = postures.find((p) => p.id.toLowerCase().includes(sub))!;
  return posture.findings.find((f) => f.checkId === 'local-accounts-disabled')!;
}

describe('management-group ancestry read live', () => {
  it.each<ArmSourceMode>(['arm', 'resourceGraph'])(
    '%s mode: one paged resourcecontainers query per read; the exemption covers only the subscriptions under the group',
    async (mode) => {
      fake.options.resourceGraphPageSize = 1;
      const estate = await read(mode);
      expect(estate.failures).toEqual([]);
      // Three subscriptions at one row a page: three requests of the one query, nothing more.
      expect(fake.requests.count('resourceGraph.subscriptions')).toBe(3);
      const ancestryBodies = fake.requests.log
        .filter((r) => r.route === 'resourceGraph.subscriptions')
        .map((r) => r.body as { subscriptions: string[] });
      expect(ancestryBodies[0].subscriptions.sort()).toEqual([SUB_A, SUB_B, SUB_C]);
      expect(estate.managementGroupAncestry).toEqual({
        [SUB_A]: ['platform', '00000000-0000-4000-8000-00000000aaaa'],
        [SUB_B]: ['00000000-0000-4000-8000-00000000aaaa'],
        [SUB_C]: ['platform', 'platform-prod', '00000000-0000-4000-8000-00000000aaaa'],
      });

      const postures = evaluateEstate(estate, { now: NOW, exemptions: [exemption] });
      for (const sub of [SUB_A, SUB_C]) {
        const finding = localAccounts(postures, sub);
        expect(finding.status).toBe('fail');
        expect(finding.exempted).toBe(true);
        expect(finding.exemptions).toEqual([
          expect.not.objectContaining({ managementGroupUnverified: true }),
        ]);
      }
      const outside = localAccounts(postures, SUB_B);
      expect(outside.exempted).toBeFalsy();
      expect(outside.exemptions).toBeUndefined();
    },
  );

  it('a failed ancestry query is a failure of the read; the exemption then covers every cluster, marked as not verified', async () => {
    fake.fault({ match: /ResourceGraph/i, status: 403 });
    const estate = await read('arm');
    expect(estate.managementGroupAncestry).toBeUndefined();
    expect(estate.failures).toEqual([
      {
        subscriptionId: '*',
        part: 'managementGroupAncestry',
        message: expect.stringMatching(
          /^the management groups above the subscriptions could not be read \(Resource Graph: .*403.*\); management-group exemptions apply to every cluster and are marked as not verified$/,
        ),
      },
    ]);
    // The clusters and grants themselves were read (arm mode does not need Resource Graph).
    expect(estate.clusters).toHaveLength(3);
    const postures = evaluateEstate(estate, { now: NOW, exemptions: [exemption] });
    for (const sub of [SUB_A, SUB_B, SUB_C]) {
      const finding = localAccounts(postures, sub);
      expect(finding.exempted).toBe(true);
      expect(finding.exemptions).toEqual([
        expect.objectContaining({ id: exemption.id, managementGroupUnverified: true }),
      ]);
    }
    // Every listing says so: the formats' note and the JSON report.
    const finding = localAccounts(postures, SUB_B);
    expect(exemptionNote(finding)).toMatch(
      /^Exempted by platform-local-accounts \(platform-team@contoso\.example, until 2027-01-31; management group not verified: the subscription's management groups are unknown, so it is applied to every cluster\): /,
    );
    const json = orderedCluster(postures.find((p) => p.id.toLowerCase().includes(SUB_B))!);
    expect(JSON.stringify(json)).toContain('"managementGroupUnverified":true');
  });
});
