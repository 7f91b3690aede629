/**
 * `handleArmEvents` while Azure Resource Manager is failing: the real ArmEstateSource (real SDK
 * clients) against the HTTPS fake of ARM with injected faults, the real TableStore on Azurite and
 * the real `evaluateEstate`.
 *
 * An event whose data could not be read must not be acknowledged: the call fails with a
 * DependencyError (the Functions trigger fails, Event Grid redelivers with back-off) and the
 * event is not remembered as processed, so its redelivery is evaluated instead of being skipped
 * as a duplicate — otherwise a new Owner grant made during an outage pages nobody until the
 * nightly audit.
 */
import { SteppedClock } from '../helpers/clock';
import { readFileSync } from 'fs';
import { join } from 'path';
import { ArmEstateSource } from '../../src/adapters/armSource';
import { parseEventBatch } from '../../src/adapters/eventGridInput';
import { TableStore } from '../../src/adapters/tableStore';
import { BUILTIN_ROLE_GUIDS } from '../../src/core/builtinRoles';
import { DependencyError } from '../../src/core/errors';
import { evaluateEstate } from '../../src/core/evaluate';
import type { ArmEvent } from '../../src/core/events';
import { handleArmEvents, type HandleEventsDeps } from '../../src/usecases/handleEvents';
import { startArmFake, type ArmFake } from '../fakes/arm';
import { staticTestCredential } from '../fakes/credential';
import { startAzurite, uniqueTablePrefix, type TestAzurite } from '../helpers/azurite';

const FIXTURES = join(__dirname, '..', 'fixtures', 'events');
/** The subscription, resource group, cluster and assignment the fixture events name. */
const SUB = '11111111-1111-4111-8111-111111111111';
const CLUSTER = `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod`;
const RA_NAME = '7f2a4c1e-3b5d-4e6f-8a9b-0c1d2e3f4a5b';
/** A second watched subscription whose reads keep working during the outage. */
const OTHER_SUB = '22222222-2222-4222-8222-222222222222';
const OTHER_CLUSTER = `/subscriptions/${OTHER_SUB}/resourceGroups/rg-other/providers/Microsoft.ContainerService/managedClusters/aks-other`;
const BOB = 'b0b00000-0000-4000-8000-000000000002';
const PIPELINE = '0d0d0d0d-0000-4000-8000-0000000000d1';

function fixtureEvent(name: string): Record<string, unknown> {
  return (JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>[])[0];
}

/** A cluster write for `clusterId`, as Event Grid sends it, under its own event id. */
function clusterWrite(id: string, clusterId: string): Record<string, unknown> {
  const write = fixtureEvent('eventgrid-cluster-write.json');
  const subscriptionId = clusterId.split('/')[2];
  return {
    ...write,
    id,
    subject: clusterId,
    topic: `/subscriptions/${subscriptionId}`,
    data: { ...(write.data as object), subscriptionId, resourceUri: clusterId },
  };
}

async function eventsFrom(...raw: unknown[]): Promise<ArmEvent[]> {
  const batch = await parseEventBatch(raw);
  expect(batch.rejected).toEqual([]);
  return batch.events;
}

/** Only the role-assignment listing of SUB: clusters and the other subscription still read fine. */
const ROLE_ASSIGNMENT_LISTING_OF_SUB = new RegExp(
  `^GET /subscriptions/${SUB}/providers/Microsoft\\.Authorization/roleAssignments(\\?|$)`,
  'i',
);

let azurite: TestAzurite;
let arm: ArmFake;
beforeAll(async () => {
  [azurite, arm] = await Promise.all([startAzurite(), startArmFake()]);
});
afterAll(async () => {
  await Promise.all([azurite?.stop(), arm?.stop()]);
});

interface World {
  store: TableStore;
  clock: SteppedClock;
  deps: HandleEventsDeps;
  logs: string[];
}

