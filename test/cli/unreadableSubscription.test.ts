/**
 * A documented promise (docs/contracts.md, docs/storage.md): when a later run cannot list a
 * subscription's clusters, the clusters the store already knows there turn `error` — never a
 * stale `pass` — and nothing pages or clears. End to end: the real CLI with `--store`, the real
 * ArmEstateSource against the HTTPS fake of ARM, the real TableStore on Azurite.
 */
import { ArmEstateSource } from '../../src/adapters/armSource';
import { TableStore } from '../../src/adapters/tableStore';
import { BUILTIN_ROLE_GUIDS } from '../../src/core/builtinRoles';
import { useArmFake } from '../fakes/arm';
import { staticTestCredential, STATIC_TEST_TOKEN } from '../fakes/credential';
import { startAzurite, uniqueTablePrefix, type TestAzurite } from '../helpers/azurite';
import { recordingSources, run } from './harness';

const SUB_A = '11111111-1111-4111-8111-111111111111';
const SUB_B = '22222222-2222-4222-8222-222222222222';

const arm = useArmFake(
  (fake) => {
    fake.addSubscription(SUB_A, 'prod');
    fake.addSubscription(SUB_B, 'dev');
    fake.addCluster({ subscriptionId: SUB_A, resourceGroup: 'rg-a', name: 'aks-a' });
    fake.addCluster({ subscriptionId: SUB_B, resourceGroup: 'rg-b', name: 'aks-b' });
    for (const sub of [SUB_A, SUB_B]) {
      fake.addRoleAssignment({
        scope: `/subscriptions/${sub}`,
        roleDefinitionId: BUILTIN_ROLE_GUIDS.reader,
        principalId: '33333333-3333-4333-8333-333333333333',
        principalType: 'Group',
      });
    }
  },
  { expectedToken: STATIC_TEST_TOKEN },
);

let azurite: TestAzurite;
beforeAll(async () => {
  azurite = await startAzurite();
}, 60_000);
afterAll(async () => {
  await azurite?.stop();
});

interface ReportCluster {
  name: string;
  status: string;
  findings: { checkId: string; status: string; detail?: string }[];
  regressions?: unknown[];
}

it('a subscription that cannot be listed turns its stored clusters error, not a stale pass, and pages nobody', async () => {
  const store = await TableStore.create({
    connectionString: azurite.connectionString,
    allowInsecureConnection: true,
    tablePrefix: uniqueTablePrefix('unr'),
  });
  const sources = {
    ...recordingSources(),
    azure: ({ subscriptionIds }: { subscriptionIds: string[] }) =>
      new ArmEstateSource({
        credential: staticTestCredential(),
        subscriptionIds,
        endpoint: arm().endpoint,
        clientOptions: { agent: arm().agent, retry: { maxRetries: 0 } },
      }),
  };
  const audit = async () => {
    const result = await run(
      ['audit', '--subscription', `${SUB_A},${SUB_B}`, '--format', 'json', '--store'],
      {
        auditDeps: {
          sources,
          openPersistence: async () => ({ store, close: async () => undefined }),
        },
      },
    );
    return { ...result, report: JSON.parse(result.stdout.text) as { clusters: ReportCluster[] } };
  };

  const first = await audit();
  expect(first.code).toBe(0);
  const before = first.report.clusters.find((c) => c.name === 'aks-b') as ReportCluster;
  const passedBefore = before.findings.filter((f) => f.status === 'pass').map((f) => f.checkId);
  expect(passedBefore.length).toBeGreaterThan(5);

  arm().failSubscription(SUB_B, 500);
  const second = await audit();
  const after = second.report.clusters.find((c) => c.name === 'aks-b');
  expect(after).toBeDefined();
  expect(after?.status).toBe('error');
  // Every check that passed before is now `error`, none kept as a stale pass.
  expect(after?.findings.filter((f) => f.status === 'pass')).toEqual([]);
  for (const checkId of passedBefore)
    expect(after?.findings.find((f) => f.checkId === checkId)?.status).toBe('error');
  expect(
    after?.findings.some((f) => f.status === 'error' && /could not be read/.test(f.detail ?? '')),
  ).toBe(true);
  expect(after?.regressions ?? []).toEqual([]);
  const stored = await store.getPosture(
    `/subscriptions/${SUB_B}/resourceGroups/rg-b/providers/Microsoft.ContainerService/managedClusters/aks-b`,
  );
  expect(stored?.status).toBe('error');
  // The readable subscription is evaluated as usual.
  const readable = second.report.clusters.find((c) => c.name === 'aks-a') as ReportCluster;
  expect(readable.findings.filter((f) => f.status === 'pass').length).toBeGreaterThan(5);
  expect(await store.listAlerts({})).toEqual([]);
});
