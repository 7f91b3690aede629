import { clusterArgs, configurationCheck } from './common';

export const runCommandDisabled = configurationCheck(
  {
    id: 'run-command-disabled',
    title: 'Command invoke (run command) is disabled',
    severity: 'medium',
    rationale:
      'Run command (`az aks command invoke`) runs kubectl in the cluster through Azure Resource Manager, past authorised IP ranges and private ' +
      "endpoints; on a cluster without managed Entra integration it runs with the cluster's own credential.",
    references: [
      'https://learn.microsoft.com/azure/aks/command-invoke',
      'https://learn.microsoft.com/azure/aks/access-private-cluster',
    ],
    failsWhen: '`apiServerAccessProfile.disableRunCommand` is not `true` (Azure Policy 89f2d532).',
    infrastructureAsCode: {
      bicep: 'properties.apiServerAccessProfile.disableRunCommand: true',
      terraform: 'run_command_enabled = false',
    },
    remediation: (cluster) => `az aks update ${clusterArgs(cluster)} --disable-run-command`,
  },
  (cluster) =>
    cluster.apiServerAccess?.disableRunCommand === true
      ? {
          status: 'pass',
          detail: 'Run command is disabled (apiServerAccessProfile.disableRunCommand is true).',
        }
      : {
          status: 'fail',
          detail:
            'Run command is enabled (apiServerAccessProfile.disableRunCommand is not true): whoever holds ' +
            'Microsoft.ContainerService/managedClusters/runCommand/action can run kubectl in the cluster through ARM, past network restrictions.',
        },
);
