/**
 * The Microsoft Graph directory with Azure's real HTTP pipeline against the local HTTPS fake of
 * Graph: getByIds batches, paged and bounded member listings, app registrations by issuer,
 * 429 with Retry-After, and a missing permission (403) named in the error.
 */
import { GraphDirectory, GraphPermissionError, MEMBER_LIMIT } from '../src/adapters/graphDirectory';
import { staticTestCredential } from './fakes/credential';
import { startGraphFake, type GraphFake } from './fakes/graph';

let graph: GraphFake;
beforeAll(async () => {
  graph = await startGraphFake();
});
afterAll(() => graph.stop());
beforeEach(() => graph.reset());

function directory(): GraphDirectory {
  return new GraphDirectory({
    credential: staticTestCredential(),
    endpoint: graph.endpoint,
    agent: graph.agent,
    retry: { maxRetries: 3, retryDelayInMs: 1, maxRetryDelayInMs: 5 },
  });
}

function guid(prefix: string, n: number): string {
  return `00000000-0000-4000-${prefix}-${n.toString(16).padStart(12, '0')}`;
}

describe('GraphDirectory.lookup', () => {
  it('asks getByIds once per 1,000 distinct ids and leaves out ids Graph does not know', async () => {
    for (let i = 0; i < 2300; i++)
      graph.state.users.push({
        id: guid('b000', i),
        displayName: `User ${i}`,
        userPrincipalName: `user${i}@contoso.example`,
      });
    graph.state.groups.push({ id: guid('c000', 1), displayName: 'grp-platform' });
    graph.state.servicePrincipals.push({
      id: guid('d000', 1),
      displayName: 'deploy-pipeline',
      appId: guid('d100', 1),
    });
    const ids = [
      ...graph.state.users.map((u) => u.id as string),
      guid('c000', 1),
      guid('d000', 1),
      guid('b000', 99999),
      guid('b000', 5).toUpperCase(),
    ];
    const found = await directory().lookup(ids);
    expect(graph.count('getByIds')).toBe(Math.ceil(2303 / 1000));
    expect(found).toHaveLength(2302);
    expect(found.find((p) => p.id === guid('c000', 1))).toEqual({
      id: guid('c000', 1),
      principalType: 'Group',
      displayName: 'grp-platform',
    });
    expect(found.find((p) => p.id === guid('d000', 1))).toEqual({
      id: guid('d000', 1),
      principalType: 'ServicePrincipal',
      displayName: 'deploy-pipeline',
    });
    expect(found.find((p) => p.id === guid('b000', 7))).toEqual({
      id: guid('b000', 7),
      principalType: 'User',
      displayName: 'User 7',
      userPrincipalName: 'user7@contoso.example',
    });
    expect(found.some((p) => p.id === guid('b000', 99999))).toBe(false);
    // Every call carried the bearer token and asked no more than 1,000 ids.
    for (const r of graph.requests) {
      expect(r.headers.authorization).toMatch(/^Bearer /);
      expect((r.body as { ids: string[] }).ids.length).toBeLessThanOrEqual(1000);
    }
  });

  it('asks for userType and accountEnabled, so a directly assigned guest or disabled user is flagged', async () => {
    graph.state.users.push(
      {
        id: guid('b000', 1),
        displayName: 'Gita (guest)',
        userPrincipalName: 'gita_fabrikam.example#EXT#@contoso.example',
        userType: 'Guest',
        accountEnabled: true,
        jobTitle: 'Contractor',
      },
      { id: guid('b000', 2), displayName: 'Old Admin', userType: 'Member', accountEnabled: false },
    );
    const found = await directory().lookup([guid('b000', 1), guid('b000', 2)]);
    expect(found).toEqual([
      {
        id: guid('b000', 1),
        principalType: 'User',
        displayName: 'Gita (guest)',
        userPrincipalName: 'gita_fabrikam.example#EXT#@contoso.example',
        userType: 'Guest',
        accountEnabled: true,
      },
      {
        id: guid('b000', 2),
        principalType: 'User',
        displayName: 'Old Admin',
        userType: 'Member',
        accountEnabled: false,
      },
    ]);
    expect(graph.requests[0].query.$select).toBe(
      'id,displayName,userPrincipalName,userType,accountEnabled',
    );
  });

  it('waits out a 429 (Retry-After) and answers', async () => {
    graph.state.users.push({ id: guid('b000', 1), displayName: 'Alice' });
    const throttled = graph.fault({ match: /getByIds/, status: 429, times: 2 });
    expect(await directory().lookup([guid('b000', 1)])).toHaveLength(1);
    expect(throttled.hits).toBe(2);
    expect(graph.count('getByIds')).toBe(3);
  });

  it('names the missing permission when Graph answers 403', async () => {
    graph.permissions.delete('User.Read.All');
    await expect(directory().lookup([guid('b000', 1)])).rejects.toThrow(GraphPermissionError);
    await expect(directory().lookup([guid('b000', 1)])).rejects.toThrow(/User\.Read\.All/);
  });
});

