/**
 * ArmEstateSource with the real Azure SDK clients against the local HTTPS fake of ARM.
 */
import { ArmEstateSource, type ArmEstateSourceOptions } from '../src/adapters/armSource';
import { BUILTIN_ROLE_GUIDS } from '../src/core/builtinRoles';
import { DependencyError } from '../src/core/errors';
import {
  startArmFake,
  armCustomRole,
  deterministicGuid,
  resetArmFake,
  type ArmFake,
} from './fakes/arm';
import { staticTestCredential, STATIC_TEST_TOKEN } from './fakes/credential';

const SUB_A = '11111111-1111-4111-8111-111111111111';
const SUB_B = '22222222-2222-4222-8222-222222222222';
const SUB_C = '33333333-3333-4333-8333-333333333333';
const MG = '/providers/Microsoft.Management/managementGroups/platform';
const OTHER_MG = '/providers/Microsoft.Management/managementGroups/sandbox';

let fake: ArmFake;

beforeAll(async () => {
  fake = await startArmFake({ expectedToken: STATIC_TEST_TOKEN });
});

afterAll(async () => {
  await fake.stop();
});

beforeEach(() => {
  resetArmFake(fake);
  fake.addSubscription(SUB_A, 'prod');
  fake.addSubscription(SUB_B, 'dev');
});

function source(options: Partial<ArmEstateSourceOptions> = {}): ArmEstateSource {
  return new ArmEstateSource({
    credential: staticTestCredential(),
    subscriptionIds: [SUB_A, SUB_B],
    endpoint: fake.endpoint,
    // Retry waits stay tiny: the fake answers 429 with Retry-After: 0.
    clientOptions: {
      agent: fake.agent,
      retry: { maxRetries: 3, retryDelayInMs: 1, maxRetryDelayInMs: 5 },
    },
    ...options,
  });
}

