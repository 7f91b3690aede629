import { clusterArgs, configurationCheck } from './common';

export const azureRbacAuthorization = configurationCheck(
  {
    id: 'azure-rbac-authorization',
    title: 'Kubernetes authorization uses Azure RBAC',
    severity: 'medium',
    rationale:
      'With Azure RBAC for Kubernetes authorization, permissions inside the cluster are Azure role assignments: ' +
      'granted, reviewed, governed (PIM) and audited in one place instead of per-cluster RoleBindings.',
    references: ['https://learn.microsoft.com/azure/aks/manage-azure-rbac'],
    // `--enable-aad` is refused on a cluster that already has managed Entra integration.
    failsWhen: '`aadProfile.enableAzureRBAC` is not `true`.',
    infrastructureAsCode: {
      bicep: 'properties.aadProfile.enableAzureRBAC: true',
      terraform: 'azure_active_directory_role_based_access_control { azure_rbac_enabled = true }',
    },
    remediation: (cluster) =>
      cluster.aadProfile?.managed === true
        ? `az aks update ${clusterArgs(cluster)} --enable-azure-rbac`
        : `az aks update ${clusterArgs(cluster)} --enable-aad --enable-azure-rbac`,
  },
  (cluster) => {
    if (cluster.aadProfile?.enableAzureRbac === true)
      return { status: 'pass', detail: 'Azure RBAC for Kubernetes authorization is enabled.' };
    const why = cluster.aadProfile
      ? 'aadProfile.enableAzureRBAC is not true'
      : 'there is no aadProfile';
    return {
      status: 'fail',
      detail: `Azure RBAC for Kubernetes authorization is not enabled (${why}).`,
    };
  },
);
