/**
 * The live estate end to end: ARM fake + Graph fake → liveEstateSource (real SDK clients and
 * Azure's HTTP pipeline) → evaluation. Federated credentials of managed identities and app
 * registrations, names, deleted principals and the users behind privileged groups.
 */
import { DirectoryTable } from '../../src/adapters/directoryTable';
import { liveEstateSource } from '../../src/composition';
import type { DirectoryCache } from '../../src/core/ports';
import { BUILTIN_ROLE_GUIDS } from '../../src/core/builtinRoles';
import { evaluateEstate } from '../../src/core/evaluate';
import type { DirectoryMode } from '../../src/config';
import { APPLICATIONS_NOT_READ } from '../../src/usecases/federatedCredentials';
import { accessView } from '../../src/usecases/queries';
import { startArmFake, type ArmFake } from '../fakes/arm';
import { staticTestCredential, STATIC_TEST_TOKEN } from '../fakes/credential';
import { startGraphFake, type GraphFake } from '../fakes/graph';
import { startAzurite, uniqueTablePrefix } from '../helpers/azurite';

const SUB = '11111111-1111-4111-8111-111111111111';
const SHARED = '22222222-2222-4222-8222-222222222222';
const NOW = new Date('2026-11-26T02:00:00Z');
const ALICE = '00000000-0000-4000-b000-000000000001';
const GUEST = '00000000-0000-4000-b000-000000000002';
const DISABLED = '00000000-0000-4000-b000-000000000003';
const GONE = '00000000-0000-4000-b000-0000000000ff';
const ONCALL = '00000000-0000-4000-c000-000000000001';
const WEB_SP = '00000000-0000-4000-d000-000000000001';

let arm: ArmFake;
let graph: GraphFake;
let issuer: string;
let identity: Record<string, any>;
const logs: string[] = [];

beforeAll(async () => {
  [arm, graph] = await Promise.all([
    startArmFake({ expectedToken: STATIC_TEST_TOKEN }),
    startGraphFake(),
  ]);
  arm.addSubscription(SUB);
  arm.addSubscription(SHARED);
  const cluster = arm.addCluster({ subscriptionId: SUB, resourceGroup: 'rg-aks', name: 'aks-fed' });
  issuer = cluster.properties.oidcIssuerProfile.issuerURL as string;
  identity = arm.addIdentity({ subscriptionId: SHARED, resourceGroup: 'rg-id', name: 'id-batch' });
  arm.addFederatedCredential({
    identityId: identity.id,
    name: 'batch',
    issuer,
    subject: 'system:serviceaccount:batch:worker',
  });
  arm.addRoleAssignment({
    scope: `/subscriptions/${SHARED}`,
    principalId: identity.properties.principalId,
    principalType: 'ServicePrincipal',
    roleDefinitionId: BUILTIN_ROLE_GUIDS.owner,
  });
  arm.addRoleAssignment({
    scope: cluster.id,
    principalId: ONCALL,
    principalType: 'Group',
    roleDefinitionId: BUILTIN_ROLE_GUIDS.aksClusterAdminRole,
  });
  arm.addRoleAssignment({
    scope: `/subscriptions/${SUB}/resourceGroups/rg-aks`,
    principalId: GONE,
    principalType: 'User',
    roleDefinitionId: BUILTIN_ROLE_GUIDS.reader,
  });
});
afterAll(() => Promise.all([arm.stop(), graph.stop()]));
beforeEach(() => {
  graph.reset();
  logs.splice(0);
  graph.state.users.push(
    {
      id: ALICE,
      displayName: 'Alice Smith',
      userPrincipalName: 'alice@contoso.example',
      userType: 'Member',
      accountEnabled: true,
    },
    {
      id: GUEST,
      displayName: 'Gita Rao',
      userPrincipalName: 'gita_fabrikam.example#EXT#@contoso.example',
      userType: 'Guest',
      accountEnabled: true,
    },
    {
      id: DISABLED,
      displayName: 'Dan Old',
      userPrincipalName: 'dan@contoso.example',
      userType: 'Member',
      accountEnabled: false,
    },
  );
  graph.state.groups.push({
    id: ONCALL,
    displayName: 'grp-oncall',
    members: [ALICE, GUEST, DISABLED],
  });
  graph.state.servicePrincipals.push(
    {
      id: identity.properties.principalId,
      displayName: 'id-batch',
      servicePrincipalType: 'ManagedIdentity',
    },
    { id: WEB_SP, appId: 'a1a1a1a1-0000-4000-8000-000000000001', displayName: 'web-frontend' },
  );
  graph.state.applications.push({
    id: 'app-1',
    appId: 'a1a1a1a1-0000-4000-8000-000000000001',
    displayName: 'web-frontend',
    federatedIdentityCredentials: [
      { name: 'aks', issuer, subject: 'system:serviceaccount:web:frontend' },
    ],
  });
});

