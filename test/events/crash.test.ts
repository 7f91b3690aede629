/**
 * A process killed mid-event (docs/architecture.md "Persistence and alerting"): an event counts
 * as processed only once what it produced — posture, history, alert rows, signals — is stored,
 * so Event Grid's redelivery after a crash still produces the page, and only once.
 *
 * The real TableStore on Azurite, the real ArmEstateSource against the HTTPS fake of ARM and the
 * real evaluation. The crash is a store that dies at one step: every write before it landed, the
 * step itself (before or after its write) and everything after it never happen.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { ArmEstateSource } from '../../src/adapters/armSource';
import { parseEventBatch } from '../../src/adapters/eventGridInput';
import { TableStore } from '../../src/adapters/tableStore';
import { BUILTIN_ROLE_GUIDS } from '../../src/core/builtinRoles';
import { evaluateEstate } from '../../src/core/evaluate';
import type { ArmEvent } from '../../src/core/events';
import type { PostureStore } from '../../src/core/ports';
import { handleArmEvents, type HandleEventsDeps } from '../../src/usecases/handleEvents';
import { startArmFake, type ArmFake } from '../fakes/arm';
import { staticTestCredential } from '../fakes/credential';
import { startAzurite, uniqueTablePrefix, type TestAzurite } from '../helpers/azurite';
import { SteppedClock } from '../helpers/clock';

const FIXTURES = join(__dirname, '..', 'fixtures', 'events');
const SUB = '11111111-1111-4111-8111-111111111111';
const CLUSTER = `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod`;
const RA_NAME = '7f2a4c1e-3b5d-4e6f-8a9b-0c1d2e3f4a5b';
const BOB = 'b0b00000-0000-4000-8000-000000000002';

function fixtureEvent(name: string): Record<string, unknown> {
  return (JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>[])[0];
}

async function eventsFrom(...raw: unknown[]): Promise<ArmEvent[]> {
  const batch = await parseEventBatch(raw);
  expect(batch.rejected).toEqual([]);
  return batch.events;
}

class ProcessKilled extends Error {}

type Step = 'recordEvaluation' | 'enqueueAlerts' | 'markEventProcessed';

/** The store of a process that is killed at `step` (before or after its write lands); nothing after it happens. */
function dyingStore(store: PostureStore, step: Step, when: 'before' | 'after'): PostureStore {
  let dead = false;
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (dead) throw new ProcessKilled('the process is gone');
        if (property === step && when === 'before') {
          dead = true;
          throw new ProcessKilled(`killed before ${step}`);
        }
        const result = await value.apply(target, args);
        if (property === step) {
          dead = true;
          throw new ProcessKilled(`killed after ${step}`);
        }
        return result;
      };
    },
  });
}

let azurite: TestAzurite;
let arm: ArmFake;
beforeAll(async () => {
  [azurite, arm] = await Promise.all([startAzurite(), startArmFake()]);
});
afterAll(async () => {
  await Promise.all([azurite?.stop(), arm?.stop()]);
});

async function world() {
  arm.clearFaults();
  arm.state.subscriptions.splice(0);
  arm.state.clusters.splice(0);
  arm.state.roleAssignments.splice(0);
  arm.addSubscription(SUB, 'production');
  arm.addCluster({
    subscriptionId: SUB,
    resourceGroup: 'rg-prod',
    name: 'aks-prod',
    properties: { disableLocalAccounts: false },
  });
  const clock = new SteppedClock(Date.parse('2026-11-22T10:16:00.000Z'));
  const store = await TableStore.create({
    connectionString: azurite.connectionString,
    allowInsecureConnection: true,
    tablePrefix: uniqueTablePrefix('crash'),
    clock,
  });
  const source = new ArmEstateSource({
    credential: staticTestCredential(),
    subscriptionIds: [SUB],
    endpoint: arm.endpoint,
    clientOptions: { agent: arm.agent, retry: { maxRetries: 0 } },
  });
  const deps = (over: PostureStore = store): HandleEventsDeps => ({
    source,
    store: over,
    evaluate: evaluateEstate,
    clock,
    log: () => undefined,
    minAlertSeverity: 'high',
  });
  const write = fixtureEvent('eventgrid-cluster-write.json');
  await handleArmEvents(
    await eventsFrom({
      ...write,
      id: 'baseline',
      subject: CLUSTER,
      data: { ...(write.data as object), resourceUri: CLUSTER },
    }),
    deps(),
  );
  clock.advance(60_000);
  return { store, clock, deps };
}

function grantOwnerToBob(): void {
  arm.addRoleAssignment({
    scope: `/subscriptions/${SUB}/resourceGroups/rg-prod`,
    principalId: BOB,
    roleDefinitionId: BUILTIN_ROLE_GUIDS.owner,
    name: RA_NAME,
  });
}

