import { clusterArgs, configurationCheck } from './common';

export const oidcIssuerEnabled = configurationCheck(
  {
    id: 'oidc-issuer-enabled',
    title: 'The OIDC issuer is enabled',
    severity: 'medium',
    rationale:
      'The OIDC issuer lets Entra ID trust tokens of Kubernetes service accounts: the prerequisite for workload identity federation.',
    references: ['https://learn.microsoft.com/azure/aks/use-oidc-issuer'],
    failsWhen: '`oidcIssuerProfile.enabled` is not `true`.',
    infrastructureAsCode: {
      bicep: 'properties.oidcIssuerProfile.enabled: true',
      terraform: 'oidc_issuer_enabled = true',
    },
    remediation: (cluster) => `az aks update ${clusterArgs(cluster)} --enable-oidc-issuer`,
  },
  (cluster) =>
    cluster.oidcIssuerEnabled === true
      ? { status: 'pass', detail: 'The OIDC issuer is enabled.' }
      : {
          status: 'fail',
          detail: 'The OIDC issuer is not enabled (oidcIssuerProfile.enabled is not true).',
        },
);
