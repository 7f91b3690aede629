import { clusterArgs, configurationCheck } from './common';

export const adminGroupConfigured = configurationCheck(
  {
    id: 'admin-group-configured',
    title: 'An Entra ID group administers the cluster',
    severity: 'low',
    rationale:
      'With managed Entra integration and no admin group, only the local admin account can administer the cluster, ' +
      'which pushes people towards the static admin kubeconfig.',
    references: ['https://learn.microsoft.com/azure/aks/enable-authentication-microsoft-entra-id'],
    failsWhen:
      'Managed Entra integration is on and `aadProfile.adminGroupObjectIDs` is empty or null (not applicable without managed Entra integration).',
    infrastructureAsCode: {
      bicep: "properties.aadProfile.adminGroupObjectIDs: [ '<group-object-id>' ]",
      terraform:
        'azure_active_directory_role_based_access_control { admin_group_object_ids = ["<group-object-id>"] }',
    },
    remediation: (cluster) =>
      `az aks update ${clusterArgs(cluster)} --aad-admin-group-object-ids <group-object-id>`,
  },
  (cluster) => {
    if (cluster.aadProfile?.managed !== true) {
      return { status: 'not-applicable', detail: 'Managed Entra ID integration is not enabled.' };
    }
    const groups = (cluster.aadProfile.adminGroupObjectIds ?? []).filter(
      (g) => typeof g === 'string' && g.trim() !== '',
    );
    if (groups.length === 0) {
      return {
        status: 'fail',
        detail: 'No admin group is configured (aadProfile.adminGroupObjectIDs is empty).',
      };
    }
    return { status: 'pass', detail: `Admin group(s) configured: ${groups.join(', ')}.` };
  },
);
