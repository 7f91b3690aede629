/**
 * PIM eligibilities and deny assignments read live: ArmEstateSource with the real
 * AuthorizationManagementClient against the HTTPS fake of ARM.
 */
import {
  ArmEstateSource,
  READ_DENY_ASSIGNMENTS,
  READ_ELIGIBILITY,
} from '../src/adapters/armSource';
import { BUILTIN_ROLE_GUIDS } from '../src/core/builtinRoles';
import { armCustomRole, startArmFake, type ArmFake } from './fakes/arm';
import { staticTestCredential, STATIC_TEST_TOKEN } from './fakes/credential';

const SUB_A = '11111111-1111-4111-8111-111111111111';
const SUB_B = '22222222-2222-4222-8222-222222222222';
const SUB_C = '33333333-3333-4333-8333-333333333333';
const MG = '/providers/Microsoft.Management/managementGroups/platform';

let fake: ArmFake;

beforeAll(async () => {
  fake = await startArmFake({ expectedToken: STATIC_TEST_TOKEN });
});

afterAll(async () => {
  await fake.stop();
});

beforeEach(() => {
  for (const list of [
    fake.state.subscriptions,
    fake.state.clusters,
    fake.state.roleAssignments,
    fake.state.roleDefinitions,
  ])
    list.splice(0);
  fake.state.roleEligibilityScheduleInstances.splice(0);
  fake.state.denyAssignments.splice(0);
  for (const key of Object.keys(fake.state.managementGroups))
    delete fake.state.managementGroups[key];
  fake.options.pageSize = 100;
  fake.clearFaults();
  fake.requests.reset();
  fake.addSubscription(SUB_A, 'prod');
  fake.addSubscription(SUB_B, 'dev');
  fake.addSubscription(SUB_C, 'not watched');
});

function source(subscriptionIds = [SUB_A, SUB_B]): ArmEstateSource {
  return new ArmEstateSource({
    credential: staticTestCredential(),
    subscriptionIds,
    endpoint: fake.endpoint,
    clientOptions: {
      agent: fake.agent,
      retry: { maxRetries: 1, retryDelayInMs: 1, maxRetryDelayInMs: 5 },
    },
  });
}

const cluster = (sub: string) =>
  `/subscriptions/${sub}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-0`;

describe('PIM eligibilities, live', () => {
  it('lists them per watched subscription, at, above and below it, marked eligible', async () => {
    fake.state.managementGroups.platform = [SUB_A];
    fake.addEligibility({
      scope: MG,
      roleDefinitionId: BUILTIN_ROLE_GUIDS.owner,
      principalId: 'mg-owner',
      principalType: 'Group',
    });
    fake.addEligibility({
      scope: `/subscriptions/${SUB_A}`,
      roleDefinitionId: BUILTIN_ROLE_GUIDS.contributor,
      principalId: 'sub-contributor',
    });
    fake.addEligibility({
      scope: `/subscriptions/${SUB_B}/resourceGroups/rg-aks`,
      roleDefinitionId: BUILTIN_ROLE_GUIDS.owner,
      principalId: 'rg-owner',
    });
    fake.addEligibility({
      scope: cluster(SUB_B),
      roleDefinitionId: BUILTIN_ROLE_GUIDS.aksClusterAdminRole,
      principalId: 'cluster-admin',
    });
    fake.addEligibility({
      scope: `/subscriptions/${SUB_C}`,
      roleDefinitionId: BUILTIN_ROLE_GUIDS.owner,
      principalId: 'unwatched',
    });
    fake.addRoleAssignment({
      scope: `/subscriptions/${SUB_A}`,
      roleDefinitionId: BUILTIN_ROLE_GUIDS.reader,
      principalId: 'active-reader',
    });

    const estate = await source().readEstate();

    expect(estate.failures).toEqual([]);
    const eligible = estate.roleAssignments.filter((a) => a.eligible === true);
    expect(eligible.map((a) => [a.principalId, a.listedInSubscriptionId]).sort()).toEqual([
      ['cluster-admin', SUB_B],
      ['mg-owner', SUB_A],
      ['rg-owner', SUB_B],
      ['sub-contributor', SUB_A],
    ]);
    expect(
      estate.roleAssignments.find((a) => a.principalId === 'active-reader')?.eligible,
    ).toBeUndefined();
    // No filter: eligibilities below the subscription are wanted too.
    const request = fake.requests.log.find(
      (r) => r.route === 'roleEligibilityScheduleInstances.listForScope',
    );
    expect(request?.path.toLowerCase()).toBe(
      `/subscriptions/${SUB_A}/providers/microsoft.authorization/roleeligibilityscheduleinstances`,
    );
    expect(request?.query['$filter']).toBeUndefined();
  });

  it('resolves a custom role that only an eligibility uses', async () => {
    const custom = fake.addRoleDefinition(
      armCustomRole({
        roleName: 'Cluster Fixer',
        actions: ['Microsoft.ContainerService/managedClusters/write'],
        assignableScopes: [`/subscriptions/${SUB_A}`],
      }),
    );
    fake.addEligibility({
      scope: `/subscriptions/${SUB_A}`,
      roleDefinitionId: String(custom.name),
      principalId: 'fixer',
    });
    const estate = await source().readEstate();
    expect(estate.roleDefinitions.map((d) => d.roleName)).toEqual(['Cluster Fixer']);
  });

  it('a 403 becomes an eligibility failure naming the missing permission; the rest is still read', async () => {
    fake.addRoleAssignment({
      scope: `/subscriptions/${SUB_A}`,
      roleDefinitionId: BUILTIN_ROLE_GUIDS.owner,
      principalId: 'owner',
    });
    fake.addEligibility({
      scope: `/subscriptions/${SUB_B}`,
      roleDefinitionId: BUILTIN_ROLE_GUIDS.owner,
      principalId: 'b-eligible',
    });
    fake.fault({
      match: new RegExp(
        `/subscriptions/${SUB_A}/providers/Microsoft.Authorization/roleEligibilityScheduleInstances`,
        'i',
      ),
      status: 403,
      code: 'AuthorizationFailed',
      message: `The client does not have authorization to perform action '${READ_ELIGIBILITY}'`,
    });

    const estate = await source().readEstate();

    expect(estate.failures).toHaveLength(1);
    expect(estate.failures[0]).toMatchObject({ subscriptionId: SUB_A, part: 'eligibility' });
    expect(estate.failures[0].message).toContain('HTTP 403');
    expect(estate.failures[0].message).toContain(`needs ${READ_ELIGIBILITY}`);
    expect(estate.failures[0].message).not.toContain(STATIC_TEST_TOKEN);
    expect(estate.roleAssignments.map((a) => a.principalId).sort()).toEqual([
      'b-eligible',
      'owner',
    ]);
  });
});

