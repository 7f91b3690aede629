import { clusterArgs, configurationCheck } from './common';

const ANYWHERE = '0.0.0.0/0';

export const apiServerAccessRestricted = configurationCheck(
  {
    id: 'api-server-access-restricted',
    title: 'The API server is private or limited to authorised IP ranges',
    severity: 'medium',
    rationale:
      'A public API server without authorised IP ranges can be reached, and its credentials tried, from anywhere on the internet.',
    references: [
      'https://learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges',
      'https://learn.microsoft.com/azure/aks/private-clusters',
    ],
    failsWhen:
      'The cluster is not private (`apiServerAccessProfile.enablePrivateCluster`) and `authorizedIPRanges` is empty, absent or contains `0.0.0.0/0`.',
    infrastructureAsCode: {
      bicep:
        "properties.apiServerAccessProfile.authorizedIPRanges: [ '<cidr>' ] (or enablePrivateCluster: true)",
      terraform:
        'api_server_access_profile { authorized_ip_ranges = ["<cidr>"] } (or private_cluster_enabled = true)',
    },
    remediation: (cluster) =>
      `az aks update ${clusterArgs(cluster)} --api-server-authorized-ip-ranges <cidr>`,
  },
  (cluster) => {
    const profile = cluster.apiServerAccess;
    if (profile?.enablePrivateCluster === true)
      return { status: 'pass', detail: 'The cluster is private.' };
    const ranges = (profile?.authorizedIpRanges ?? [])
      .map((r) => (typeof r === 'string' ? r.trim() : ''))
      .filter((r) => r !== '');
    if (ranges.length === 0) {
      return {
        status: 'fail',
        detail:
          'The API server is public and has no authorised IP ranges: it is reachable from anywhere.',
      };
    }
    if (ranges.includes(ANYWHERE)) {
      return {
        status: 'fail',
        detail: `The API server is public and its authorised IP ranges include ${ANYWHERE}: it is reachable from anywhere.`,
      };
    }
    return {
      status: 'pass',
      detail: `The API server is limited to authorised IP ranges: ${ranges.join(', ')}.`,
    };
  },
);
