import { configurationCheck, resourceGroupArg } from './common';

export const kubernetesRbacEnabled = configurationCheck(
  {
    id: 'kubernetes-rbac-enabled',
    title: 'Kubernetes RBAC is enabled',
    severity: 'critical',
    rationale:
      'Without Kubernetes RBAC there is no authorisation inside the cluster: every authenticated caller can do anything.',
    references: [
      'https://learn.microsoft.com/azure/aks/concepts-identity',
      'https://learn.microsoft.com/azure/aks/azure-ad-rbac',
    ],
    // RBAC cannot be switched on for an existing cluster: it has to be recreated (RBAC is the default).
    failsWhen: '`enableRBAC` is explicitly `false`.',
    infrastructureAsCode: {
      bicep: 'properties.enableRBAC: true',
      terraform: 'role_based_access_control_enabled = true',
    },
    remediation: (cluster) =>
      `az aks create -g ${resourceGroupArg(cluster)} -n <new-cluster-name> --enable-aad --enable-azure-rbac --disable-local-accounts`,
  },
  (cluster) => {
    if (cluster.enableRbac === false) {
      return {
        status: 'fail',
        detail:
          'Kubernetes RBAC is disabled (enableRBAC is false); it can only be enabled by recreating the cluster.',
      };
    }
    if (cluster.enableRbac === true)
      return { status: 'pass', detail: 'Kubernetes RBAC is enabled.' };
    return {
      status: 'pass',
      detail:
        'enableRBAC is not reported; AKS enables Kubernetes RBAC unless it is explicitly turned off.',
    };
  },
);
