/**
 * The real-time signals of docs/events.md end to end: ARM events through `handleArmEvents`, the
 * real snapshot source (a temporary folder), the real evaluation and the Table Storage store on
 * Azurite, down to the outbox row that pages someone.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseEventBatch } from '../../src/adapters/eventGridInput';
import { SnapshotSource } from '../../src/adapters/snapshotSource';
import { TableStore } from '../../src/adapters/tableStore';
import { evaluateEstate } from '../../src/core/evaluate';
import type { ArmEvent } from '../../src/core/events';
import type { Severity } from '../../src/core/model';
import { handleArmEvents, type HandleEventsDeps } from '../../src/usecases/handleEvents';
import { startAzurite, uniqueTablePrefix, type TestAzurite } from '../helpers/azurite';
import { SteppedClock } from '../helpers/clock';

const SUB = '11111111-1111-4111-8111-111111111111';
const ENTRA = `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod`;
const PLAIN = `/subscriptions/${SUB}/resourceGroups/rg-dev/providers/Microsoft.ContainerService/managedClusters/aks-dev`;
const NODES_ENTRA = 'MC_rg-prod_aks-prod_westeurope';
const NODES_PLAIN = 'MC_rg-dev_aks-dev_westeurope';
const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c';
const BOB = 'b0b00000-0000-4000-8000-000000000002';
const READER_EVERYONE = {
  id: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments/reader-everyone`,
  scope: `/subscriptions/${SUB}`,
  principalId: 'e0e0e0e0-0000-4000-8000-00000000000e',
  principalType: 'User',
  roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`,
  roleDefinitionName: 'Reader',
};
const FIXTURE = join(__dirname, '..', 'fixtures', 'events', 'eventgrid-admin-credential.json');

function cluster(id: string, nodeResourceGroup: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    name: id.split('/').pop(),
    resourceGroup: id.split('/')[4],
    location: 'westeurope',
    nodeResourceGroup,
    aadProfile: {
      managed: true,
      enableAzureRbac: true,
      adminGroupObjectIds: ['a0a0a0a0-0000-4000-8000-000000000001'],
    },
    disableLocalAccounts: true,
    enableRbac: true,
    identity: { type: 'SystemAssigned', principalId: 'c0c0c0c0-0000-4000-8000-000000000001' },
    identityProfile: {
      kubeletidentity: {
        objectId: 'b1b1b1b1-0000-4000-8000-000000000001',
        clientId: 'b2b2b2b2-0000-4000-8000-000000000001',
      },
    },
    ...overrides,
  };
}

const CLUSTERS = [
  cluster(ENTRA, NODES_ENTRA),
  // No aadProfile: the user kubeconfig carries a static credential; local accounts are on.
  cluster(PLAIN, NODES_PLAIN, { aadProfile: null, disableLocalAccounts: false }),
];

/** An ARM event as Event Grid delivers it, from the recorded admin-credential fetch. */
function armEvent(
  id: string,
  subject: string,
  operationName: string,
  eventType = 'Microsoft.Resources.ResourceActionSuccess',
): Record<string, unknown> {
  const [raw] = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Array<Record<string, unknown>>;
  const data = raw.data as Record<string, unknown>;
  return {
    ...raw,
    id,
    subject,
    eventType,
    data: {
      ...data,
      operationName,
      resourceUri: subject,
      authorization: { ...(data.authorization as object), scope: subject, action: operationName },
    },
  };
}

async function events(...raw: unknown[]): Promise<ArmEvent[]> {
  const batch = await parseEventBatch(raw);
  expect(batch.rejected).toEqual([]);
  return batch.events;
}

const RUN_COMMAND = 'Microsoft.ContainerService/managedClusters/runCommand/action';
const USER_CREDENTIAL =
  'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action';
const NODE_RUN = 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommand/action';
const NODE_EXTENSION = 'Microsoft.Compute/virtualMachineScaleSets/extensions/write';
const vmss = (rg: string) =>
  `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-12345678-vmss`;

