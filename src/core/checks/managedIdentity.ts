import type { Cluster } from '../model';
import type { CheckOutcome } from './types';
import { clusterArgs, configurationCheck, managedIdentityKind } from './common';

/** Shared with `user-assigned-control-plane-identity`, which is not-applicable when this fails. */
export function evaluateManagedIdentity(cluster: Cluster): CheckOutcome {
  const kind = managedIdentityKind(cluster);
  if (kind)
    return {
      status: 'pass',
      detail: `The control plane uses a ${kind === 'systemassigned' ? 'system' : 'user'}-assigned managed identity.`,
    };
  const type = cluster.identity?.type?.trim();
  const spn =
    cluster.servicePrincipalClientId && cluster.servicePrincipalClientId.toLowerCase() !== 'msi'
      ? ` (service principal client id ${cluster.servicePrincipalClientId})`
      : '';
  const why = type ? `identity.type is ${type}` : 'there is no managed identity';
  return {
    status: 'fail',
    detail: `The control plane uses a service principal with a secret${spn}: ${why}.`,
  };
}

export const managedIdentity = configurationCheck(
  {
    id: 'managed-identity',
    title: 'The cluster uses a managed identity, not a service principal',
    severity: 'medium',
    rationale:
      'A managed identity has no secret to rotate, expire or leak; a service principal secret has all three problems.',
    references: ['https://learn.microsoft.com/azure/aks/use-managed-identity'],
    failsWhen:
      '`identity.type` is not `SystemAssigned` or `UserAssigned` (a service principal with a secret is used).',
    infrastructureAsCode: {
      bicep:
        "identity: { type: 'UserAssigned', userAssignedIdentities: { '<identity-resource-id>': {} } }",
      terraform:
        'identity { type = "UserAssigned", identity_ids = ["<identity-resource-id>"] } (instead of service_principal)',
    },
    remediation: (cluster) => `az aks update ${clusterArgs(cluster)} --enable-managed-identity`,
  },
  evaluateManagedIdentity,
);
