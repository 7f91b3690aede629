/** The alert the notifier tests send: local accounts re-enabled on aks-prod. */
import type { Alert } from '../../src/core/model';

export const SUB = '00000000-0000-0000-0000-000000000001';

export const clusterId = (rg: string, name: string) =>
  `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;

export function localAccountsAlert(overrides: Partial<Alert> = {}): Alert {
  return {
    dedupeKey: `${clusterId('rg-prod', 'aks-prod').toLowerCase()}|local-accounts-disabled`,
    clusterId: clusterId('rg-prod', 'aks-prod'),
    clusterName: 'aks-prod',
    subscriptionId: SUB,
    resourceGroup: 'rg-prod',
    severity: 'critical',
    kind: 'check-failed',
    checkId: 'local-accounts-disabled',
    title: 'aks-prod: local accounts re-enabled',
    before: 'Check local-accounts-disabled was passing.',
    after: 'Check local-accounts-disabled is failing: disableLocalAccounts is false.',
    remediation: 'az aks update --resource-group rg-prod --name aks-prod --disable-local-accounts',
    link: `https://auditor.example.net/api/dashboard/clusters/${SUB}/rg-prod/aks-prod`,
    createdAt: '2026-11-22T02:00:00.000Z',
    ...overrides,
  };
}
