import { addonConfigValue, clusterArgs, configurationCheck, findAddon, isTrue } from './common';

export const keyvaultSecretRotation = configurationCheck(
  {
    id: 'keyvault-secret-rotation',
    title: 'Key Vault secrets provider rotates mounted secrets',
    severity: 'low',
    rationale:
      'Without rotation, secrets mounted from Key Vault stay at their old value after they are rotated in the vault.',
    references: ['https://learn.microsoft.com/azure/aks/csi-secrets-store-configuration-options'],
    failsWhen:
      'The `azureKeyvaultSecretsProvider` add-on is enabled and `config.enableSecretRotation` is not `"true"` (not applicable when the add-on is off).',
    infrastructureAsCode: {
      bicep:
        "properties.addonProfiles.azureKeyvaultSecretsProvider.config.enableSecretRotation: 'true'",
      terraform: 'key_vault_secrets_provider { secret_rotation_enabled = true }',
    },
    remediation: (cluster) =>
      `az aks addon update ${clusterArgs(cluster)} --addon azure-keyvault-secrets-provider --enable-secret-rotation`,
  },
  (cluster) => {
    const addon = findAddon(cluster, 'azureKeyvaultSecretsProvider');
    if (!addon || !isTrue(addon.enabled)) {
      return {
        status: 'not-applicable',
        detail: 'The Azure Key Vault secrets provider add-on is not enabled.',
      };
    }
    const value = addonConfigValue(addon, 'enableSecretRotation');
    if (isTrue(value))
      return {
        status: 'pass',
        detail: 'Secret rotation is enabled for the Key Vault secrets provider.',
      };
    const shown = value === undefined ? 'not set' : `"${value}"`;
    return {
      status: 'fail',
      detail: `The Key Vault secrets provider is enabled but secret rotation is off (enableSecretRotation is ${shown}).`,
    };
  },
);
