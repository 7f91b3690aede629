import { clusterArgs, configurationCheck } from './common';

export const workloadIdentityEnabled = configurationCheck(
  {
    id: 'workload-identity-enabled',
    title: 'Microsoft Entra Workload ID is enabled',
    severity: 'medium',
    rationale:
      'With workload identity each pod gets its own Entra identity through a federated service-account token, ' +
      'instead of borrowing the node identity or carrying secrets.',
    references: [
      'https://learn.microsoft.com/azure/aks/workload-identity-overview',
      'https://learn.microsoft.com/azure/aks/workload-identity-deploy-cluster',
    ],
    // Workload identity needs the OIDC issuer; the flag is harmless when it is already on.
    failsWhen: '`securityProfile.workloadIdentity.enabled` is not `true`.',
    infrastructureAsCode: {
      bicep: 'properties.securityProfile.workloadIdentity.enabled: true',
      terraform: 'workload_identity_enabled = true',
    },
    remediation: (cluster) =>
      `az aks update ${clusterArgs(cluster)} --enable-oidc-issuer --enable-workload-identity`,
  },
  (cluster) =>
    cluster.workloadIdentityEnabled === true
      ? { status: 'pass', detail: 'Workload identity is enabled.' }
      : {
          status: 'fail',
          detail:
            'Workload identity is not enabled (securityProfile.workloadIdentity.enabled is not true).',
        },
);
