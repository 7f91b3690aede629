/** Reports built directly from the model types: the formats are pure functions over them. */
import {
  SEVERITIES,
  type ClusterPosture,
  type Finding,
  type Report,
  type Severity,
} from '../../src/core/model';
import type { CheckMeta } from '../../src/cli/formats';

export const SUB = '00000000-1111-2222-3333-444444444444';

export const CATALOGUE: CheckMeta[] = [
  {
    id: 'local-accounts-disabled',
    title: 'Local accounts are disabled',
    severity: 'high',
    category: 'configuration',
    rationale: 'The static --admin kubeconfig bypasses Entra ID, RBAC and audit.',
    remediation: 'az aks update -g <resource-group> -n <cluster-name> --disable-local-accounts',
    references: ['https://learn.microsoft.com/azure/aks/manage-local-accounts-managed-azure-ad'],
    failsWhen: '`disableLocalAccounts` is not `true`.',
    bicep: 'properties.disableLocalAccounts: true',
    terraform: 'local_account_disabled = true',
  },
  {
    id: 'admin-credential-access',
    title: 'Nobody can fetch the cluster-admin kubeconfig',
    severity: 'critical',
    category: 'access',
    rationale: 'Every such principal is a Kubernetes cluster-admin that no Entra policy sees.',
    remediation: 'az aks update -g <resource-group> -n <cluster-name> --disable-local-accounts',
    references: [],
    failsWhen: 'It fails.',
  },
  {
    id: 'control-plane-identity-least-privilege',
    title: 'The control-plane identity holds no subscription-wide write role',
    severity: 'medium',
    category: 'access',
    rationale:
      'The control-plane identity needs network and node-resource-group rights, not the subscription.',
    remediation:
      'az role assignment delete --assignee <principal-id> --scope /subscriptions/<subscription-id>',
    references: [],
    failsWhen: 'It fails.',
  },
  {
    id: 'defender-enabled',
    title: 'Defender for Containers is enabled',
    severity: 'low',
    category: 'configuration',
    rationale: 'Runtime threat detection.',
    remediation: 'az aks update -g <resource-group> -n <cluster-name> --enable-defender',
    references: [],
    failsWhen: 'It fails.',
  },
];

export function finding(
  checkId: string,
  status: Finding['status'],
  severity: Severity,
  extra: Partial<Finding> = {},
): Finding {
  return {
    checkId,
    status,
    severity,
    title: `Title of ${checkId}`,
    detail: `Detail of ${checkId}`,
    remediation: `az aks fix ${checkId}`,
    ...extra,
  };
}

export function cluster(
  name: string,
  resourceGroup: string,
  status: ClusterPosture['status'],
  findings: Finding[],
  extra: Partial<ClusterPosture> = {},
): ClusterPosture {
  return {
    id: `/subscriptions/${SUB}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`,
    name,
    subscriptionId: SUB,
    resourceGroup,
    status,
    score: status === 'pass' ? 100 : 40,
    findings,
    privilegedPrincipals: [],
    evaluatedAt: '2026-11-22T02:00:00.000Z',
    ...extra,
  };
}

const LONG_RG = 'rg-platform-shared-services-production-westeurope-0001-with-a-very-long-name';
const LONG_NAME = 'aks-platform-shared-services-production-westeurope-blue-green-cluster-0001';

