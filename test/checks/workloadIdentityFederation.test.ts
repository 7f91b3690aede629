import { buildAccessIndex } from '../../src/core/access';
import { checkById } from '../../src/core/checks';
import type { CheckOutcome } from '../../src/core/checks/types';
import {
  credentialsForIssuer,
  issuerKey,
  normaliseFederatedCredential,
  serviceAccountOf,
  type FederatedCredential,
} from '../../src/core/federation';
import type { Estate, SourceFailure } from '../../src/core/model';
import { normaliseCluster, normaliseRoleAssignment } from '../../src/core/normalise';
import {
  CLUSTER_ID,
  SUBSCRIPTION,
  rawCluster,
  rawClusterWithoutProperties,
} from '../fixtures/checks/clusters';
import {
  MANAGEMENT_GROUP_SCOPE,
  OTHER_SUBSCRIPTION,
  RG_SCOPE,
  ROLES,
  SUB_SCOPE,
  azAssignment,
} from '../fixtures/checks/access';

const ISSUER = 'https://westeurope.oic.prod-aks.azure.com/tenant/guid/';
const IDENTITY_PRINCIPAL = 'f0f0f0f0-0000-4000-8000-000000000001';
const IDENTITY_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-payments`;
const SP = 'ServicePrincipal';

/** One entry of `az identity federated-credential list`, with the principalId the README's loop adds. */
function azCredential(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    audiences: ['api://AzureADTokenExchange'],
    id: `${IDENTITY_ID}/federatedIdentityCredentials/payments-api`,
    issuer: ISSUER,
    name: 'payments-api',
    resourceGroup: 'rg-identities',
    subject: 'system:serviceaccount:payments:api',
    type: 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials',
    principalId: IDENTITY_PRINCIPAL,
    ...overrides,
  };
}

interface Fixture {
  credentials?: Record<string, unknown>[];
  assignments?: Record<string, unknown>[];
  failures?: SourceFailure[];
  unread?: string[];
  cluster?: unknown;
  /** Credentials already in the model's shape (app registrations come from Graph, not a file). */
  extra?: FederatedCredential[];
}

function evaluate(fixture: Fixture): CheckOutcome & { remediation: string } {
  const cluster = normaliseCluster(fixture.cluster ?? rawCluster('az'), 'clusters.json[0]');
  const estate: Estate = {
    source: 'snapshot',
    clusters: [cluster],
    roleAssignments: (fixture.assignments ?? []).map((raw, i) =>
      normaliseRoleAssignment(raw, `role-assignments.json[${i}]`),
    ),
    roleDefinitions: [],
    failures: fixture.failures ?? [],
  };
  if (fixture.credentials)
    estate.federatedCredentials = fixture.credentials
      .map((raw, i) => normaliseFederatedCredential(raw, `federated-credentials.json[${i}]`))
      .concat(fixture.extra ?? []);
  if (fixture.unread) estate.federatedCredentialsUnread = fixture.unread;
  const index = buildAccessIndex(estate);
  const check = checkById('workload-identity-federation')!;
  const outcome = check.evaluate({ cluster, access: index.forCluster(cluster), index, estate });
  return {
    ...outcome,
    remediation: check.remediation(cluster, { assignmentIds: outcome.assignmentIds }),
  };
}

describe('federated credential helpers', () => {
  it.each([
    ['https://a.example/x/', 'https://A.example/x', true],
    ['https://a.example/x//', 'https://a.example/x', true],
    ['https://a.example/x', 'https://a.example/y', false],
  ])('issuer %s vs %s: same = %s', (a, b, same) => {
    expect(issuerKey(a) === issuerKey(b)).toBe(same);
  });

  it.each([
    ['system:serviceaccount:payments:api', { namespace: 'payments', name: 'api' }],
    ['system:serviceaccount:payments:', undefined],
    ['system:serviceaccount::api', undefined],
    ['System:ServiceAccount:payments:api', undefined],
    ['repo:contoso/app:ref:refs/heads/main', undefined],
  ])('subject %s', (subject, expected) => {
    expect(serviceAccountOf(subject)).toEqual(expected);
  });

  it('only service-account subjects of the issuer count', () => {
    const credentials = [
      azCredential(),
      azCredential({
        id: `${IDENTITY_ID}/federatedIdentityCredentials/gh`,
        subject: 'repo:contoso/app:ref:refs/heads/main',
      }),
      azCredential({
        id: `${IDENTITY_ID}/federatedIdentityCredentials/other`,
        issuer: 'https://other.example/',
      }),
    ].map((raw, i) => normaliseFederatedCredential(raw, `f[${i}]`));
    expect(
      credentialsForIssuer(credentials, ISSUER.toUpperCase().replace(/\/$/, '')).map((c) => c.name),
    ).toEqual(['payments-api']);
  });

  it('reads the ARM REST shape and names the identity from the credential id', () => {
    const credential = normaliseFederatedCredential(
      {
        id: `${IDENTITY_ID}/federatedIdentityCredentials/fc`,
        name: 'fc',
        properties: { issuer: ISSUER, subject: 'system:serviceaccount:a:b', audiences: ['x'] },
        principalId: IDENTITY_PRINCIPAL,
      },
      'f[0]',
    );
    expect(credential).toEqual({
      id: `${IDENTITY_ID}/federatedIdentityCredentials/fc`,
      name: 'fc',
      issuer: ISSUER,
      subject: 'system:serviceaccount:a:b',
      audiences: ['x'],
      identity: {
        kind: 'managedIdentity',
        principalId: IDENTITY_PRINCIPAL,
        resourceId: IDENTITY_ID,
        displayName: 'id-payments',
      },
    });
  });

  it.each([
    [{ principalId: undefined }, 'f[3]: entry has no "principalId"'],
    [{ issuer: '' }, 'f[3]: entry has no "issuer"'],
    [{ subject: null }, 'f[3]: entry has no "subject"'],
    [{ id: undefined }, 'f[3]: entry has no "id"'],
  ])('an entry without a required field is named: %j', (change, message) => {
    expect(() => normaliseFederatedCredential(azCredential(change), 'f[3]')).toThrow(message);
  });
});

describe('workload-identity-federation', () => {
  it('fails when a service account can act as an identity with Contributor on the subscription, listing the chain', () => {
    const grant = azAssignment({
      principalId: IDENTITY_PRINCIPAL,
      principalType: SP,
      role: ROLES.contributor,
      scope: SUB_SCOPE,
    });
    const outcome = evaluate({ credentials: [azCredential()], assignments: [grant] });
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toContain(
      'system:serviceaccount:payments:api → managed identity id-payments',
    );
    expect(outcome.detail).toContain(`Contributor at ${SUB_SCOPE}`);
    expect(outcome.principals).toEqual([
      expect.objectContaining({
        principalId: IDENTITY_PRINCIPAL,
        roleName: 'Contributor',
        scope: SUB_SCOPE,
        serviceAccounts: ['system:serviceaccount:payments:api'],
      }),
    ]);
    expect(outcome.remediation).toBe(`az role assignment delete --ids ${grant.id as string}`);
  });

  it('fails for Owner in another subscription and at a management group (the identity is judged anywhere)', () => {
    for (const scope of [`/subscriptions/${OTHER_SUBSCRIPTION}`, MANAGEMENT_GROUP_SCOPE, '/']) {
      const outcome = evaluate({
        credentials: [azCredential()],
        assignments: [
          azAssignment({
            principalId: IDENTITY_PRINCIPAL,
            principalType: SP,
            role: ROLES.owner,
            scope,
          }),
        ],
      });
      expect(outcome.status).toBe('fail');
    }
  });

  it('fails when the identity holds a cluster-admin path over a watched cluster, even at resource-group scope', () => {
    const outcome = evaluate({
      credentials: [azCredential()],
      assignments: [
        azAssignment({
          principalId: IDENTITY_PRINCIPAL,
          principalType: SP,
          role: ROLES.aksClusterAdminRole,
          scope: RG_SCOPE,
        }),
      ],
    });
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toContain('a cluster-admin path');
    expect(outcome.principals?.[0]?.capabilities).toContain('admin-credential');
  });

  it('passes, listing the reach, when the identity holds narrow roles only', () => {
    const outcome = evaluate({
      credentials: [azCredential()],
      assignments: [
        azAssignment({
          principalId: IDENTITY_PRINCIPAL,
          principalType: SP,
          role: ROLES.reader,
          scope: SUB_SCOPE,
        }),
        azAssignment({
          principalId: IDENTITY_PRINCIPAL,
          principalType: SP,
          role: ROLES.contributor,
          scope: `${RG_SCOPE}-data`,
        }),
      ],
    });
    expect(outcome.status).toBe('pass');
    expect(outcome.principals?.map((p) => p.roleName).sort()).toEqual(['Contributor', 'Reader']);
    expect(
      outcome.principals?.every(
        (p) => p.serviceAccounts?.[0] === 'system:serviceaccount:payments:api',
      ),
    ).toBe(true);
  });

  it('ignores credentials of another issuer and non-service-account subjects', () => {
    const owner = azAssignment({
      principalId: IDENTITY_PRINCIPAL,
      principalType: SP,
      role: ROLES.owner,
      scope: SUB_SCOPE,
    });
    expect(
      evaluate({
        credentials: [azCredential({ issuer: 'https://other.example/' })],
        assignments: [owner],
      }).status,
    ).toBe('pass');
    expect(
      evaluate({
        credentials: [azCredential({ subject: 'repo:contoso/app:environment:prod' })],
        assignments: [owner],
      }).status,
    ).toBe('pass');
  });

  it('matches the issuer case-insensitively with the trailing slash ignored', () => {
    const owner = azAssignment({
      principalId: IDENTITY_PRINCIPAL,
      principalType: SP,
      role: ROLES.owner,
      scope: SUB_SCOPE,
    });
    expect(
      evaluate({
        credentials: [
          azCredential({ issuer: 'HTTPS://westeurope.oic.prod-aks.azure.com/tenant/guid' }),
        ],
        assignments: [owner],
      }).status,
    ).toBe('fail');
  });

  it('is not applicable when the OIDC issuer is off, whatever a leftover issuerUrl says', () => {
    const cluster = rawCluster('az', { oidcIssuerEnabled: false });
    const owner = azAssignment({
      principalId: IDENTITY_PRINCIPAL,
      principalType: SP,
      role: ROLES.owner,
      scope: SUB_SCOPE,
    });
    expect(evaluate({ cluster, credentials: [azCredential()], assignments: [owner] }).status).toBe(
      'not-applicable',
    );
  });

  it('is an error when the OIDC issuer is on and no federated credentials were read', () => {
    const outcome = evaluate({});
    expect(outcome.status).toBe('error');
    expect(outcome.detail).toContain('federated-credentials.json');
  });

  it('is an error when credentials of a subscription could not be read, unless a failure is already certain', () => {
    const failures: SourceFailure[] = [
      {
        subscriptionId: OTHER_SUBSCRIPTION,
        part: 'identities',
        message: 'HTTP 403 AuthorizationFailed',
      },
    ];
    const error = evaluate({ credentials: [], failures });
    expect(error.status).toBe('error');
    expect(error.detail).toContain('HTTP 403 AuthorizationFailed');
    const owner = azAssignment({
      principalId: IDENTITY_PRINCIPAL,
      principalType: SP,
      role: ROLES.owner,
      scope: SUB_SCOPE,
    });
    expect(evaluate({ credentials: [azCredential()], assignments: [owner], failures }).status).toBe(
      'fail',
    );
  });

  it('says so when app registrations were left out by choice (AUDIT_DIRECTORY=none), judging managed identities', () => {
    const unread = ['app registrations were not read (AUDIT_DIRECTORY=none)'];
    const pass = evaluate({ credentials: [], unread });
    expect(pass.status).toBe('pass');
    expect(pass.detail).toContain('Note: app registrations were not read (AUDIT_DIRECTORY=none).');
    const owner = azAssignment({
      principalId: IDENTITY_PRINCIPAL,
      principalType: SP,
      role: ROLES.owner,
      scope: SUB_SCOPE,
    });
    expect(evaluate({ credentials: [azCredential()], assignments: [owner], unread }).status).toBe(
      'fail',
    );
  });

  it('is an error when app registrations could not be read (Graph refused)', () => {
    const failures: SourceFailure[] = [
      {
        subscriptionId: '*',
        part: 'identities',
        message: 'app registrations could not be read from Microsoft Graph: HTTP 403',
      },
    ];
    const outcome = evaluate({ credentials: [], failures });
    expect(outcome.status).toBe('error');
    expect(outcome.detail).toContain(
      'for the estate: app registrations could not be read from Microsoft Graph: HTTP 403',
    );
  });

  it('is an error when the issuer URL is missing from the document, or the configuration was not returned', () => {
    expect(
      evaluate({
        cluster: rawCluster('az', { oidcIssuerProfile: { enabled: true } }),
        credentials: [],
      }).status,
    ).toBe('error');
    expect(evaluate({ cluster: rawClusterWithoutProperties(), credentials: [] }).status).toBe(
      'error',
    );
  });

  it('passes when no credential trusts the issuer', () => {
    const outcome = evaluate({ credentials: [] });
    expect(outcome.status).toBe('pass');
    expect(outcome.detail).toContain('No federated identity credential');
  });

  it('names an app registration without a service principal (it holds no role assignment) and passes', () => {
    const outcome = evaluate({
      credentials: [],
      extra: [
        {
          id: 'applications/app-1/federatedIdentityCredentials/fc',
          name: 'fc',
          issuer: ISSUER,
          subject: 'system:serviceaccount:web:frontend',
          identity: {
            kind: 'application',
            appId: 'a1a1a1a1-0000-4000-8000-000000000001',
            displayName: 'web-frontend',
          },
        },
      ],
    });
    expect(outcome.status).toBe('pass');
    expect(outcome.detail).toContain(
      'system:serviceaccount:web:frontend → app registration web-frontend',
    );
    expect(CLUSTER_ID).toContain('aks-prod');
  });
});
