import { clusterArgs, configurationCheck, findAddon, isTrue } from './common';

export const azurePolicyAddon = configurationCheck(
  {
    id: 'azure-policy-addon',
    title: 'The Azure Policy add-on is enabled',
    severity: 'low',
    rationale:
      'The Azure Policy add-on (Gatekeeper) provides admission control, e.g. enforcing the pod security baseline.',
    references: ['https://learn.microsoft.com/azure/aks/use-azure-policy'],
    failsWhen: 'The `azurepolicy` add-on is absent or not enabled.',
    infrastructureAsCode: {
      bicep: 'properties.addonProfiles.azurepolicy.enabled: true',
      terraform: 'azure_policy_enabled = true',
    },
    remediation: (cluster) => `az aks enable-addons --addons azure-policy ${clusterArgs(cluster)}`,
  },
  (cluster) => {
    const addon = findAddon(cluster, 'azurepolicy');
    if (!addon) return { status: 'fail', detail: 'The Azure Policy add-on is not installed.' };
    if (!isTrue(addon.enabled))
      return { status: 'fail', detail: 'The Azure Policy add-on is present but not enabled.' };
    return { status: 'pass', detail: 'The Azure Policy add-on is enabled.' };
  },
);
