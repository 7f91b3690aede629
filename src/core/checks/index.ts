/**
 * The check catalogue (docs/access.md), in catalogue order: configuration checks, then access checks.
 * Every evaluation runs each of these exactly once per cluster, in this order.
 */
import type { Cluster } from '../model';
import { addonIdentityLeastPrivilege } from './addonIdentityLeastPrivilege';
import { adminCredentialAccess } from './adminCredentialAccess';
import { adminGroupConfigured } from './adminGroupConfigured';
import { apiServerAccessRestricted } from './apiServerAccessRestricted';
import { azurePolicyAddon } from './azurePolicyAddon';
import { azureRbacAuthorization } from './azureRbacAuthorization';
import { clusterAdminPaths } from './clusterAdminPaths';
import { controlPlaneIdentityLeastPrivilege } from './controlPlaneIdentityLeastPrivilege';
import { customRoleWildcards } from './customRoleWildcards';
import { defenderEnabled } from './defenderEnabled';
import { entraIdIntegration } from './entraIdIntegration';
import { keyvaultSecretRotation } from './keyvaultSecretRotation';
import { kubeletIdentityLeastPrivilege } from './kubeletIdentityLeastPrivilege';
import { kubernetesRbacEnabled } from './kubernetesRbacEnabled';
import { localAccountsDisabled } from './localAccountsDisabled';
import { managedIdentity } from './managedIdentity';
import { oidcIssuerEnabled } from './oidcIssuerEnabled';
import { orphanedRoleAssignments } from './orphanedRoleAssignments';
import { podIdentityDisabled } from './podIdentityDisabled';
import { privilegedAccessViaGroups } from './privilegedAccessViaGroups';
import { runCommandDisabled } from './runCommandDisabled';
import type { CheckDefinition } from './types';
import { userAssignedControlPlaneIdentity } from './userAssignedControlPlaneIdentity';
import { workloadIdentityEnabled } from './workloadIdentityEnabled';
import { workloadIdentityFederation } from './workloadIdentityFederation';

export type {
  CheckCategory,
  CheckDefinition,
  CheckInput,
  CheckOutcome,
  RemediationContext,
} from './types';

export const CHECKS: readonly CheckDefinition[] = Object.freeze([
  entraIdIntegration,
  localAccountsDisabled,
  azureRbacAuthorization,
  kubernetesRbacEnabled,
  adminGroupConfigured,
  managedIdentity,
  userAssignedControlPlaneIdentity,
  oidcIssuerEnabled,
  workloadIdentityEnabled,
  podIdentityDisabled,
  apiServerAccessRestricted,
  runCommandDisabled,
  defenderEnabled,
  azurePolicyAddon,
  keyvaultSecretRotation,
  adminCredentialAccess,
  clusterAdminPaths,
  privilegedAccessViaGroups,
  customRoleWildcards,
  kubeletIdentityLeastPrivilege,
  addonIdentityLeastPrivilege,
  controlPlaneIdentityLeastPrivilege,
  orphanedRoleAssignments,
  workloadIdentityFederation,
]);

/**
 * The version of the catalogue: raise it with every change that lets an evaluation see more or
 * judge differently (a new check, a newly counted capability, a changed rule). Postures record
 * the version they were evaluated with, and the first evaluation under a new one re-baselines
 * silently instead of paging for what only the new catalogue sees (docs/checks.md "Regressions").
 * 1: the first catalogue. 2: every path to cluster-admin (run-command, trusted-access-write,
 * node-access, the user kubeconfig without Entra), cluster-admin-paths, run-command-disabled,
 * addon-identity-least-privilege, the wider kubelet role list, wildcard data actions.
 */
export const CATALOGUE_VERSION = 2;

const byId = new Map(CHECKS.map((check) => [check.id, check]));

/** A check by its public id (exact, as ids are a contract), or undefined. */
export function checkById(id: string): CheckDefinition | undefined {
  return byId.get(id);
}

/** A cluster standing for "your cluster" when the catalogue is shown without one. */
export const PLACEHOLDER_CLUSTER: Readonly<Cluster> = Object.freeze({
  id: '<cluster-id>',
  name: '<cluster-name>',
  subscriptionId: '<subscription-id>',
  resourceGroup: '<resource-group>',
  aadProfile: null,
  identity: null,
  kubeletIdentity: null,
  apiServerAccess: null,
  addons: {},
});

/** The remediation with placeholders (`<resource-group>`, `<cluster-name>`): for the catalogue. */
export function catalogueRemediation(check: CheckDefinition): string {
  return check.remediation(PLACEHOLDER_CLUSTER);
}
