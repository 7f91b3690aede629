import { clusterArgs, configurationCheck } from './common';

export const podIdentityDisabled = configurationCheck(
  {
    id: 'pod-identity-disabled',
    title: 'The deprecated pod-managed identity add-on is off',
    severity: 'high',
    rationale:
      'Microsoft Entra pod-managed identity is deprecated (since 2022-10-24) and its NMI daemon intercepts every call to the ' +
      'instance metadata endpoint on every node; workload identity replaces it.',
    references: [
      'https://learn.microsoft.com/azure/aks/workload-identity-migrate-from-pod-identity',
      'https://learn.microsoft.com/azure/aks/use-azure-ad-pod-identity',
    ],
    // `--disable-pod-identity` is provided by the aks-preview CLI extension.
    failsWhen: '`podIdentityProfile.enabled` is `true`.',
    infrastructureAsCode: {
      bicep: 'properties.podIdentityProfile.enabled: false',
    },
    remediation: (cluster) => `az aks update ${clusterArgs(cluster)} --disable-pod-identity`,
  },
  (cluster) =>
    cluster.podIdentityEnabled === true
      ? {
          status: 'fail',
          detail:
            'Pod-managed identity is enabled (podIdentityProfile.enabled is true). Migrate workloads to workload identity, then disable it ' +
            '(the command needs the aks-preview extension: az extension add --name aks-preview).',
        }
      : { status: 'pass', detail: 'Pod-managed identity is not enabled.' },
);