let azurite: TestAzurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function world(options: { minAlertSeverity?: Severity } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'aia-signals-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'clusters.json'), JSON.stringify(CLUSTERS));
  writeFileSync(join(dir, 'role-assignments.json'), JSON.stringify([READER_EVERYONE]));
  const clock = new SteppedClock(Date.parse('2026-11-22T10:16:00.000Z'));
  const store = await TableStore.create({
    connectionString: azurite.connectionString,
    allowInsecureConnection: true,
    tablePrefix: uniqueTablePrefix('sig'),
    clock,
  });
  const evaluated: string[][] = [];
  const deps: HandleEventsDeps = {
    source: new SnapshotSource(dir),
    store,
    evaluate: (estate, opts) => {
      const postures = evaluateEstate(estate, opts);
      evaluated.push(postures.map((p) => p.id));
      return postures;
    },
    clock,
    minAlertSeverity: options.minAlertSeverity ?? 'high',
    linkBase: 'http://localhost:7071',
  };
  return { dir, store, deps, clock, evaluated };
}

type World = Awaited<ReturnType<typeof world>>;

/** Both clusters written once: their postures (and routing facts) are stored; nobody is paged. */
async function baseline(w: World): Promise<void> {
  const write = 'Microsoft.ContainerService/managedClusters/write';
  const results = await handleArmEvents(
    await events(
      armEvent('baseline-1', ENTRA, write, 'Microsoft.Resources.ResourceWriteSuccess'),
      armEvent('baseline-2', PLAIN, write, 'Microsoft.Resources.ResourceWriteSuccess'),
    ),
    w.deps,
  );
  expect(results.map((r) => r.outcome)).toEqual(['evaluated', 'evaluated']);
  w.evaluated.length = 0;
  w.clock.advance(60_000);
}

async function pages(w: World, kind: string) {
  return (await w.store.listAlerts({})).filter((a) => a.alert.kind === kind).map((a) => a.alert);
}

describe('stored routing facts', () => {
  it('the store lists each known cluster with its Entra integration and node resource group', async () => {
    const w = await world();
    await baseline(w);
    const facts = await w.store.knownClusters();
    expect(facts).toHaveLength(2);
    expect(facts).toEqual(
      expect.arrayContaining([
        { id: ENTRA, entraIntegration: 'managed', nodeResourceGroup: NODES_ENTRA },
        { id: PLAIN, entraIntegration: 'none', nodeResourceGroup: NODES_PLAIN },
      ]),
    );
  });
});

describe('postures stored before the routing facts were kept', () => {
  it('list no facts, and a user-credential fetch is decided by reading the cluster now', async () => {
    const w = await world();
    // What a store written by the previous version holds: postures without the two fields.
    for (const id of [ENTRA, PLAIN]) {
      const [posture] = evaluateEstate(await w.deps.source.readEstate(), {
        now: w.clock.now(),
        clusterIds: [id],
      });
      delete posture.entraIntegration;
      delete posture.nodeResourceGroup;
      await w.store.recordEvaluation(posture);
    }
    expect(await w.store.knownClusters()).toEqual(
      expect.arrayContaining([{ id: ENTRA }, { id: PLAIN }]),
    );
    const [entra, plain] = await handleArmEvents(
      await events(
        armEvent('old-entra', ENTRA, USER_CREDENTIAL),
        armEvent('old-plain', PLAIN, USER_CREDENTIAL),
      ),
      w.deps,
    );
    expect(entra).toMatchObject({ outcome: 'ignored', signals: [] });
    expect(plain.signals.map((s) => s.signal)).toEqual(['admin-credential-retrieved']);
    // The evaluation recorded the facts: the next fetch is decided without reading the cluster.
    expect(await w.store.knownClusters()).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: ENTRA, entraIntegration: 'managed' })]),
    );
  });
});