describe('a process killed while handling an event', () => {
  it('killed before the admin-credential page is written: the redelivery writes it, once', async () => {
    const w = await world();
    const fetch = await eventsFrom(fixtureEvent('eventgrid-admin-credential.json'));
    await expect(
      handleArmEvents(fetch, w.deps(dyingStore(w.store, 'enqueueAlerts', 'before'))),
    ).rejects.toBeInstanceOf(ProcessKilled);
    expect(await w.store.listAlerts({})).toEqual([]);

    const [redelivered] = await handleArmEvents(fetch, w.deps());
    expect(redelivered.outcome).toBe('evaluated');
    const pages = (await w.store.listAlerts({})).filter(
      (a) => a.alert.kind === 'admin-credential-retrieved',
    );
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({
      state: 'pending',
      alert: { severity: 'critical', clusterId: CLUSTER },
    });
    // Now it is processed: a further redelivery is a duplicate.
    expect((await handleArmEvents(fetch, w.deps()))[0].outcome).toBe('duplicate');
  });

  it('killed after the page is written but before the event is marked: the redelivery does not page again', async () => {
    const w = await world();
    const fetch = await eventsFrom(fixtureEvent('eventgrid-admin-credential.json'));
    await expect(
      handleArmEvents(fetch, w.deps(dyingStore(w.store, 'enqueueAlerts', 'after'))),
    ).rejects.toBeInstanceOf(ProcessKilled);
    expect(await w.store.listAlerts({})).toHaveLength(1);
    const [redelivered] = await handleArmEvents(fetch, w.deps());
    expect(redelivered.outcome).toBe('evaluated');
    expect(await w.store.listAlerts({})).toHaveLength(1);
  });

  it('killed before the grant is recorded: the redelivery pages the new Owner once, naming who granted it', async () => {
    const w = await world();
    grantOwnerToBob();
    const grant = await eventsFrom(fixtureEvent('eventgrid-role-assignment-write.json'));
    await expect(
      handleArmEvents(grant, w.deps(dyingStore(w.store, 'recordEvaluation', 'before'))),
    ).rejects.toThrow(/killed before recordEvaluation/);
    expect(await w.store.listAlerts({})).toEqual([]);

    const [redelivered] = await handleArmEvents(grant, w.deps());
    expect(redelivered.outcome).toBe('evaluated');
    const pages = (await w.store.listAlerts({})).filter(
      (a) => a.alert.principal?.principalId === BOB,
    );
    expect(pages).toHaveLength(1);
    expect(pages[0].alert.caller).toMatchObject({ name: 'alice@contoso.example' });
  });

  it('killed right after the grant is recorded: its alert already names who granted it, and the redelivery adds no second one', async () => {
    const w = await world();
    grantOwnerToBob();
    const grant = await eventsFrom(fixtureEvent('eventgrid-role-assignment-write.json'));
    await expect(
      handleArmEvents(grant, w.deps(dyingStore(w.store, 'recordEvaluation', 'after'))),
    ).rejects.toThrow(/killed after recordEvaluation/);
    const written = (await w.store.listAlerts({})).filter(
      (a) => a.alert.principal?.principalId === BOB,
    );
    expect(written).toHaveLength(1);
    expect(written[0].alert.caller).toMatchObject({
      name: 'alice@contoso.example',
      ipAddress: '203.0.113.24',
    });

    const [redelivered] = await handleArmEvents(grant, w.deps());
    expect(redelivered.outcome).toBe('evaluated');
    expect(
      (await w.store.listAlerts({})).filter((a) => a.alert.principal?.principalId === BOB),
    ).toHaveLength(1);
    const history = await w.store.getHistory(CLUSTER, {});
    expect(
      history.items.filter((h) => h.regressions.some((r) => r.principalId === BOB)),
    ).toHaveLength(1);
  });

  it('the event is marked processed only after its products are stored, and a failed mark is not a failed event', async () => {
    const w = await world();
    grantOwnerToBob();
    const grant = await eventsFrom(fixtureEvent('eventgrid-role-assignment-write.json'));
    const [result] = await handleArmEvents(
      grant,
      w.deps(dyingStore(w.store, 'markEventProcessed', 'before')),
    );
    expect(result.outcome).toBe('evaluated');
    expect(await w.store.isEventProcessed(grant[0].id, w.clock.now())).toBe(false);
    const [again] = await handleArmEvents(grant, w.deps());
    expect(again.outcome).toBe('evaluated');
    expect(
      (await w.store.listAlerts({})).filter((a) => a.alert.principal?.principalId === BOB),
    ).toHaveLength(1);
    expect(await w.store.isEventProcessed(grant[0].id, w.clock.now())).toBe(true);
  });
});