export function sampleReport(): Report {
  const principal = {
    principalId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    principalType: 'User',
    displayName: 'Dave Jones',
    userPrincipalName: 'dave@contoso.example',
    roleName: 'Contributor',
    roleDefinitionId:
      '/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c',
    scope: `/subscriptions/${SUB}/resourceGroups/${LONG_RG}`,
    capabilities: ['admin-credential', 'cluster-write', 'role-assignment-write'] as const,
  };
  const prod = cluster(LONG_NAME, LONG_RG, 'fail', [
    finding('local-accounts-disabled', 'fail', 'high', {
      detail: 'disableLocalAccounts is not true: the static admin kubeconfig | bypasses Entra ID',
      remediation: `az aks update -g ${LONG_RG} -n ${LONG_NAME} --disable-local-accounts`,
    }),
    finding('admin-credential-access', 'fail', 'critical', {
      detail: 'Local accounts are enabled and 1 principal can fetch the cluster-admin credential',
      principals: [{ ...principal, capabilities: [...principal.capabilities] }],
    }),
    finding('control-plane-identity-least-privilege', 'error', 'medium', {
      detail: 'the role assignments of subscription could not be read: 403 AuthorizationFailed',
    }),
    finding('defender-enabled', 'pass', 'low'),
  ]);
  const dev = cluster('aks-dev', 'rg-dev', 'pass', [
    finding('local-accounts-disabled', 'pass', 'high'),
    finding('admin-credential-access', 'not-applicable', 'critical'),
    finding('control-plane-identity-least-privilege', 'pass', 'medium'),
    finding('defender-enabled', 'pass', 'low'),
  ]);
  const low = cluster('aks|pipe<b>', 'rg-low', 'fail', [
    finding('local-accounts-disabled', 'pass', 'high'),
    finding('admin-credential-access', 'not-applicable', 'critical'),
    finding('control-plane-identity-least-privilege', 'pass', 'medium'),
    finding('defender-enabled', 'fail', 'low', { detail: 'Defender | security monitoring is off' }),
  ]);
  const findingsBySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<
    Severity,
    number
  >;
  for (const c of [prod, dev, low])
    for (const f of c.findings) if (f.status === 'fail') findingsBySeverity[f.severity] += 1;
  return {
    schemaVersion: 1,
    generatedAt: '2026-11-22T02:00:00.000Z',
    source: 'snapshot',
    summary: { clusters: 3, failing: 2, findingsBySeverity },
    clusters: [prod, dev, low],
    failures: [],
  };
}

/** The sample report after a stored audit: two regressions on the first cluster, one on the third. */
export function reportWithRegressions(): Report {
  const report = sampleReport();
  const regression = {
    kind: 'check-failed' as const,
    checkId: 'local-accounts-disabled',
    before: 'pass',
    after: 'fail',
    severity: 'high' as const,
  };
  report.clusters[0].regressions = [regression, { ...regression, checkId: 'defender-enabled' }];
  report.clusters[2].regressions = [{ ...regression, checkId: 'defender-enabled' }];
  return report;
}

/**
 * The sample report with an access finding held by a group of 1,500 users (the first page of
 * two listed: a guest and a disabled account), named in the detail, and by a guest user
 * assigned directly.
 */
export function reportWithGroupMembers(): Report {
  const report = sampleReport();
  const grant = {
    roleName: 'Owner',
    roleDefinitionId: '/providers/Microsoft.Authorization/roleDefinitions/8e3af657',
    scope: `/subscriptions/${SUB}/resourceGroups/rg-dev`,
    capabilities: ['admin-credential' as const],
  };
  report.clusters[1] = cluster('aks-dev', 'rg-dev', 'fail', [
    finding('admin-credential-access', 'fail', 'critical', {
      detail: `Owner through grp-sre · Group ${GROUP_ID} and more.`,
      principals: [
        {
          ...grant,
          principalId: GROUP_ID,
          principalType: 'Group',
          displayName: 'grp-sre',
          members: {
            count: 1500,
            users: [
              {
                id: 'u-1',
                displayName: 'Frank Okafor',
                userPrincipalName: 'frank@fabrikam.example',
                guest: true,
                enabled: true,
              },
              { id: 'u-2', displayName: 'Grace Lee', guest: false, enabled: false },
            ],
          },
        },
        // The same group through a second grant: its members are listed once.
        { ...grant, scope: `/subscriptions/${SUB}`, principalId: GROUP_ID, principalType: 'Group' },
        {
          ...grant,
          principalId: 'u-3',
          principalType: 'User',
          displayName: 'Hana Ito',
          guest: true,
          enabled: false,
        },
      ],
    }),
  ]);
  return report;
}

export const GROUP_ID = '00000000-0000-4000-c000-0000000000aa';

export const ANSI = /\u001b\[[0-9;]*m/;
export const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');