describe('run-command-invoked', () => {
  it('pages at high on a managed-Entra cluster, naming who (name and object id), from where and when; once per invocation', async () => {
    const w = await world();
    await baseline(w);
    const raw = armEvent('run-1', ENTRA, RUN_COMMAND);
    const [result] = await handleArmEvents(await events(raw), w.deps);
    expect(result).toMatchObject({ outcome: 'evaluated', clusters: [ENTRA] });
    expect(result.signals).toEqual([
      expect.objectContaining({
        signal: 'run-command-invoked',
        clusterId: ENTRA,
        entraIntegration: 'managed',
        eventId: 'run-1',
        caller: expect.objectContaining({
          name: 'alice@contoso.example',
          objectId: 'a11ce000-0000-4000-8000-000000000001',
        }),
      }),
    ]);
    expect(result.reason).toContain('alice@contoso.example (object id a11ce000-');
    const [alert] = await pages(w, 'run-command-invoked');
    expect(alert).toMatchObject({
      severity: 'high',
      checkId: 'run-command-disabled',
      clusterName: 'aks-prod',
      caller: { name: 'alice@contoso.example', ipAddress: '203.0.113.24' },
      link: `http://localhost:7071/api/dashboard/clusters/${SUB}/rg-prod/aks-prod`,
    });
    expect(alert.before).toMatch(/managed Entra integration/);
    expect(alert.after).toContain(
      'alice@contoso.example (object id a11ce000-0000-4000-8000-000000000001',
    );
    expect(alert.after).toContain('from 203.0.113.24');
    expect(alert.after).toContain('2026-11-22T10:15:30.123Z');
    expect(alert.remediation).toBe('az aks update -g rg-prod -n aks-prod --disable-run-command');

    await handleArmEvents(await events(raw), w.deps);
    expect(await pages(w, 'run-command-invoked')).toHaveLength(1);
    await handleArmEvents(await events({ ...raw, id: 'run-2' }), w.deps);
    expect(await pages(w, 'run-command-invoked')).toHaveLength(2);
  });

  it('pages at critical on a cluster without Entra integration: the command ran as cluster-admin', async () => {
    const w = await world();
    await baseline(w);
    await handleArmEvents(await events(armEvent('run-plain', PLAIN, RUN_COMMAND)), w.deps);
    const [alert] = await pages(w, 'run-command-invoked');
    expect(alert.severity).toBe('critical');
    expect(alert.before).toMatch(/no Entra integration.*cluster-admin/);
  });

  it('is reported but not paged below the configured minimum severity', async () => {
    const w = await world({ minAlertSeverity: 'critical' });
    await baseline(w);
    const [result] = await handleArmEvents(
      await events(armEvent('run-quiet', ENTRA, RUN_COMMAND)),
      w.deps,
    );
    expect(result.signals.map((s) => s.signal)).toEqual(['run-command-invoked']);
    expect(await pages(w, 'run-command-invoked')).toEqual([]);
  });
});

describe('listClusterUserCredential', () => {
  it('on a cluster without Entra integration pages as an admin-credential fetch', async () => {
    const w = await world();
    await baseline(w);
    const [result] = await handleArmEvents(
      await events(armEvent('user-plain', PLAIN, USER_CREDENTIAL)),
      w.deps,
    );
    expect(result.signals).toEqual([
      expect.objectContaining({
        signal: 'admin-credential-retrieved',
        entraIntegration: 'none',
        localAccountsEnabled: true,
      }),
    ]);
    const [alert] = await pages(w, 'admin-credential-retrieved');
    expect(alert.severity).toBe('critical');
    expect(alert.after).toContain('fetched the cluster-user kubeconfig');
    expect(alert.before).toMatch(
      /no Entra integration, so its user kubeconfig is as good as the admin one/,
    );
  });

  it('on an Entra cluster is not a signal and evaluates nothing', async () => {
    const w = await world();
    await baseline(w);
    const [result] = await handleArmEvents(
      await events(armEvent('user-entra', ENTRA, USER_CREDENTIAL)),
      w.deps,
    );
    expect(result).toMatchObject({ outcome: 'ignored', signals: [] });
    expect(result.reason).toMatch(/managed Entra integration/);
    expect(w.evaluated).toEqual([]);
    expect(await pages(w, 'admin-credential-retrieved')).toEqual([]);
  });

  it('on a cluster not yet stored, the current read decides', async () => {
    const w = await world();
    const [entra, plain] = await handleArmEvents(
      await events(
        armEvent('user-new-entra', ENTRA, USER_CREDENTIAL),
        armEvent('user-new-plain', PLAIN, USER_CREDENTIAL),
      ),
      w.deps,
    );
    expect(entra).toMatchObject({ outcome: 'ignored', signals: [] });
    expect(entra.reason).toMatch(/managed Entra integration/);
    expect(plain.signals.map((s) => s.signal)).toEqual(['admin-credential-retrieved']);
    expect((await pages(w, 'admin-credential-retrieved')).map((a) => a.clusterId)).toEqual([PLAIN]);
  });
});

