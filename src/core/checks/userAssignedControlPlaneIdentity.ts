import { clusterArgs, configurationCheck, managedIdentityKind } from './common';

export const userAssignedControlPlaneIdentity = configurationCheck(
  {
    id: 'user-assigned-control-plane-identity',
    title: 'The control plane uses a user-assigned managed identity',
    severity: 'low',
    rationale:
      'A user-assigned identity has a lifecycle independent of the cluster: its permissions can be granted before the cluster exists ' +
      'and survive a rebuild, instead of being re-granted to a new system-assigned identity each time.',
    references: ['https://learn.microsoft.com/azure/aks/use-managed-identity'],
    failsWhen:
      '`identity.type` is `SystemAssigned` (not applicable when `managed-identity` fails).',
    infrastructureAsCode: {
      bicep:
        "identity: { type: 'UserAssigned', userAssignedIdentities: { '<identity-resource-id>': {} } }",
      terraform: 'identity { type = "UserAssigned", identity_ids = ["<identity-resource-id>"] }',
    },
    remediation: (cluster) =>
      `az aks update ${clusterArgs(cluster)} --enable-managed-identity --assign-identity <identity-resource-id>`,
  },
  (cluster) => {
    const kind = managedIdentityKind(cluster);
    if (kind === undefined) {
      return {
        status: 'not-applicable',
        detail: 'The cluster does not use a managed identity (see managed-identity).',
      };
    }
    if (kind === 'systemassigned') {
      return {
        status: 'fail',
        detail: 'The control plane uses a system-assigned managed identity.',
      };
    }
    const ids = (cluster.identity?.userAssignedIdentities ?? [])
      .map((u) => u.resourceId)
      .filter(Boolean);
    return {
      status: 'pass',
      detail: `The control plane uses a user-assigned managed identity${ids.length ? `: ${ids.join(', ')}` : ''}.`,
    };
  },
);
