/**
 * Federated-credential writes and deletes (docs/events.md): the clusters whose issuer the credential
 * names are re-evaluated; after a delete, the clusters the stored posture links to the identity.
 * Real snapshot source, real Table Storage (Azurite).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseEventBatch } from '../../src/adapters/eventGridInput';
import { SnapshotSource } from '../../src/adapters/snapshotSource';
import { TableStore } from '../../src/adapters/tableStore';
import { evaluateEstate } from '../../src/core/evaluate';
import { routeEvent, type ArmEvent } from '../../src/core/events';
import type { EstateFilter } from '../../src/core/ports';
import { mappedEstateSource } from '../../src/core/ports';
import { handleArmEvents, type HandleEventsDeps } from '../../src/usecases/handleEvents';
import { startAzurite, uniqueTablePrefix, type TestAzurite } from '../helpers/azurite';
import { SteppedClock } from '../helpers/clock';

const SUB = '11111111-1111-4111-8111-111111111111';
const ISSUER_A = 'https://westeurope.oic.prod-aks.azure.com/tenant/cluster-a/';
const ISSUER_B = 'https://westeurope.oic.prod-aks.azure.com/tenant/cluster-b/';
const CLUSTER_A = `/subscriptions/${SUB}/resourcegroups/rg-a/providers/Microsoft.ContainerService/managedClusters/aks-a`;
const CLUSTER_B = `/subscriptions/${SUB}/resourcegroups/rg-b/providers/Microsoft.ContainerService/managedClusters/aks-b`;
const IDENTITY = `/subscriptions/${SUB}/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-batch`;
const IDENTITY_PRINCIPAL = 'f0f0f0f0-0000-4000-8000-000000000001';
const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';

function cluster(id: string, issuer: string) {
  return {
    id,
    name: id.split('/').pop(),
    resourceGroup: id.split('/')[4],
    aadProfile: {
      managed: true,
      enableAzureRbac: true,
      adminGroupObjectIds: ['a0a0a0a0-0000-4000-8000-000000000001'],
    },
    disableLocalAccounts: true,
    enableRbac: true,
    identity: { type: 'SystemAssigned', principalId: 'c0c0c0c0-0000-4000-8000-000000000001' },
    oidcIssuerProfile: { enabled: true, issuerUrl: issuer },
    securityProfile: { workloadIdentity: { enabled: true } },
  };
}

function credential(name: string, issuer: string) {
  return {
    id: `${IDENTITY}/federatedIdentityCredentials/${name}`,
    name,
    issuer,
    subject: 'system:serviceaccount:batch:worker',
    principalId: IDENTITY_PRINCIPAL,
  };
}

function ficEvent(
  id: string,
  operation: 'write' | 'delete',
  name: string,
): Record<string, unknown> {
  const verb = operation === 'write' ? 'Write' : 'Delete';
  return {
    id,
    subject: `${IDENTITY}/federatedIdentityCredentials/${name}`,
    eventType: `Microsoft.Resources.Resource${verb}Success`,
    eventTime: '2026-11-26T10:00:00Z',
    topic: `/subscriptions/${SUB}`,
    dataVersion: '2',
    metadataVersion: '1',
    data: {
      operationName: `Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/${operation}`,
      subscriptionId: SUB,
      status: 'Succeeded',
      resourceUri: `${IDENTITY}/federatedIdentityCredentials/${name}`,
    },
  };
}

async function events(...raw: Record<string, unknown>[]): Promise<ArmEvent[]> {
  const batch = await parseEventBatch(raw);
  expect(batch.rejected).toEqual([]);
  return batch.events;
}

let azurite: TestAzurite;
let dir: string;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aia-fed-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(credentials: unknown[]): void {
  writeFileSync(
    join(dir, 'clusters.json'),
    JSON.stringify([cluster(CLUSTER_A, ISSUER_A), cluster(CLUSTER_B, ISSUER_B)]),
  );
  writeFileSync(
    join(dir, 'role-assignments.json'),
    JSON.stringify([
      {
        id: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments/ra-1`,
        scope: `/subscriptions/${SUB}`,
        principalId: IDENTITY_PRINCIPAL,
        principalType: 'ServicePrincipal',
        roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${OWNER}`,
      },
    ]),
  );
  writeFileSync(join(dir, 'federated-credentials.json'), JSON.stringify(credentials));
}

describe('federated-credential events', () => {
  it('route to the identity, reading every watched subscription; anything else under ManagedIdentity is not routed', async () => {
    const [event] = await events(ficEvent('e1', 'write', 'fc'));
    expect(routeEvent(event, { watchedSubscriptions: [SUB], knownClusterIds: [] })).toEqual({
      kind: 'evaluate-federation',
      identityId: IDENTITY,
      subscriptionIds: [SUB],
    });
    const [odd] = await events({
      ...ficEvent('e2', 'write', 'fc'),
      subject: `${IDENTITY}/federatedIdentityCredentials/fc/extra`,
    });
    expect(routeEvent(odd, { watchedSubscriptions: [SUB], knownClusterIds: [] }).kind).toBe(
      'rejected',
    );
  });

  it('a write re-evaluates the cluster whose issuer it names; a delete the cluster the stored posture links', async () => {
    write([credential('fc-a', ISSUER_A)]);
    const reads: Array<EstateFilter | undefined> = [];
    const snapshot = new SnapshotSource(dir);
    const source = {
      ...mappedEstateSource(snapshot, (e) => e),
      readEstate: (filter?: EstateFilter) => (reads.push(filter), snapshot.readEstate(filter)),
    };
    const clock = new SteppedClock(Date.parse('2026-11-26T10:00:00Z'));
    const store = await TableStore.create({
      connectionString: azurite.connectionString,
      allowInsecureConnection: true,
      tablePrefix: uniqueTablePrefix('fed'),
      clock,
    });
    const deps: HandleEventsDeps = {
      source,
      store,
      evaluate: evaluateEstate,
      clock,
      log: () => undefined,
      minAlertSeverity: 'high',
    };

    const [written] = await handleArmEvents(await events(ficEvent('w1', 'write', 'fc-a')), deps);
    expect(written).toEqual(
      expect.objectContaining({ outcome: 'evaluated', clusters: [CLUSTER_A] }),
    );
    expect(reads[0]).toEqual({ subscriptionIds: [SUB], changedIdentities: [IDENTITY] });
    const stored = await store.getPosture(CLUSTER_A);
    expect(stored?.findings.find((f) => f.checkId === 'workload-identity-federation')?.status).toBe(
      'fail',
    );

    // The credential is deleted: nothing names the issuer any more, the stored posture still links it.
    write([]);
    clock.advance(60_000);
    const [deleted] = await handleArmEvents(await events(ficEvent('d1', 'delete', 'fc-a')), deps);
    expect(deleted).toEqual(
      expect.objectContaining({ outcome: 'evaluated', clusters: [CLUSTER_A] }),
    );
    expect(
      (await store.getPosture(CLUSTER_A))?.findings.find(
        (f) => f.checkId === 'workload-identity-federation',
      )?.status,
    ).toBe('pass');

    // A credential of an identity no cluster trusts, now or before: ignored.
    clock.advance(60_000);
    const [ignored] = await handleArmEvents(await events(ficEvent('d2', 'delete', 'fc-a')), deps);
    expect(ignored.outcome).toBe('ignored');
  });
});
