import { addonConfigValue, clusterArgs, configurationCheck, findAddon, isTrue } from './common';

export const keyvaultSecretRotation = configurationCheck(
  {
    id: 'keyvault-secret-rotation',
    title: 'Key Vault secrets provider rotates mounted secrets',
    severity: 'low',
    rationale: 'Without rotation, secrets mounted from Key Vault stay at their old value after they are rotated in the vault.',
    references: ['https://learn.microsoft.com/azure/aks/csi-secrets-store-configuration-options'],
    remediation: (cluster) =>
      `az aks addon update ${clusterArgs(cluster)} --addon azure-keyvault-secrets-provider --enable-secret-rotation`,
  },
  (cluster) => {
    const addon = findAddon(cluster, 'azureKeyvaultSecretsProvider');
    if (!addon || !isTrue(addon.enabled)) {
      return { status: 'not-applicable', detail: 'The Azure Key Vault secrets provider add-on is not enabled.' };
    }
    const value = addonConfigValue(addon, 'enableSecretRotation');
    if (isTrue(value)) return { status: 'pass', detail: 'Secret rotation is enabled for the Key Vault secrets provider.' };
    const shown = value === undefined ? 'not set' : `"${value}"`;
    return { status: 'fail', detail: `The Key Vault secrets provider is enabled but secret rotation is off (enableSecretRotation is ${shown}).` };
  },
);
