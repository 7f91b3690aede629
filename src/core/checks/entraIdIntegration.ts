import { clusterArgs, configurationCheck } from './common';

export const entraIdIntegration = configurationCheck(
  {
    id: 'entra-id-integration',
    title: 'Cluster authentication uses managed Microsoft Entra ID integration',
    severity: 'high',
    rationale:
      'Managed Entra ID integration makes Entra ID the single source of identity for the cluster. ' +
      'The legacy integration relies on bring-your-own server and client applications, whose server secret has to be rotated and can leak.',
    references: [
      'https://learn.microsoft.com/azure/aks/enable-authentication-microsoft-entra-id',
      'https://learn.microsoft.com/azure/aks/concepts-identity',
    ],
    failsWhen:
      '`aadProfile` is absent or null, or `aadProfile.managed` is not `true` (the legacy integration with your own server and client applications).',
    infrastructureAsCode: {
      bicep:
        "properties.aadProfile: { managed: true, enableAzureRBAC: true, adminGroupObjectIDs: [ '<group-object-id>' ] }",
      terraform:
        'azure_active_directory_role_based_access_control { azure_rbac_enabled = true, admin_group_object_ids = ["<group-object-id>"] }',
    },
    remediation: (cluster) =>
      `az aks update ${clusterArgs(cluster)} --enable-aad --aad-admin-group-object-ids <group-object-id>`,
  },
  (cluster) => {
    const aad = cluster.aadProfile;
    if (!aad)
      return {
        status: 'fail',
        detail: 'The cluster has no Microsoft Entra ID integration (aadProfile is absent).',
      };
    if (aad.managed !== true) {
      return {
        status: 'fail',
        detail:
          'The cluster uses the legacy Entra ID integration with its own server and client applications (aadProfile.managed is not true).',
      };
    }
    return { status: 'pass', detail: 'Managed Microsoft Entra ID integration is enabled.' };
  },
);