describe('GraphDirectory.transitiveUsers', () => {
  it('lists the users behind a group, nested groups included, with guest and disabled flags, page by page', async () => {
    graph.pageSize = 2;
    graph.state.users.push(
      {
        id: guid('b000', 1),
        displayName: 'Alice',
        userPrincipalName: 'alice@contoso.example',
        userType: 'Member',
        accountEnabled: true,
        mail: 'alice@contoso.example',
      },
      {
        id: guid('b000', 2),
        displayName: 'Gita (guest)',
        userPrincipalName: 'gita_fabrikam.example#EXT#@contoso.example',
        userType: 'Guest',
        accountEnabled: true,
      },
      {
        id: guid('b000', 3),
        displayName: 'Dan',
        userPrincipalName: 'dan@contoso.example',
        userType: 'Member',
        accountEnabled: false,
      },
    );
    graph.state.groups.push(
      { id: guid('c000', 2), displayName: 'nested', members: [guid('b000', 3)] },
      {
        id: guid('c000', 1),
        displayName: 'grp-oncall',
        members: [guid('b000', 1), guid('b000', 2), guid('c000', 2)],
      },
    );
    const result = await directory().transitiveUsers(guid('c000', 1));
    expect(result.complete).toBe(true);
    expect(result.count).toBe(3);
    expect(result.users).toEqual(
      expect.arrayContaining([
        {
          id: guid('b000', 2),
          principalType: 'User',
          displayName: 'Gita (guest)',
          userPrincipalName: 'gita_fabrikam.example#EXT#@contoso.example',
          userType: 'Guest',
          accountEnabled: true,
        },
        {
          id: guid('b000', 3),
          principalType: 'User',
          displayName: 'Dan',
          userPrincipalName: 'dan@contoso.example',
          userType: 'Member',
          accountEnabled: false,
        },
      ]),
    );
    const listings = graph.requests.filter((r) => r.route === 'transitiveMembers');
    expect(listings).toHaveLength(2);
    expect(listings[0].query.$select).toBe(
      'id,displayName,userPrincipalName,userType,accountEnabled',
    );
    expect(listings[0].headers.consistencylevel).toBe('eventual');
  });

  it('stops at the first page of a group of more than 1,000 users and reports its count', async () => {
    graph.pageSize = 999;
    const members: string[] = [];
    for (let i = 0; i < 1500; i++) {
      graph.state.users.push({ id: guid('b000', i), displayName: `User ${i}` });
      members.push(guid('b000', i));
    }
    graph.state.groups.push({ id: guid('c000', 1), displayName: 'all-staff', members });
    const result = await directory().transitiveUsers(guid('c000', 1));
    expect(result).toEqual(expect.objectContaining({ count: 1500, complete: false }));
    expect(result.users).toHaveLength(999);
    expect(graph.count('transitiveMembers')).toBe(1);
    expect(MEMBER_LIMIT).toBe(1000);
  });

  it('names GroupMember.Read.All when membership is refused', async () => {
    graph.state.groups.push({ id: guid('c000', 1), displayName: 'g', members: [] });
    graph.permissions.delete('GroupMember.Read.All');
    await expect(directory().transitiveUsers(guid('c000', 1))).rejects.toThrow(
      /GroupMember\.Read\.All/,
    );
  });
});

describe('GraphDirectory.credentialsForIssuers', () => {
  const ISSUER = 'https://westeurope.oic.prod-aks.azure.com/tenant/cluster-1/';

  it('finds app registrations trusting each issuer, with the service principal their grants name', async () => {
    graph.state.applications.push(
      {
        id: 'app-obj-1',
        appId: guid('a100', 1),
        displayName: 'web-frontend',
        federatedIdentityCredentials: [
          {
            name: 'aks',
            issuer: ISSUER,
            subject: 'system:serviceaccount:web:frontend',
            audiences: ['api://AzureADTokenExchange'],
          },
          {
            name: 'gh',
            issuer: 'https://token.actions.githubusercontent.com',
            subject: 'repo:contoso/web:ref:refs/heads/main',
          },
        ],
      },
      {
        id: 'app-obj-2',
        appId: guid('a100', 2),
        displayName: 'no-sp',
        federatedIdentityCredentials: [
          { name: 'aks', issuer: ISSUER, subject: 'system:serviceaccount:web:batch' },
        ],
      },
      {
        id: 'app-obj-3',
        appId: guid('a100', 3),
        displayName: 'elsewhere',
        federatedIdentityCredentials: [
          { name: 'aks', issuer: 'https://other.example/', subject: 'system:serviceaccount:x:y' },
        ],
      },
    );
    graph.state.servicePrincipals.push({
      id: guid('d000', 1),
      appId: guid('a100', 1),
      displayName: 'web-frontend',
    });
    const credentials = await directory().credentialsForIssuers([ISSUER]);
    expect(
      credentials.map((c) => [c.subject, c.identity.displayName, c.identity.principalId]),
    ).toEqual([
      ['system:serviceaccount:web:frontend', 'web-frontend', guid('d000', 1)],
      ['repo:contoso/web:ref:refs/heads/main', 'web-frontend', guid('d000', 1)],
      ['system:serviceaccount:web:batch', 'no-sp', undefined],
    ]);
    const query = graph.requests.find((r) => r.route === 'applications')!;
    expect(query.query.$filter).toBe(`federatedIdentityCredentials/any(f:f/issuer eq '${ISSUER}')`);
  });

  it('names Application.Read.All when app registrations are refused', async () => {
    graph.permissions.delete('Application.Read.All');
    await expect(directory().credentialsForIssuers([ISSUER])).rejects.toThrow(
      /Application\.Read\.All/,
    );
  });
});