describe('deny assignments, live', () => {
  it('lists them per watched subscription', async () => {
    fake.addDenyAssignment({
      scope: `/subscriptions/${SUB_A}/resourceGroups/rg-aks`,
      actions: ['Microsoft.ContainerService/managedClusters/*'],
      name: 'deny-a',
    });
    fake.addDenyAssignment({
      scope: `/subscriptions/${SUB_B}`,
      actions: ['*/write'],
      principals: [{ id: 'g1', type: 'Group' }],
      doNotApplyToChildScopes: true,
      name: 'deny-b',
    });
    fake.addDenyAssignment({ scope: `/subscriptions/${SUB_C}`, actions: ['*'], name: 'deny-c' });

    const estate = await source().readEstate();

    expect(estate.failures).toEqual([]);
    expect(
      estate.denyAssignments
        ?.map((d) => [d.scope, d.listedInSubscriptionId, d.doNotApplyToChildScopes])
        .sort(),
    ).toEqual([
      [`/subscriptions/${SUB_A}/resourceGroups/rg-aks`, SUB_A, false],
      [`/subscriptions/${SUB_B}`, SUB_B, true],
    ]);
    expect(
      estate.denyAssignments?.find((d) => d.listedInSubscriptionId === SUB_B)?.principals,
    ).toEqual([{ id: 'g1', type: 'Group' }]);
  });

  it('a 403 becomes a denyAssignments failure naming the missing permission', async () => {
    fake.fault({
      match: new RegExp(
        `/subscriptions/${SUB_B}/providers/Microsoft.Authorization/denyAssignments`,
        'i',
      ),
      status: 403,
      code: 'AuthorizationFailed',
    });
    const estate = await source().readEstate();
    expect(estate.failures.map((f) => [f.subscriptionId, f.part])).toEqual([
      [SUB_B, 'denyAssignments'],
    ]);
    expect(estate.failures[0].message).toContain(`needs ${READ_DENY_ASSIGNMENTS}`);
    expect(estate.failures[0].message).toContain('403');
  });
});

describe('request counts', () => {
  it('grow with subscriptions and pages, never with clusters or grants', async () => {
    fake.options.pageSize = 2;
    const subs = [SUB_A, SUB_B];
    for (const sub of subs) {
      for (let i = 0; i < 5; i++)
        fake.addCluster({ subscriptionId: sub, resourceGroup: 'rg-aks', name: `aks-${i}` });
      for (let i = 0; i < 5; i++)
        fake.addEligibility({
          scope: `/subscriptions/${sub}`,
          roleDefinitionId: BUILTIN_ROLE_GUIDS.owner,
          principalId: `e${i}`,
        });
      for (let i = 0; i < 3; i++)
        fake.addDenyAssignment({
          scope: `/subscriptions/${sub}/resourceGroups/rg${i}`,
          actions: ['*'],
          name: `d${i}`,
        });
    }

    const estate = await source(subs).readEstate();

    expect(estate.roleAssignments.filter((a) => a.eligible)).toHaveLength(10);
    expect(estate.denyAssignments).toHaveLength(6);
    for (const sub of subs) {
      // 5 eligibilities at 2 a page: 3 pages; 3 deny assignments: 2 pages; 5 clusters: 3 pages.
      expect(fake.requests.count('roleEligibilityScheduleInstances.listForScope', sub)).toBe(3);
      expect(fake.requests.count('denyAssignments.listForSubscription', sub)).toBe(2);
      expect(fake.requests.count('managedClusters.list', sub)).toBe(3);
      expect(fake.requests.count('roleAssignments.listForSubscription', sub)).toBe(1);
    }
    expect(fake.requests.count('managedClusters.get')).toBe(0);
    // Plus one Resource Graph query for the subscriptions' management-group ancestry.
    expect(fake.requests.count('resourceGraph.subscriptions')).toBe(1);
    expect(fake.requests.total()).toBe(2 * (3 + 2 + 3 + 1) + 1);
  });
});
