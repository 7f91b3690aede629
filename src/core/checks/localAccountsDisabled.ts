import { clusterArgs, configurationCheck } from './common';

export const localAccountsDisabled = configurationCheck(
  {
    id: 'local-accounts-disabled',
    title: 'Local accounts (the static admin kubeconfig) are disabled',
    severity: 'high',
    rationale:
      'With local accounts enabled, anyone allowed to list the cluster admin credential gets a static cluster-admin kubeconfig ' +
      '(`az aks get-credentials --admin`) that bypasses Entra ID, Conditional Access, Kubernetes RBAC bindings and the audit trail of who did what.',
    references: [
      'https://learn.microsoft.com/azure/aks/manage-local-accounts-managed-azure-ad',
      'https://learn.microsoft.com/azure/aks/control-kubeconfig-access',
    ],
    failsWhen: '`disableLocalAccounts` is not `true`.',
    infrastructureAsCode: {
      bicep: 'properties.disableLocalAccounts: true',
      terraform: 'local_account_disabled = true',
    },
    remediation: (cluster) => `az aks update ${clusterArgs(cluster)} --disable-local-accounts`,
  },
  (cluster) => {
    if (cluster.disableLocalAccounts === true)
      return { status: 'pass', detail: 'Local accounts are disabled.' };
    const why =
      cluster.disableLocalAccounts === false
        ? 'disableLocalAccounts is false'
        : 'disableLocalAccounts is not set, so local accounts are on';
    return {
      status: 'fail',
      detail: `Local accounts are enabled (${why}): the static admin kubeconfig can be fetched.`,
    };
  },
);
