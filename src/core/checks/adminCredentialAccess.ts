import type { AccessView } from '../access';
import type { PrincipalAccess } from '../model';
import {
  accessCheck,
  clusterArgs,
  concatenated,
  count,
  describePrincipals,
  describeUnresolved,
  distinctAssignmentIds,
  mergeAssignmentIds,
  sharedPrincipalAccess,
  summariesOf,
  unresolvedOutcome,
  type DistinctAssignmentIds,
} from './common';

/** Who can fetch the admin credential through one part of the cluster's access. */
interface CredentialHolders {
  holders: readonly PrincipalAccess[];
  assignmentIds: DistinctAssignmentIds;
}

const holdersByView = new WeakMap<AccessView, CredentialHolders>();

function credentialHolders(part: AccessView): CredentialHolders {
  return {
    holders: part.privileged.filter((p) => p.capabilities.includes('admin-credential')).map(sharedPrincipalAccess),
    assignmentIds: distinctAssignmentIds(
      part.assignments.filter((r) => r.capabilities.includes('admin-credential')).map((r) => r.assignment),
    ),
  };
}

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
    const { cluster, access } = input;
    // Filters of the shared scope views, computed once per view (see `summariesOf`).
    const parts = summariesOf(input, holdersByView, credentialHolders);
    const holders = concatenated(parts, (p) => p.holders);
    const assignmentIds = mergeAssignmentIds(parts.map((p) => p.assignmentIds));
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