describe('the node resource group', () => {
  it('a role assignment there re-evaluates the cluster of those nodes, and its gain pages', async () => {
    const w = await world();
    await baseline(w);
    const scope = `/subscriptions/${SUB}/resourceGroups/${NODES_ENTRA}`;
    const id = `${scope}/providers/Microsoft.Authorization/roleAssignments/7f2a4c1e-3b5d-4e6f-8a9b-0c1d2e3f4a5b`;
    writeFileSync(
      join(w.dir, 'role-assignments.json'),
      JSON.stringify([
        READER_EVERYONE,
        {
          id,
          scope,
          principalId: BOB,
          principalType: 'User',
          roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`,
          roleDefinitionName: 'Contributor',
        },
      ]),
    );
    const [result] = await handleArmEvents(
      await events(
        armEvent(
          'ra-nodes',
          id,
          'Microsoft.Authorization/roleAssignments/write',
          'Microsoft.Resources.ResourceWriteSuccess',
        ),
      ),
      w.deps,
    );
    expect(result).toMatchObject({ outcome: 'evaluated', clusters: [ENTRA] });
    expect(w.evaluated).toEqual([[ENTRA]]);
    // Contributor over the node resource group is node-access to the cluster: a gain, paged once
    // with who granted it.
    expect(result.regressions).toContainEqual(
      expect.objectContaining({ kind: 'privilege-gained', principalId: BOB, after: 'node-access' }),
    );
    expect(result.signals).toEqual([
      expect.objectContaining({ signal: 'privileged-role-granted', clusterId: ENTRA }),
    ]);
    const gained = (await w.store.listAlerts({})).filter(
      (a) => a.alert.kind === 'privilege-gained',
    );
    expect(gained.map((a) => a.alert.caller?.name)).toEqual(['alice@contoso.example']);
  });

  it('a command on a node pages node-command-invoked at high, naming the scale set and instance', async () => {
    const w = await world();
    await baseline(w);
    const [result] = await handleArmEvents(
      await events(armEvent('node-run', `${vmss(NODES_PLAIN)}/virtualMachines/0`, NODE_RUN)),
      w.deps,
    );
    expect(result).toMatchObject({ outcome: 'evaluated', clusters: [PLAIN] });
    expect(result.signals).toEqual([
      expect.objectContaining({
        signal: 'node-command-invoked',
        clusterId: PLAIN,
        target: vmss(NODES_PLAIN),
      }),
    ]);
    const [alert] = await pages(w, 'node-command-invoked');
    expect(alert).toMatchObject({ severity: 'high', clusterName: 'aks-dev' });
    expect(alert.after).toContain(
      'ran a command on node 0 of scale set aks-nodepool1-12345678-vmss',
    );
    expect(alert.after).toContain('alice@contoso.example');
    expect(alert.remediation).toContain(`--vmss-name aks-nodepool1-12345678-vmss`);
    expect(alert.remediation).toContain(`/resourceGroups/${NODES_PLAIN}`);
  });

  it('an extension written to a scale set pages too; one outside any node group is ignored', async () => {
    const w = await world();
    await baseline(w);
    const [nodes, elsewhere] = await handleArmEvents(
      await events(
        armEvent(
          'ext-nodes',
          `${vmss(NODES_ENTRA)}/extensions/CustomScript`,
          NODE_EXTENSION,
          'Microsoft.Resources.ResourceWriteSuccess',
        ),
        armEvent(
          'ext-elsewhere',
          `${vmss('rg-batch')}/extensions/CustomScript`,
          NODE_EXTENSION,
          'Microsoft.Resources.ResourceWriteSuccess',
        ),
      ),
      w.deps,
    );
    expect(nodes.signals.map((s) => s.signal)).toEqual(['node-command-invoked']);
    expect(elsewhere).toMatchObject({ outcome: 'ignored', signals: [] });
    expect((await pages(w, 'node-command-invoked')).map((a) => a.clusterId)).toEqual([ENTRA]);
  });
});
