/**
 * Upgrading from catalogue 1 to 2 without a storm (docs/checks.md "Regressions"): a store
 * written by version 1 (which counted four capabilities and had no cluster-admin-paths,
 * run-command-disabled or addon-identity-least-privilege) meets the first evaluation of version 2,
 * in which every Contributor "gains" run-command and node-access. Real evaluation, real store
 * (Azurite).
 */
import { TableStore } from '../../src/adapters/tableStore';
import { CATALOGUE_VERSION } from '../../src/core/checks';
import { evaluateEstate } from '../../src/core/evaluate';
import type { Cluster, ClusterPosture, Estate, RoleAssignment } from '../../src/core/model';
import { startAzurite, uniqueTablePrefix, type TestAzurite } from '../helpers/azurite';

const SUB_ID = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';
const SUB = `/subscriptions/${SUB_ID}`;
const RG = `${SUB}/resourceGroups/rg-prod`;
const NODE_RG = `${SUB}/resourceGroups/MC_rg-prod_aks-prod_westeurope`;
const CLUSTER_ID = `${RG}/providers/Microsoft.ContainerService/managedClusters/aks-prod`;
const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c';
const VM_CONTRIBUTOR = '9980e02c-c2be-4d73-94e8-173b1dc7cf3c';
const PLATFORM = 'aaaaaaaa-0000-4000-8000-000000000001';
const PATCHING = 'bbbbbbbb-0000-4000-8000-000000000002';
const NEWCOMER = 'cccccccc-0000-4000-8000-000000000003';

/** The capabilities and checks catalogue 1 knew. */
const V1_CAPABILITIES = new Set([
  'admin-credential',
  'cluster-write',
  'role-assignment-write',
  'kubernetes-cluster-admin',
]);
const V2_ONLY_CHECKS = new Set([
  'cluster-admin-paths',
  'run-command-disabled',
  'addon-identity-least-privilege',
]);

let azurite: TestAzurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(() => azurite.stop());

const cluster: Cluster = {
  id: CLUSTER_ID,
  name: 'aks-prod',
  subscriptionId: SUB_ID,
  resourceGroup: 'rg-prod',
  aadProfile: { managed: true, enableAzureRbac: true, adminGroupObjectIds: [] },
  disableLocalAccounts: true,
  enableRbac: true,
  identity: null,
  kubeletIdentity: null,
  apiServerAccess: { enablePrivateCluster: true },
  nodeResourceGroup: 'MC_rg-prod_aks-prod_westeurope',
  addons: {},
};

function grant(scope: string, role: string, principalId: string, n: number): RoleAssignment {
  return {
    id: `${scope}/providers/Microsoft.Authorization/roleAssignments/ra-${n}`,
    scope,
    principalId,
    principalType: 'Group',
    roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${role}`,
    roleDefinitionGuid: role,
  };
}

function evaluate(roleAssignments: RoleAssignment[], now: Date): ClusterPosture {
  const estate: Estate = {
    source: 'snapshot',
    clusters: [cluster],
    roleAssignments,
    roleDefinitions: [],
    failures: [],
  } as unknown as Estate;
  return evaluateEstate(estate, { now })[0];
}

/** What catalogue 1 made of the same estate: its four capabilities, without the checks it lacked. */
function asCatalogue1(posture: ClusterPosture): ClusterPosture {
  const older = (caps: readonly string[]) =>
    caps.filter((c) =>
      V1_CAPABILITIES.has(c),
    ) as ClusterPosture['privilegedPrincipals'][number]['capabilities'];
  return {
    ...posture,
    findings: posture.findings
      .filter((f) => !V2_ONLY_CHECKS.has(f.checkId))
      .map((f) =>
        f.principals
          ? {
              ...f,
              principals: f.principals
                .map((p) => ({ ...p, capabilities: older(p.capabilities) }))
                .filter((p) => p.capabilities.length > 0),
            }
          : f,
      ),
    privilegedPrincipals: posture.privilegedPrincipals
      .map((p) => ({ ...p, capabilities: older(p.capabilities) }))
      .filter((p) => p.capabilities.length > 0),
  };
}

async function storeOf(prefix: string, catalogueVersion: number, now: () => Date) {
  return TableStore.create({
    connectionString: azurite.connectionString,
    allowInsecureConnection: true,
    tablePrefix: prefix,
    clock: { now },
    catalogueVersion,
  });
}

describe('upgrading a store written by catalogue 1', () => {
  it('the first catalogue-2 audit pages nobody for the new paths; the next real gain pages', async () => {
    expect(CATALOGUE_VERSION).toBe(2);
    const prefix = uniqueTablePrefix('up');
    let now = new Date('2026-11-22T02:00:00.000Z');
    const assignments = [
      grant(RG, CONTRIBUTOR, PLATFORM, 1),
      grant(NODE_RG, VM_CONTRIBUTOR, PATCHING, 2),
    ];

    // Version 1 wrote the baseline: the Contributor with its two older capabilities, the
    // node-patching identity with none (catalogue 1 did not look at the node resource group).
    const current = evaluate(assignments, now);
    const v1 = await storeOf(prefix, 1, () => now);
    await v1.recordEvaluation(asCatalogue1(current), { minAlertSeverity: 'info' });

    // The upgrade: the same estate, evaluated by catalogue 2. The Contributor "gains"
    // run-command and trusted-access-write, the patching identity node-access, and three
    // checks appear (cluster-admin-paths fails): none of it pages.
    now = new Date('2026-11-23T02:00:00.000Z');
    const upgraded = evaluate(assignments, now);
    expect(upgraded.findings.find((f) => f.checkId === 'cluster-admin-paths')?.status).toBe('fail');
    const v2 = await storeOf(prefix, CATALOGUE_VERSION, () => now);
    const first = await v2.recordEvaluation(upgraded, { minAlertSeverity: 'info' });
    expect(first).toEqual({ baseline: false, regressions: [], alerts: [] });
    const [history] = (await v2.getHistory(CLUSTER_ID, {})).items;
    expect(history.catalogueUpgraded).toMatchObject({ from: 1, to: 2 });
    expect(history.catalogueUpgraded!.changes.map((c) => c.principalId).sort()).toEqual([
      PLATFORM,
      PATCHING,
    ]);

    // Nothing changed since: silence, and no second re-baseline.
    now = new Date('2026-11-24T02:00:00.000Z');
    const quiet = await v2.recordEvaluation(evaluate(assignments, now), {
      minAlertSeverity: 'info',
    });
    expect(quiet.regressions).toEqual([]);

    // A real gain under catalogue 2 pages: a newcomer with node-access through the node resource group.
    now = new Date('2026-11-25T02:00:00.000Z');
    const gain = await v2.recordEvaluation(
      evaluate([...assignments, grant(NODE_RG, VM_CONTRIBUTOR, NEWCOMER, 3)], now),
      { minAlertSeverity: 'info' },
    );
    expect(gain.regressions).toEqual([
      expect.objectContaining({
        kind: 'privilege-gained',
        checkId: 'cluster-admin-paths',
        principalId: NEWCOMER,
        after: 'node-access',
      }),
    ]);
    expect(gain.alerts.map((a) => a.principal?.principalId)).toEqual([NEWCOMER]);
  });
});
