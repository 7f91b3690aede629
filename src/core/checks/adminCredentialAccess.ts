import { accessQuery } from '../accessQuery';
import {
  accessCheck,
  approvalOf,
  clusterArgs,
  count,
  describePrincipals,
  describeUnresolved,
  unresolvedOutcome,
} from './common';

export const adminCredentialAccess = accessCheck(
  {
    id: 'admin-credential-access',
    title: 'Nobody can fetch the static cluster-admin kubeconfig',
    severity: 'critical',
    rationale:
      'While local accounts are enabled, every principal allowed listClusterAdminCredential (or the older accessProfiles/listCredential) ' +
      'is a Kubernetes cluster-admin that no Entra policy, RBAC binding or audit trail sees. Owner and Contributor include it through `*`.',
    references: [
      'https://learn.microsoft.com/azure/aks/control-kubeconfig-access',
      'https://learn.microsoft.com/azure/aks/manage-local-accounts-managed-azure-ad',
    ],
    // Disabling local accounts removes the credential for everyone; removing role assignments
    // only for the principals listed today.
    failsWhen:
      'Local accounts are enabled (or the cluster has no Entra integration) and at least one principal can fetch the admin credential.',
    infrastructureAsCode: {
      bicep: 'properties.disableLocalAccounts: true',
      terraform: 'local_account_disabled = true',
    },
    remediation: (cluster) => `az aks update ${clusterArgs(cluster)} --disable-local-accounts`,
  },
  (input) => {
    const { cluster } = input;
    const access = accessQuery(input.access);
    // Approved holders are marked (their gains page nobody) but still count: with local accounts
    // on, the static kubeconfig bypasses Entra whoever fetches it.
    const holders = approvalOf(input, 'admin-credential-access').mark(
      access.holdersOf('admin-credential'),
    );
    // No assignment ids: the fix (disabling local accounts) removes the credential for everyone.
    const unresolved = access.access.unresolved;
    const unresolvedNote = unresolved.length > 0 ? ` ${describeUnresolved(unresolved)}` : '';

    // Without Entra integration the user kubeconfig is as good as the admin one, whatever the flag.
    if (!cluster.incomplete && cluster.disableLocalAccounts === true && cluster.aadProfile) {
      const could =
        holders.length > 0
          ? ` ${count(holders.length, 'assignment')} would allow fetching it if local accounts were re-enabled: ${describePrincipals(holders)}.`
          : '';
      return {
        status: 'pass',
        detail: `Local accounts are disabled, so the static admin kubeconfig cannot be fetched.${could}${unresolvedNote}`,
        principals: holders,
      };
    }

    if (holders.length > 0) {
      if (cluster.incomplete) {
        return {
          status: 'error',
          detail:
            `${count(holders.length, 'assignment')} ${holders.length === 1 ? 'allows' : 'allow'} fetching the admin credential (${describePrincipals(holders)}), ` +
            `but whether local accounts are enabled is unknown: ${cluster.incomplete}`,
          principals: holders,
        };
      }
      return {
        status: 'fail',
        detail:
          `Local accounts are enabled and ${count(holders.length, 'assignment')} ${holders.length === 1 ? 'allows' : 'allow'} fetching the static cluster-admin kubeconfig: ` +
          `${describePrincipals(holders)}.${unresolvedNote}`,
        principals: holders,
      };
    }

    if (unresolved.length > 0) {
      return unresolvedOutcome(
        'Local accounts are enabled and whether these assignments allow fetching the admin credential is unknown.',
        unresolved,
        holders,
      );
    }
    return {
      status: 'pass',
      detail: 'No role assignment over the cluster allows fetching the admin credential.',
      principals: holders,
    };
  },
);
