import { ChainedTokenCredential, CredentialUnavailableError } from '@azure/identity';
import {
  CREDENTIAL_HINT,
  describeAzureError,
  isCredentialError,
} from '../src/adapters/azureErrors';
import { failOnReason, nothingReadReason, trippingFindings } from '../src/core/gate';
import type { ClusterPosture, Finding, SourceFailure } from '../src/core/model';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';

function failure(
  subscriptionId: string,
  part: SourceFailure['part'],
  message = 'HTTP 500',
): SourceFailure {
  return { subscriptionId, part, message };
}

describe('nothingReadReason', () => {
  const noClusters = { clusters: [] };

  it('is undefined when a cluster was read, or when no subscription was asked for (a snapshot)', () => {
    expect(
      nothingReadReason({ clusters: [{} as never], failures: [failure(A, 'clusters')] }, [A]),
    ).toBeUndefined();
    expect(nothingReadReason({ ...noClusters, failures: [] }, [])).toBeUndefined();
  });

  it('is undefined when zero clusters were read successfully (an answer, not a failure)', () => {
    expect(nothingReadReason({ ...noClusters, failures: [] }, [A])).toBeUndefined();
    expect(
      nothingReadReason({ ...noClusters, failures: [failure(A, 'roleAssignments')] }, [A]),
    ).toBeUndefined();
  });

  it('is undefined when one subscription of two could be listed', () => {
    expect(
      nothingReadReason({ ...noClusters, failures: [failure(A, 'clusters')] }, [A, B]),
    ).toBeUndefined();
  });

  it('names the subscription(s) and the distinct reasons when every cluster listing failed', () => {
    expect(
      nothingReadReason(
        { ...noClusters, failures: [failure(A.toUpperCase(), 'clusters', 'no credential')] },
        [A],
      ),
    ).toBe(`nothing could be read from subscription ${A}: no credential`);
    const both = [
      failure(A, 'clusters', 'no credential'),
      failure(B, 'clusters', 'no credential'),
      failure(B, 'roleAssignments', 'other'),
    ];
    expect(nothingReadReason({ ...noClusters, failures: both }, [A, B])).toBe(
      'nothing could be read from any of the 2 subscriptions: no credential',
    );
    expect(
      nothingReadReason(
        { ...noClusters, failures: [failure('*', 'subscriptions', 'discovery failed')] },
        [A, B],
      ),
    ).toContain('discovery failed');
  });
});

function finding(
  checkId: string,
  status: Finding['status'],
  severity: Finding['severity'],
): Finding {
  return { checkId, status, severity, title: checkId, detail: '', remediation: '' };
}

function posture(name: string, findings: Finding[]): ClusterPosture {
  return {
    id: `/x/${name}`,
    name,
    subscriptionId: A,
    resourceGroup: 'rg',
    status: 'fail',
    score: 0,
    findings,
    privilegedPrincipals: [],
    evaluatedAt: '',
  };
}

describe('failOnReason', () => {
  const clusters = [
    posture('aks-a', [
      finding('low-check', 'fail', 'low'),
      finding('high-error', 'error', 'high'),
      finding('ok', 'pass', 'critical'),
    ]),
    posture('aks-b', [
      finding('critical-fail', 'fail', 'critical'),
      finding('na', 'not-applicable', 'critical'),
    ]),
  ];

  it('counts fail and error findings at or above the threshold, worst first', () => {
    expect(
      trippingFindings({ clusters }, 'high').map((f) => `${f.clusterName} ${f.checkId}`),
    ).toEqual(['aks-b critical-fail', 'aks-a high-error']);
    expect(failOnReason({ clusters, failures: [] }, 'high')).toBe(
      '--fail-on high: 2 findings at or above high: aks-b critical-fail (critical, fail), aks-a high-error (high, error: not evaluated)',
    );
  });

  it('does not trip on an exempted failure (accepted risk)', () => {
    const exempted = { ...finding('critical-fail', 'fail', 'critical'), exempted: true };
    expect(
      failOnReason({ clusters: [posture('aks-e', [exempted])], failures: [] }, 'info'),
    ).toBeUndefined();
  });

  it('does not trip on findings below the threshold, passes or not-applicable', () => {
    expect(
      failOnReason(
        {
          clusters: [
            posture('aks-c', [
              finding('low-check', 'error', 'low'),
              finding('c', 'not-applicable', 'critical'),
            ]),
          ],
          failures: [],
        },
        'medium',
      ),
    ).toBeUndefined();
  });

  it('trips on any read failure, whatever the findings', () => {
    expect(
      failOnReason(
        { clusters: [], failures: [failure(A, 'roleAssignments'), failure('*', 'directory')] },
        'critical',
      ),
    ).toBe(
      `--fail-on critical: 2 parts of the estate could not be read (roleAssignments of subscription ${A}, directory of the estate)`,
    );
  });

  it('names a few and counts the rest', () => {
    const many = posture(
      'aks-m',
      Array.from({ length: 5 }, (_, i) => finding(`c${i}`, 'fail', 'high')),
    );
    expect(failOnReason({ clusters: [many], failures: [] }, 'info', 2)).toBe(
      '--fail-on info: 5 findings at or above info: aks-m c0 (high, fail), aks-m c1 (high, fail) and 3 more',
    );
  });
});

describe('describeAzureError', () => {
  it('turns a credential that could not get a token into what to do', async () => {
    const credential = new ChainedTokenCredential({
      getToken: async () => {
        throw new CredentialUnavailableError('EnvironmentCredential is unavailable.');
      },
    });
    const error = await credential
      .getToken('https://management.azure.com/.default')
      .catch((e: unknown) => e);
    expect(isCredentialError(error)).toBe(true);
    const text = describeAzureError(error);
    expect(text).toBe(`${CREDENTIAL_HINT} (ChainedTokenCredential authentication failed.)`);
    expect(text).toContain('az login');
    expect(text).toContain('AZURE_CLIENT_ID');
    expect(text).not.toContain('\n');
  });

  it('says which right is missing on 403 and what to check on 401; other errors as they are', () => {
    expect(
      describeAzureError({
        statusCode: 403,
        code: 'AuthorizationFailed',
        message: 'The client does not have authorization\nmore',
      }),
    ).toBe(
      'HTTP 403 AuthorizationFailed The client does not have authorization: the auditing identity needs Reader on the subscription (az role assignment create --assignee <its object id> --role Reader --scope /subscriptions/<subscription-id>)',
    );
    expect(
      describeAzureError({ statusCode: 401, code: 'InvalidAuthenticationToken', message: 'bad' }),
    ).toContain('az login --tenant');
    expect(
      describeAzureError({ statusCode: 500, code: 'InternalServerError', message: 'boom' }),
    ).toBe('HTTP 500 InternalServerError boom');
    // An HTTP answer is never a credential failure, whatever its text says.
    expect(
      isCredentialError({ statusCode: 400, message: 'AADSTS700016: application not found' }),
    ).toBe(false);
  });
});
