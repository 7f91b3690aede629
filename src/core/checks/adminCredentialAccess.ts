import type { PrincipalAccess } from '../model';
import {
  accessCheck,
  assignmentIdsOf,
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
    remediation: (cluster) => `az aks update ${clusterArgs(cluster)} --disable-local-accounts`,
  },
  ({ cluster, access }) => {
    const holders: PrincipalAccess[] = access.privileged
      .filter((p) => p.capabilities.includes('admin-credential'))
      .map((p) => ({ ...p, capabilities: [...p.capabilities] }));
    const assignmentIds = assignmentIdsOf(
      access.assignments.filter((r) => r.capabilities.includes('admin-credential')).map((r) => r.assignment),
    );
    const unresolvedNote = access.unresolved.length > 0 ? ` ${describeUnresolved(access.unresolved)}` : '';

    if (!cluster.incomplete && cluster.disableLocalAccounts === true) {
      const could = holders.length > 0
        ? ` ${count(holders.length, 'assignment')} would allow fetching it if local accounts were re-enabled: ${describePrincipals(holders)}.`
        : '';
      return {
        status: 'pass',
        detail: `Local accounts are disabled, so the static admin kubeconfig cannot be fetched.${could}`,
        principals: holders,
        assignmentIds,
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
          assignmentIds,
        };
      }
      return {
        status: 'fail',
        detail:
          `Local accounts are enabled and ${count(holders.length, 'assignment')} ${holders.length === 1 ? 'allows' : 'allow'} fetching the static cluster-admin kubeconfig: ` +
          `${describePrincipals(holders)}.${unresolvedNote}`,
        principals: holders,
        assignmentIds,
      };
    }

    if (access.unresolved.length > 0) {
      return unresolvedOutcome(
        'Local accounts are enabled and whether these assignments allow fetching the admin credential is unknown.',
        access.unresolved,
        holders,
      );
    }
    return { status: 'pass', detail: 'No role assignment over the cluster allows fetching the admin credential.', principals: holders };
  },
);
