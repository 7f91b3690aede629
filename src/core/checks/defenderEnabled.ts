import { clusterArgs, configurationCheck } from './common';

export const defenderEnabled = configurationCheck(
  {
    id: 'defender-enabled',
    title: 'Microsoft Defender for Containers security monitoring is enabled',
    severity: 'low',
    rationale:
      'The Defender sensor provides runtime threat detection on the nodes (credential theft, suspicious processes, crypto-mining).',
    references: [
      'https://learn.microsoft.com/azure/defender-for-cloud/defender-for-containers-introduction',
      'https://learn.microsoft.com/azure/defender-for-cloud/defender-for-containers-enable',
    ],
    failsWhen:
      '`securityProfile.defender.securityMonitoring.enabled` is not `true` (nor the legacy `securityProfile.azureDefender.enabled`).',
    infrastructureAsCode: {
      bicep:
        "properties.securityProfile.defender: { logAnalyticsWorkspaceResourceId: '<workspace-id>', securityMonitoring: { enabled: true } }",
      terraform: 'microsoft_defender { log_analytics_workspace_id = "<workspace-id>" }',
    },
    remediation: (cluster) => `az aks update ${clusterArgs(cluster)} --enable-defender`,
  },
  (cluster) =>
    cluster.defenderSecurityMonitoringEnabled === true
      ? { status: 'pass', detail: 'Defender security monitoring is enabled.' }
      : {
          status: 'fail',
          detail:
            'Defender security monitoring is not enabled (securityProfile.defender.securityMonitoring.enabled is not true).',
        },
);