async function world(): Promise<World> {
  arm.clearFaults();
  arm.state.subscriptions.splice(0);
  arm.state.clusters.splice(0);
  arm.state.roleAssignments.splice(0);
  arm.addSubscription(SUB, 'production');
  arm.addSubscription(OTHER_SUB, 'other');
  // Local accounts enabled: a new Owner can fetch the static admin kubeconfig (critical).
  arm.addCluster({
    subscriptionId: SUB,
    resourceGroup: 'rg-prod',
    name: 'aks-prod',
    properties: { disableLocalAccounts: false },
  });
  arm.addCluster({ subscriptionId: OTHER_SUB, resourceGroup: 'rg-other', name: 'aks-other' });
  // A deployment pipeline that can already fetch it: the check fails from the baseline on, so
  // the new grant's only page is its privilege-gained alert.
  arm.addRoleAssignment({
    scope: `/subscriptions/${SUB}/resourceGroups/rg-prod`,
    principalId: PIPELINE,
    principalType: 'ServicePrincipal',
    roleDefinitionId: BUILTIN_ROLE_GUIDS.contributor,
  });

  const clock = new SteppedClock(Date.parse('2026-11-22T10:16:00.000Z'));
  const store = await TableStore.create({
    connectionString: azurite.connectionString,
    allowInsecureConnection: true,
    tablePrefix: uniqueTablePrefix('outage'),
    clock,
  });
  const source = new ArmEstateSource({
    credential: staticTestCredential(),
    subscriptionIds: [SUB, OTHER_SUB],
    endpoint: arm.endpoint,
    // Retried like in Azure, without the waits: the fault is permanent, retries cannot help.
    clientOptions: {
      agent: arm.agent,
      retry: { maxRetries: 2, retryDelayInMs: 1, maxRetryDelayInMs: 2 },
    },
  });
  const logs: string[] = [];
  const deps: HandleEventsDeps = {
    source,
    store,
    evaluate: evaluateEstate,
    clock,
    log: (line) => logs.push(line),
    minAlertSeverity: 'high',
  };

  // The baseline of both clusters pages nobody.
  const baseline = await handleArmEvents(
    await eventsFrom(
      clusterWrite('baseline-prod', CLUSTER),
      clusterWrite('baseline-other', OTHER_CLUSTER),
    ),
    deps,
  );
  expect(baseline.map((r) => r.outcome)).toEqual(['evaluated', 'evaluated']);
  expect(await store.listAlerts({})).toEqual([]);
  clock.advance(60_000);
  return { store, clock, deps, logs };
}

function grantOwnerToBob(): void {
  arm.addRoleAssignment({
    scope: `/subscriptions/${SUB}/resourceGroups/rg-prod`,
    principalId: BOB,
    roleDefinitionId: BUILTIN_ROLE_GUIDS.owner,
    name: RA_NAME,
  });
}

describe('an ARM outage while an event is handled', () => {
  it('a role-assignment write whose assignments cannot be listed is refused, and its redelivery after recovery pages the grant once', async () => {
    const w = await world();
    grantOwnerToBob();
    const outage = arm.fault({ match: ROLE_ASSIGNMENT_LISTING_OF_SUB, status: 503 });
    const grant = await eventsFrom(fixtureEvent('eventgrid-role-assignment-write.json'));

    await expect(handleArmEvents(grant, w.deps)).rejects.toBeInstanceOf(DependencyError);
    expect(outage.hits).toBeGreaterThan(0);
    expect(w.logs.some((l) => l.includes(grant[0].id) && /redeliver/i.test(l))).toBe(true);

    // ARM recovers; Event Grid redelivers the SAME event.
    outage.remove();
    w.clock.advance(60_000);
    const [result] = await handleArmEvents(grant, w.deps);
    expect(result.outcome).toBe('evaluated');
    expect(result.clusters).toEqual([CLUSTER]);
    expect(result.regressions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'privilege-gained', principalId: BOB, clusterId: CLUSTER }),
      ]),
    );
    expect(result.signals).toEqual([
      expect.objectContaining({
        signal: 'privileged-role-granted',
        clusterId: CLUSTER,
        eventId: grant[0].id,
      }),
    ]);

    const alerts = await w.store.listAlerts({});
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      state: 'pending',
      alert: { kind: 'privilege-gained', principal: expect.objectContaining({ principalId: BOB }) },
    });

    // Once evaluated it is remembered: a third delivery is the duplicate.
    const [third] = await handleArmEvents(grant, w.deps);
    expect(third.outcome).toBe('duplicate');
    expect(await w.store.listAlerts({})).toHaveLength(1);
  });

  it('a batch during the outage: the admin-credential page is written once, the event that was read stays processed, the unread ones are redelivered', async () => {
    const w = await world();
    grantOwnerToBob();
    const outage = arm.fault({ match: ROLE_ASSIGNMENT_LISTING_OF_SUB, status: 503 });
    const batch = await eventsFrom(
      fixtureEvent('eventgrid-admin-credential.json'),
      fixtureEvent('eventgrid-role-assignment-write.json'),
      clusterWrite('other-write', OTHER_CLUSTER),
    );

    await expect(handleArmEvents(batch, w.deps)).rejects.toThrow(DependencyError);
    // The page about the fetch is in the outbox before the failure is reported.
    const adminPages = async () =>
      (await w.store.listAlerts({})).filter((a) => a.alert.kind === 'admin-credential-retrieved');
    expect(await adminPages()).toHaveLength(1);

    outage.remove();
    w.clock.advance(60_000);
    const results = await handleArmEvents(batch, w.deps);
    expect(results.map((r) => [r.id, r.outcome])).toEqual([
      [batch[0].id, 'evaluated'],
      [batch[1].id, 'evaluated'],
      // Read and recorded the first time: the redelivery of it is a duplicate.
      ['other-write', 'duplicate'],
    ]);
    expect(results[1].regressions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'privilege-gained', principalId: BOB }),
      ]),
    );
    // The fetch's dedupe key carries its event id: its redelivery does not page a second time.
    expect(await adminPages()).toHaveLength(1);
  });
});