function source(directory: DirectoryMode, directoryCache?: DirectoryCache) {
  return liveEstateSource(
    { subscriptionIds: [SUB, SHARED], sourceMode: 'arm', directory, directoryCacheMinutes: 60 },
    {
      ...(directoryCache ? { directoryCache, clock: { now: () => NOW } } : {}),
      credential: staticTestCredential(),
      armEndpoint: arm.endpoint,
      graphEndpoint: graph.endpoint,
      agent: arm.agent,
      log: (line) => logs.push(line),
    },
  );
}

function finding(estate: Parameters<typeof evaluateEstate>[0], checkId: string) {
  const posture = evaluateEstate(estate, { now: NOW }).find((p) => p.name === 'aks-fed')!;
  return posture.findings.find((f) => f.checkId === checkId)!;
}

describe('live estate with AUDIT_DIRECTORY=graph', () => {
  it('names principals, finds the deleted one, lists the users behind the privileged group and the federation reach', async () => {
    const estate = await source('graph').readEstate();
    expect(estate.failures).toEqual([]);

    // Request counts: one getByIds batch, one member listing for the one privileged group.
    expect(graph.count('getByIds')).toBe(1);
    expect(graph.count('transitiveMembers')).toBe(1);

    const orphaned = finding(estate, 'orphaned-role-assignments');
    expect(orphaned.status).toBe('fail');
    expect(orphaned.principals).toEqual([
      expect.objectContaining({ principalId: GONE, deleted: true, roleName: 'Reader' }),
    ]);
    expect(orphaned.remediation).toMatch(
      /^az role assignment delete --ids \/subscriptions\/.*\/roleAssignments\//,
    );

    const groups = finding(estate, 'privileged-access-via-groups');
    const oncall = groups.principals!.find((p) => p.principalId === ONCALL)!;
    expect(oncall.displayName).toBe('grp-oncall');
    expect(oncall.members).toEqual({
      count: 3,
      users: [
        {
          id: ALICE,
          displayName: 'Alice Smith',
          userPrincipalName: 'alice@contoso.example',
          guest: false,
          enabled: true,
        },
        {
          id: DISABLED,
          displayName: 'Dan Old',
          userPrincipalName: 'dan@contoso.example',
          guest: false,
          enabled: false,
        },
        {
          id: GUEST,
          displayName: 'Gita Rao',
          userPrincipalName: 'gita_fabrikam.example#EXT#@contoso.example',
          guest: true,
          enabled: true,
        },
      ],
    });
    // Members hold the group's access, but it is granted to a group: the check still passes.
    expect(groups.status).toBe('pass');
    expect(groups.principals!.some((p) => p.principalId === ALICE)).toBe(false);

    const wif = finding(estate, 'workload-identity-federation');
    expect(wif.status).toBe('fail');
    expect(wif.detail).toContain('system:serviceaccount:batch:worker → managed identity id-batch');
    expect(
      estate.federatedCredentials?.find((c) => c.identity.kind === 'application')?.identity,
    ).toEqual(expect.objectContaining({ displayName: 'web-frontend', principalId: WEB_SP }));
  });

  it('with the directory table, a second read within the TTL asks Graph nothing (names and members from the cache)', async () => {
    const azurite = await startAzurite();
    try {
      const cache = await DirectoryTable.create({
        connectionString: azurite.connectionString,
        allowInsecureConnection: true,
        tablePrefix: uniqueTablePrefix('fed'),
      });
      const first = await source('graph', cache).readEstate();
      expect(graph.count('getByIds')).toBe(1);
      expect(graph.count('transitiveMembers')).toBe(1);
      const before = graph.requests.length;
      const second = await source('graph', cache).readEstate();
      // Only the app-registration query (not cached) went to Graph again.
      expect(graph.requests.slice(before).map((r) => r.route)).not.toContain('getByIds');
      expect(graph.requests.slice(before).map((r) => r.route)).not.toContain('transitiveMembers');
      expect(second.directory).toEqual(first.directory);
      expect(finding(second, 'orphaned-role-assignments').status).toBe('fail');
    } finally {
      await azurite.stop();
    }
  });

  it('degrades to "not known" with one log line per missing permission', async () => {
    graph.permissions.delete('GroupMember.Read.All');
    graph.permissions.delete('Application.Read.All');
    const estate = await source('graph').readEstate();
    expect(
      finding(estate, 'privileged-access-via-groups').principals!.find(
        (p) => p.principalId === ONCALL,
      )!.members,
    ).toBeUndefined();
    expect(finding(estate, 'orphaned-role-assignments').status).toBe('fail');
    expect(logs.filter((l) => l.includes('GroupMember.Read.All'))).toHaveLength(1);
    expect(logs.filter((l) => l.includes('Application.Read.All'))).toHaveLength(1);
    expect(estate.failures.map((f) => f.part).sort()).toEqual(['directory', 'identities']);
    // The managed identity's federation is still judged; the failure does not hide it.
    expect(finding(estate, 'workload-identity-federation').status).toBe('fail');

    graph.permissions.delete('User.Read.All');
    const unnamed = await source('graph').readEstate();
    expect(finding(unnamed, 'orphaned-role-assignments').status).toBe('error');
  });
});