function clusterId(sub: string, rg: string, name: string): string {
  return `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;
}

function addClusters(sub: string, count: number, rg = 'rg-aks'): void {
  for (let i = 0; i < count; i++)
    fake.addCluster({ subscriptionId: sub, resourceGroup: rg, name: `aks-${i}` });
}

function grant(
  scope: string,
  role: string,
  principal = deterministicGuid(`${scope}|${role}`),
  principalType = 'Group',
) {
  return fake.addRoleAssignment({
    scope,
    roleDefinitionId: role,
    principalId: principal,
    principalType,
  });
}

describe("'arm' mode", () => {
  it('follows nextLink through every page of clusters and role assignments', async () => {
    fake.options.pageSize = 2;
    addClusters(SUB_A, 5);
    for (let i = 0; i < 5; i++)
      grant(`/subscriptions/${SUB_A}/resourceGroups/rg-${i}`, BUILTIN_ROLE_GUIDS.reader);

    const estate = await source({ subscriptionIds: [SUB_A] }).readEstate();

    expect(estate.failures).toEqual([]);
    expect(estate.source).toBe('azure');
    expect(estate.clusters.map((c) => c.name).sort()).toEqual([
      'aks-0',
      'aks-1',
      'aks-2',
      'aks-3',
      'aks-4',
    ]);
    expect(estate.clusters[0]).toMatchObject({
      subscriptionId: SUB_A,
      resourceGroup: 'rg-aks',
      disableLocalAccounts: true,
      enableRbac: true,
    });
    expect(estate.clusters[0].aadProfile).toMatchObject({ managed: true, enableAzureRbac: true });
    expect(estate.roleAssignments).toHaveLength(5);
    expect(fake.requests.count('managedClusters.list', SUB_A)).toBe(3);
    expect(fake.requests.count('roleAssignments.listForSubscription', SUB_A)).toBe(3);
    expect(fake.requests.log.every((r) => r.status === 200)).toBe(true);
  });

  it('returns assignments at root, management-group, subscription, resource-group and cluster scope, listed per subscription', async () => {
    fake.state.managementGroups.platform = [SUB_A, SUB_B];
    fake.state.managementGroups.sandbox = [SUB_C];
    fake.addCluster({ subscriptionId: SUB_A, resourceGroup: 'rg-aks', name: 'aks-a' });
    const scopes = {
      root: '/',
      mg: MG,
      sub: `/subscriptions/${SUB_A}`,
      rg: `/subscriptions/${SUB_A}/resourceGroups/rg-aks`,
      cluster: clusterId(SUB_A, 'rg-aks', 'aks-a'),
    };
    for (const scope of Object.values(scopes)) grant(scope, BUILTIN_ROLE_GUIDS.contributor);
    grant(OTHER_MG, BUILTIN_ROLE_GUIDS.owner); // contains neither watched subscription
    grant(`/subscriptions/${SUB_B}`, BUILTIN_ROLE_GUIDS.owner, 'b-owner', 'User');

    const estate = await source().readEstate();

    expect(estate.failures).toEqual([]);
    const inA = estate.roleAssignments.filter((a) => a.listedInSubscriptionId === SUB_A);
    expect(inA.map((a) => a.scope).sort()).toEqual(Object.values(scopes).sort());
    for (const a of inA) {
      expect(a).toMatchObject({
        principalType: 'Group',
        roleDefinitionGuid: BUILTIN_ROLE_GUIDS.contributor,
      });
      expect(a.id).toMatch(/\/providers\/Microsoft\.Authorization\/roleAssignments\//);
    }
    // B's listing carries the inherited root and management-group assignments too.
    const inB = estate.roleAssignments.filter((a) => a.listedInSubscriptionId === SUB_B);
    expect(inB.map((a) => a.scope).sort()).toEqual(['/', MG, `/subscriptions/${SUB_B}`].sort());
    expect(estate.roleAssignments.some((a) => a.scope === OTHER_MG)).toBe(false);
    expect(inB.find((a) => a.principalId === 'b-owner')).toMatchObject({
      principalType: 'User',
      roleDefinitionGuid: BUILTIN_ROLE_GUIDS.owner,
    });
  });

  it('fetches each custom role once per read and never a built-in one', async () => {
    const custom = fake.addRoleDefinition(
      armCustomRole({
        roleName: 'AKS operator',
        actions: ['Microsoft.ContainerService/managedClusters/*'],
        assignableScopes: [`/subscriptions/${SUB_A}`, `/subscriptions/${SUB_B}`],
      }),
    );
    const guid = String(custom.name);
    grant(`/subscriptions/${SUB_A}`, guid, 'p1');
    grant(`/subscriptions/${SUB_A}/resourceGroups/rg`, guid, 'p2');
    grant(`/subscriptions/${SUB_B}`, guid, 'p3');
    grant(`/subscriptions/${SUB_A}`, BUILTIN_ROLE_GUIDS.owner, 'p4');
    grant(MG, BUILTIN_ROLE_GUIDS.userAccessAdministrator, 'p5');

    const estate = await source().readEstate();

    expect(estate.failures).toEqual([]);
    expect(fake.requests.count('roleDefinitions.get')).toBe(1);
    expect(estate.roleDefinitions).toHaveLength(1);
    expect(estate.roleDefinitions[0]).toMatchObject({
      guid,
      roleName: 'AKS operator',
      roleType: 'CustomRole',
      permissions: [
        {
          actions: ['Microsoft.ContainerService/managedClusters/*'],
          notActions: [],
          dataActions: [],
          notDataActions: [],
        },
      ],
    });
    // The request went to the id as ARM referenced it, not a mangled path.
    const get = fake.requests.log.find((r) => r.route === 'roleDefinitions.get');
    expect(get?.path.toLowerCase()).toMatch(
      /^\/subscriptions\/[0-9a-f-]+\/providers\/microsoft\.authorization\/roledefinitions\/[0-9a-f-]+$/,
    );

    // A second read resolves again (the cache lives for one read): definitions may change.
    await source().readEstate();
    expect(fake.requests.count('roleDefinitions.get')).toBe(2);
  });

  it('leaves out a role definition ARM does not know, without a failure', async () => {
    const missing = deterministicGuid('deleted custom role');
    grant(`/subscriptions/${SUB_A}`, missing, 'orphan');

    const estate = await source({ subscriptionIds: [SUB_A] }).readEstate();

    expect(estate.roleAssignments.map((a) => a.roleDefinitionGuid)).toEqual([missing]);
    expect(estate.roleDefinitions).toEqual([]);
    expect(estate.failures).toEqual([]);
    // Tried under the referenced id; the subscription form is the same id, so one request.
    expect(fake.requests.count('roleDefinitions.get')).toBe(1);
  });

  it('reports a role definition that cannot be read (not 404) for the subscriptions that use it', async () => {
    const guid = deterministicGuid('flaky custom role');
    grant(`/subscriptions/${SUB_A}`, guid, 'x');
    fake.fault({ match: /roleDefinitions\//i, status: 403, code: 'AuthorizationFailed' });

    const estate = await source({ subscriptionIds: [SUB_A] }).readEstate();

    expect(estate.roleDefinitions).toEqual([]);
    expect(estate.failures).toEqual([
      expect.objectContaining({
        subscriptionId: SUB_A,
        part: 'roleDefinitions',
        message: expect.stringContaining('403'),
      }),
    ]);
  });

  it('retries a throttled request after its Retry-After and succeeds', async () => {
    addClusters(SUB_A, 2);
    const throttle = fake.fault({
      match: /managedClusters/i,
      status: 429,
      times: 2,
      retryAfterSeconds: 0,
    });

    const estate = await source({ subscriptionIds: [SUB_A] }).readEstate();

    expect(throttle.hits).toBe(2);
    expect(estate.failures).toEqual([]);
    expect(estate.clusters).toHaveLength(2);
    expect(
      fake.requests.log.filter((r) => r.route === 'managedClusters.list').map((r) => r.status),
    ).toEqual([429, 429, 200]);
  });

  it('retries a transient 500 and succeeds', async () => {
    grant(`/subscriptions/${SUB_A}`, BUILTIN_ROLE_GUIDS.owner, 'o');
    const flaky = fake.fault({ match: /roleAssignments/i, status: 500, times: 2 });

    const estate = await source({ subscriptionIds: [SUB_A] }).readEstate();

    expect(flaky.hits).toBe(2);
    expect(estate.failures).toEqual([]);
    expect(estate.roleAssignments.map((a) => a.principalId)).toEqual(['o']);
  });

  it('reports a subscription that keeps failing and still returns the others', async () => {
    addClusters(SUB_A, 2);
    addClusters(SUB_B, 3);
    grant(`/subscriptions/${SUB_B}`, BUILTIN_ROLE_GUIDS.owner, 'b');
    fake.failSubscription(SUB_A, 503);

    const estate = await source().readEstate();

    expect(estate.clusters.map((c) => c.subscriptionId)).toEqual([SUB_B, SUB_B, SUB_B]);
    expect(estate.roleAssignments.map((a) => a.principalId)).toEqual(['b']);
    expect(estate.failures.map((f) => [f.subscriptionId, f.part]).sort()).toEqual([
      [SUB_A, 'clusters'],
      [SUB_A, 'denyAssignments'],
      [SUB_A, 'eligibility'],
      [SUB_A, 'roleAssignments'],
    ]);
    expect(estate.failures[0].message).toMatch(/503/);
    expect(estate.failures.map((f) => f.message).join(' ')).not.toContain(STATIC_TEST_TOKEN);
    // Retried (1 + maxRetries), then given up.
    expect(fake.requests.count('managedClusters.list', SUB_A)).toBe(4);
  });

  it('reports a cluster listing that fails part-way and keeps the clusters already read', async () => {
    fake.options.pageSize = 2;
    addClusters(SUB_A, 5);
    fake.fault({ match: /managedClusters\?.*skipToken=2/i, status: 500 });

    const estate = await source({ subscriptionIds: [SUB_A] }).readEstate();

    expect(estate.clusters).toHaveLength(2);
    expect(estate.failures).toEqual([
      expect.objectContaining({ subscriptionId: SUB_A, part: 'clusters' }),
    ]);
  });

  it('reads only watched subscriptions, whatever the filter asks for', async () => {
    fake.addSubscription(SUB_C, 'not watched');
    addClusters(SUB_A, 1);
    addClusters(SUB_B, 1);
    addClusters(SUB_C, 1);

    const estate = await source().readEstate({ subscriptionIds: [SUB_B.toUpperCase(), SUB_C] });

    expect(estate.clusters.map((c) => c.subscriptionId)).toEqual([SUB_B]);
    expect(fake.requests.log.filter((r) => r.subscriptionId && r.subscriptionId !== SUB_B)).toEqual(
      [],
    );

    fake.requests.reset();
    const none = await source().readEstate({ subscriptionIds: [SUB_C] });
    expect(none).toEqual({
      source: 'azure',
      clusters: [],
      roleAssignments: [],
      roleDefinitions: [],
      failures: [],
    });
    expect(fake.requests.total()).toBe(0);
  });

  it('discovers the readable subscriptions when none are configured', async () => {
    fake.options.pageSize = 1;
    fake.addSubscription(SUB_C).state = 'Disabled';
    addClusters(SUB_A, 1);
    addClusters(SUB_B, 1);
    const discovering = source({ subscriptionIds: undefined });

    expect(await discovering.watchedSubscriptions()).toEqual([SUB_A, SUB_B]);
    const estate = await discovering.readEstate();

    expect(estate.clusters.map((c) => c.subscriptionId).sort()).toEqual([SUB_A, SUB_B]);
    // Three pages of subscriptions, listed once: the discovery is reused by the read.
    expect(fake.requests.count('subscriptions.list')).toBe(3);
    expect(fake.requests.count('managedClusters.list', SUB_C)).toBe(0);
  });

  it('lower-cases configured subscriptions', async () => {
    expect(
      await source({ subscriptionIds: [` ${SUB_A.toUpperCase()} `, SUB_A] }).watchedSubscriptions(),
    ).toEqual([SUB_A]);
    expect(fake.requests.total()).toBe(0);
  });

  it('throws a DependencyError when subscription discovery fails', async () => {
    fake.fault({ match: /^GET \/subscriptions\?/i, status: 500 });

    const failing = source({ subscriptionIds: [] });
    await expect(failing.readEstate()).rejects.toBeInstanceOf(DependencyError);
    await expect(failing.watchedSubscriptions()).rejects.toThrow(
      /subscriptions could not be listed: HTTP 500/,
    );
  });

  it('keeps the number of ARM reads independent of the number of clusters', async () => {
    fake.options.pageSize = 50;
    addClusters(SUB_A, 30);
    addClusters(SUB_B, 30);
    grant(`/subscriptions/${SUB_A}`, BUILTIN_ROLE_GUIDS.owner);

    const big = await source().readEstate();
    const bigReads = fake.requests.total();
    expect(big.clusters).toHaveLength(60);

    fake.state.clusters.splice(0);
    addClusters(SUB_A, 3);
    addClusters(SUB_B, 3);
    fake.requests.reset();
    const small = await source().readEstate();
    expect(small.clusters).toHaveLength(6);

    // Per subscription: one page each of clusters, assignments, eligibilities and deny
    // assignments, whatever the cluster count; and one Resource Graph query for the estate's
    // management-group ancestry.
    expect(bigReads).toBe(9);
    expect(fake.requests.count('resourceGraph.subscriptions')).toBe(1);
    expect(fake.requests.total()).toBe(bigReads);
    expect(fake.requests.count('managedClusters.get')).toBe(0);
    expect(fake.requests.count('managedClusters.list')).toBe(2);
  });

  it('reports health with one cheap call', async () => {
    const healthy = await source().health();
    expect(healthy.ok).toBe(true);
    expect(fake.requests.log.map((r) => r.route)).toEqual(['subscriptions.get']);

    fake.failSubscription(SUB_A, 500);
    const unhealthy = await source().health();
    expect(unhealthy.ok).toBe(false);
    expect(unhealthy.detail).toMatch(/unreachable: HTTP 500/);
    expect(unhealthy.detail).not.toContain(STATIC_TEST_TOKEN);

    fake.clearFaults();
    expect((await source({ subscriptionIds: undefined }).health()).ok).toBe(true);
  });

  it('sends the bearer token the credential gave (the fake refuses others)', async () => {
    const wrong = new ArmEstateSource({
      credential: staticTestCredential('another-fake-token'),
      subscriptionIds: [SUB_A],
      endpoint: fake.endpoint,
      clientOptions: { agent: fake.agent, retry: { maxRetries: 0 } },
    });
    const estate = await wrong.readEstate();
    expect(estate.failures.map((f) => f.message).join(' ')).toMatch(/401/);
  });
});

describe("'resourceGraph' mode", () => {
  it('reads clusters and assignments of all subscriptions in a few paged queries', async () => {
    fake.options.resourceGraphPageSize = 2;
    fake.state.managementGroups.platform = [SUB_A];
    fake.addSubscription(SUB_C, 'not watched');
    addClusters(SUB_A, 3);
    addClusters(SUB_B, 2);
    addClusters(SUB_C, 4);
    grant('/', BUILTIN_ROLE_GUIDS.reader, 'root-reader');
    grant(MG, BUILTIN_ROLE_GUIDS.contributor, 'mg-contributor');
    grant(`/subscriptions/${SUB_A}/resourceGroups/rg-aks`, BUILTIN_ROLE_GUIDS.owner, 'rg-owner');
    grant(
      clusterId(SUB_B, 'rg-aks', 'aks-0'),
      BUILTIN_ROLE_GUIDS.aksClusterAdminRole,
      'cluster-admin',
    );
    grant(`/subscriptions/${SUB_C}`, BUILTIN_ROLE_GUIDS.owner, 'unwatched-owner');
    const custom = fake.addRoleDefinition(
      armCustomRole({
        roleName: 'Custom',
        actions: ['*/read'],
        assignableScopes: [`/subscriptions/${SUB_B}`],
      }),
    );
    grant(`/subscriptions/${SUB_B}`, String(custom.name), 'custom-holder');

    const estate = await source({ mode: 'resourceGraph' }).readEstate();

    expect(estate.failures).toEqual([]);
    expect(estate.clusters).toHaveLength(5);
    expect(new Set(estate.clusters.map((c) => c.subscriptionId))).toEqual(new Set([SUB_A, SUB_B]));
    const byPrincipal = Object.fromEntries(estate.roleAssignments.map((a) => [a.principalId, a]));
    expect(Object.keys(byPrincipal).sort()).toEqual([
      'cluster-admin',
      'custom-holder',
      'mg-contributor',
      'rg-owner',
      'root-reader',
    ]);
    expect(byPrincipal['rg-owner'].listedInSubscriptionId).toBe(SUB_A);
    expect(byPrincipal['cluster-admin'].listedInSubscriptionId).toBe(SUB_B);
    // The management group holds only A: listed for A, like A's ARM listing would.
    expect(
      estate.roleAssignments
        .filter((a) => a.principalId === 'mg-contributor')
        .map((a) => a.listedInSubscriptionId),
    ).toEqual([SUB_A]);
    // The root applies to every cluster read.
    expect(byPrincipal['root-reader'].listedInSubscriptionId).toBeUndefined();
    expect(estate.roleDefinitions.map((d) => d.roleName)).toEqual(['Custom']);

    // $skipToken paging: 5 clusters at 2 a page = 3 pages; 5 assignment rows = 3 pages.
    expect(fake.requests.count('resourceGraph.clusters')).toBe(3);
    expect(fake.requests.count('resourceGraph.roleAssignments')).toBe(3);
    expect(fake.requests.count('managedClusters.list')).toBe(0);
    expect(fake.requests.count('roleAssignments.listForSubscription')).toBe(0);
    const first = fake.requests.log.find((r) => r.route === 'resourceGraph.clusters')
      ?.body as Record<string, any>;
    expect(first.subscriptions.sort()).toEqual([SUB_A, SUB_B]);
    expect(first.options).toMatchObject({ $top: 1000, resultFormat: 'objectArray' });
  });

  it("gives the same clusters and assignments as 'arm' mode, risky and incomplete ones included", async () => {
    fake.state.managementGroups.platform = [SUB_A, SUB_B];
    addClusters(SUB_A, 2);
    fake.addCluster({
      subscriptionId: SUB_B,
      resourceGroup: 'rg-legacy',
      name: 'aks-legacy',
      identity: null,
      properties: {
        aadProfile: null,
        disableLocalAccounts: false,
        enableRBAC: false,
        servicePrincipalProfile: { clientId: 'sp-client' },
        addonProfiles: {
          azureKeyvaultSecretsProvider: {
            enabled: true,
            config: { enableSecretRotation: 'false' },
          },
        },
      },
    });
    fake.addCluster({
      id: clusterId(SUB_B, 'rg-legacy', 'aks-stub'),
      name: 'aks-stub',
      type: 'Microsoft.ContainerService/ManagedClusters',
      location: 'westeurope',
    });
    grant(MG, BUILTIN_ROLE_GUIDS.owner, 'mg-owner');
    grant(
      `/subscriptions/${SUB_B}/resourceGroups/rg-legacy`,
      BUILTIN_ROLE_GUIDS.contributor,
      'rg-contributor',
      'User',
    );

    const viaArm = await source().readEstate();
    const viaGraph = await source({ mode: 'resourceGraph' }).readEstate();

    const byId = <T extends { id: string }>(list: T[]) =>
      [...list].sort((a, b) => a.id.localeCompare(b.id));
    expect(viaArm.failures).toEqual([]);
    expect(viaGraph.failures).toEqual([]);
    expect(byId(viaGraph.clusters)).toEqual(byId(viaArm.clusters));
    const legacy = viaArm.clusters.find((c) => c.name === 'aks-legacy');
    expect(legacy).toMatchObject({
      aadProfile: null,
      identity: null,
      disableLocalAccounts: false,
      enableRbac: false,
      servicePrincipalClientId: 'sp-client',
    });
    expect(legacy?.addons.azurekeyvaultsecretsprovider).toEqual({
      enabled: true,
      config: { enableSecretRotation: 'false' },
    });
    expect(viaArm.clusters.find((c) => c.name === 'aks-stub')?.incomplete).toBeDefined();
    // The management group holds every watched subscription: ARM lists it once per
    // subscription, Resource Graph once for the whole estate; either way it covers all clusters.
    expect(viaArm.roleAssignments.filter((a) => a.principalId === 'mg-owner')).toHaveLength(2);
    const mgInGraph = viaGraph.roleAssignments.filter((a) => a.principalId === 'mg-owner');
    expect(mgInGraph.map((a) => [a.scope, a.listedInSubscriptionId])).toEqual([[MG, undefined]]);
    expect(viaGraph.roleAssignments.find((a) => a.principalId === 'rg-contributor')).toEqual(
      viaArm.roleAssignments.find((a) => a.principalId === 'rg-contributor'),
    );
  });

  it('reports every queried subscription when a query fails', async () => {
    addClusters(SUB_A, 1);
    fake.fault({ match: /ResourceGraph/i, status: 500 });

    const estate = await source({ mode: 'resourceGraph' }).readEstate();

    expect(estate.clusters).toEqual([]);
    expect(estate.failures.map((f) => `${f.subscriptionId} ${f.part}`).sort()).toEqual([
      '* managementGroupAncestry',
      `${SUB_A} clusters`,
      `${SUB_A} roleAssignments`,
      `${SUB_B} clusters`,
      `${SUB_B} roleAssignments`,
    ]);
  });

  it('retries a throttled query', async () => {
    addClusters(SUB_A, 2);
    const throttle = fake.fault({ match: /ResourceGraph/i, status: 429, times: 1 });

    const estate = await source({ mode: 'resourceGraph' }).readEstate();

    expect(throttle.hits).toBe(1);
    expect(estate.failures).toEqual([]);
    expect(estate.clusters).toHaveLength(2);
  });

  it('reads do not grow with clusters', async () => {
    addClusters(SUB_A, 40);
    addClusters(SUB_B, 40);
    await source({ mode: 'resourceGraph' }).readEstate();
    // One page each of clusters, assignments and subscription ancestry; per subscription one
    // page of eligibilities and one of deny assignments (ARM listings: Resource Graph has neither).
    expect(fake.requests.total()).toBe(3 + 2 * 2);
  });
});