describe('an event about an identity', () => {
  it('re-reads that identity’s credentials, which the cache would otherwise keep', async () => {
    const live = source('none');
    await live.readEstate();
    arm.addFederatedCredential({
      identityId: identity.id,
      name: 'batch-2',
      issuer,
      subject: 'system:serviceaccount:batch:second',
    });
    const cached = await live.readEstate();
    expect(cached.federatedCredentials?.map((c) => c.subject)).toEqual([
      'system:serviceaccount:batch:worker',
    ]);
    const fresh = await live.readEstate({ changedIdentities: [identity.id] });
    expect(fresh.federatedCredentials?.map((c) => c.subject).sort()).toEqual([
      'system:serviceaccount:batch:second',
      'system:serviceaccount:batch:worker',
    ]);

    // The /access view shows the reach: service account → identity → role at scope.
    const posture = evaluateEstate(fresh, { now: NOW }).find((p) => p.name === 'aks-fed')!;
    expect(accessView(posture).reachIntoAzure).toEqual([
      expect.objectContaining({
        serviceAccount: 'system:serviceaccount:batch:second',
        identity: expect.objectContaining({
          principalId: identity.properties.principalId,
          federatedIdentity: identity.id,
        }),
        grants: [expect.objectContaining({ roleName: 'Owner', scope: `/subscriptions/${SHARED}` })],
      }),
      expect.objectContaining({ serviceAccount: 'system:serviceaccount:batch:worker' }),
    ]);
    arm.removeFederatedCredential(`${identity.id}/federatedIdentityCredentials/batch-2`);
  });
});

describe('live estate with AUDIT_DIRECTORY=none', () => {
  it('asks Graph nothing: no names, orphaned not applicable, app registrations noted as not read', async () => {
    const estate = await source('none').readEstate();
    expect(graph.requests).toHaveLength(0);
    expect(estate.federatedCredentialsUnread).toEqual([APPLICATIONS_NOT_READ]);
    expect(finding(estate, 'orphaned-role-assignments').status).toBe('not-applicable');
    const wif = finding(estate, 'workload-identity-federation');
    expect(wif.status).toBe('fail');
    expect(wif.detail).toContain('Note: app registrations were not read (AUDIT_DIRECTORY=none)');
  });
});
