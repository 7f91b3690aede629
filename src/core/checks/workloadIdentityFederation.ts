/**
 * `workload-identity-federation` (docs/access.md): the cluster's blast radius into Azure. A federated
 * identity credential whose issuer is this cluster's OIDC issuer lets a Kubernetes service
 * account act as an Entra identity; whoever can run a pod as that service account holds the
 * identity's Azure rights.
 */
import type { AccessIndex, ResolvedAssignment } from '../access';
import { credentialsForIssuer, type FederatedCredential } from '../federation';
import type { Cluster, Estate, PrincipalAccess } from '../model';
import { EVERY_CAPABILITY_COUNTS, roleCapabilities } from '../permissions';
import {
  ancestorScopes,
  isNormalisedManagementGroupScope,
  normaliseScope,
  scopeKind,
  type ScopeKind,
} from '../scope';
import {
  accessCheck,
  assignmentIdsOf,
  count,
  deleteAssignmentsCommand,
  describeUnresolved,
  principalAccessOf,
} from './common';
import { controlPlanePrivilegeReason } from './identityPrivilege';

const BROAD_SCOPES: ReadonlySet<ScopeKind> = new Set<ScopeKind>([
  'subscription',
  'managementGroup',
  'root',
]);

/** One grant of a federated identity, with the service accounts that reach it. */
interface Reach {
  resolved: ResolvedAssignment;
  identity: FederatedCredential['identity'];
  serviceAccounts: string[];
  /** Why the grant makes the federation dangerous, or undefined. */
  reason?: string;
}

// The normalised scopes at which an assignment covers some cluster of the estate (each cluster,
// its parents, resource group, subscription), built once per cluster list.
const coveringScopes = new WeakMap<readonly Cluster[], Set<string>>();

function scopesCoveringSomeCluster(clusters: readonly Cluster[]): Set<string> {
  let scopes = coveringScopes.get(clusters);
  if (!scopes) {
    scopes = new Set();
    for (const c of clusters) for (const s of ancestorScopes(c.id ?? '')) scopes.add(s);
    coveringScopes.set(clusters, scopes);
  }
  return scopes;
}

/**
 * Whether a grant is a cluster-admin path over a watched cluster: its role carries a capability
 * (counted as if Azure RBAC were on: over-report) at a scope covering one of the estate's
 * clusters. A management-group scope is taken to cover them all (a snapshot cannot say which
 * subscriptions it holds; live, over-reporting is the safe side).
 */
function clusterAdminPath(r: ResolvedAssignment, clusters: readonly Cluster[]): boolean {
  if (!r.role || roleCapabilities(r.role, EVERY_CAPABILITY_COUNTS).length === 0) return false;
  const scope = normaliseScope(r.assignment.scope ?? '');
  return isNormalisedManagementGroupScope(scope) || scopesCoveringSomeCluster(clusters).has(scope);
}

function reasonOf(r: ResolvedAssignment, clusters: readonly Cluster[]): string | undefined {
  const scope = r.assignment.scope || '/';
  const broad = BROAD_SCOPES.has(scopeKind(scope)) ? controlPlanePrivilegeReason(r) : undefined;
  if (broad) return `${broad} at ${scope}`;
  if (clusterAdminPath(r, clusters))
    return `${r.role!.roleName} (a cluster-admin path) at ${scope}`;
  return undefined;
}

function identityLabel(identity: FederatedCredential['identity']): string {
  const kind = identity.kind === 'application' ? 'app registration' : 'managed identity';
  const name =
    identity.displayName ??
    identity.resourceId ??
    identity.appId ??
    identity.principalId ??
    '(unknown)';
  return `${kind} ${name}${identity.principalId && identity.displayName ? ` (${identity.principalId})` : ''}`;
}

/** What could not be read and stands between this evaluation and a complete answer, as sentences. */
function gapsOf(estate: Readonly<Estate>): string[] {
  const gaps: string[] = [];
  for (const f of estate.failures ?? []) {
    if (f.part === 'identities')
      gaps.push(
        `federated credentials could not be read for ${f.subscriptionId === '*' ? 'the estate' : `subscription ${f.subscriptionId}`}: ${f.message}`,
      );
    // The identities' grants may sit in any subscription (docs/access.md: identity checks look everywhere).
    if (f.part === 'roleAssignments')
      gaps.push(
        `role assignments could not be read for subscription ${f.subscriptionId}: ${f.message}`,
      );
  }
  return gaps;
}

function reachOf(
  credentials: readonly FederatedCredential[],
  index: AccessIndex,
  clusters: readonly Cluster[],
): { reach: Reach[]; withoutPrincipal: FederatedCredential[] } {
  const byPrincipal = new Map<
    string,
    { identity: FederatedCredential['identity']; serviceAccounts: string[] }
  >();
  const withoutPrincipal: FederatedCredential[] = [];
  for (const c of credentials) {
    const key = c.identity.principalId?.trim().toLowerCase();
    if (!key) {
      withoutPrincipal.push(c);
      continue;
    }
    const entry = byPrincipal.get(key) ?? { identity: c.identity, serviceAccounts: [] };
    if (!entry.serviceAccounts.includes(c.subject)) entry.serviceAccounts.push(c.subject);
    byPrincipal.set(key, entry);
  }
  const reach: Reach[] = [];
  for (const { identity, serviceAccounts } of byPrincipal.values()) {
    serviceAccounts.sort();
    for (const resolved of index.assignmentsOfPrincipal(identity.principalId!)) {
      reach.push({ resolved, identity, serviceAccounts, reason: reasonOf(resolved, clusters) });
    }
  }
  return { reach, withoutPrincipal };
}

function principalOf(r: Reach, clusters: readonly Cluster[]): PrincipalAccess {
  const entry = principalAccessOf(r.resolved);
  entry.principalType ||= 'ServicePrincipal';
  // The identity's capabilities count wherever they reach a watched cluster (as if Azure RBAC were on).
  entry.capabilities =
    r.resolved.role && clusterAdminPath(r.resolved, clusters)
      ? roleCapabilities(r.resolved.role, EVERY_CAPABILITY_COUNTS)
      : [];
  entry.serviceAccounts = [...r.serviceAccounts];
  const federatedIdentity = r.identity.resourceId ?? r.identity.appId;
  if (federatedIdentity) entry.federatedIdentity = federatedIdentity;
  return entry;
}

function describeReach(r: Reach): string {
  return `${r.serviceAccounts.join(', ')} → ${identityLabel(r.identity)} → ${r.reason}`;
}

export const workloadIdentityFederation = accessCheck(
  {
    id: 'workload-identity-federation',
    title: "The cluster's service accounts cannot act as identities with broad Azure rights",
    severity: 'high',
    rationale:
      "A federated identity credential trusting the cluster's OIDC issuer lets a Kubernetes service account act as an Entra identity: " +
      'whoever can run a pod as that service account holds the identity’s Azure rights. That is the cluster’s blast radius into Azure.',
    references: [
      'https://learn.microsoft.com/azure/aks/workload-identity-overview',
      'https://learn.microsoft.com/azure/aks/workload-identity-deploy-cluster',
    ],
    failsWhen:
      "A federated identity credential whose issuer is this cluster's OIDC issuer URL lets a service account (`system:serviceaccount:<ns>:<name>`) act as an identity that holds Owner, Contributor, User Access Administrator or `roleAssignments/write` at subscription, management-group or root scope, or any cluster-admin path over a watched cluster (not applicable when the OIDC issuer is off; error when the federated credentials could not be read).",
    // Narrow the identity's grants (or delete the credential: `az identity federated-credential delete`).
    remediation: (_cluster, context) => deleteAssignmentsCommand(context),
  },
  ({ cluster, index, estate }) => {
    if (cluster.oidcIssuerEnabled !== true) {
      return {
        status: 'not-applicable',
        detail:
          'The OIDC issuer is off: no service account token of this cluster can be exchanged for an Entra token.',
        principals: [],
      };
    }
    const issuer = cluster.oidcIssuerUrl?.trim();
    if (!issuer) {
      return {
        status: 'error',
        detail:
          'The OIDC issuer is on but the cluster document carries no oidcIssuerProfile.issuerUrl, so the credentials that trust it cannot be found.',
        principals: [],
      };
    }
    if (!estate?.federatedCredentials) {
      return {
        status: 'error',
        detail:
          'The OIDC issuer is on, but no federated identity credentials were read. From a snapshot, export them into federated-credentials.json (see the README); ' +
          'auditing live Azure, the auditing identity needs Microsoft.ManagedIdentity/userAssignedIdentities/read.',
        principals: [],
      };
    }
    const clusters = estate.clusters ?? [];
    const credentials = credentialsForIssuer(estate.federatedCredentials, issuer);
    const { reach, withoutPrincipal } = reachOf(credentials, index, clusters);
    const flagged = reach.filter((r) => r.reason !== undefined);
    const unresolved = reach.filter((r) => !r.resolved.role).map((r) => r.resolved.assignment);
    const principals = reach.map((r) => principalOf(r, clusters));
    const gaps = gapsOf(estate);
    const gapNote = gaps.length > 0 ? ` Not everything could be read: ${gaps.join('; ')}.` : '';
    // Left out by choice (AUDIT_DIRECTORY=none), not by failure: said in the detail, not an error.
    const outOfScope = (estate.federatedCredentialsUnread ?? [])
      .map((u) => ` Note: ${u}.`)
      .join('');
    const noSp =
      withoutPrincipal.length > 0
        ? ` ${count(withoutPrincipal.length, 'credential')} trust an identity without a service principal (no role assignments): ${withoutPrincipal.map((c) => `${c.subject} → ${identityLabel(c.identity)}`).join('; ')}.`
        : '';

    if (flagged.length > 0) {
      return {
        status: 'fail',
        detail:
          `${count(flagged.length, 'broad grant')} ${flagged.length === 1 ? 'is' : 'are'} reachable from the cluster's service accounts through federated credentials: ${flagged.map(describeReach).join('; ')}.` +
          (unresolved.length > 0 ? ` ${describeUnresolved(unresolved)}` : '') +
          gapNote +
          outOfScope,
        principals,
        assignmentIds: assignmentIdsOf(flagged.map((r) => r.resolved.assignment)),
      };
    }
    if (gaps.length > 0) {
      return {
        status: 'error',
        detail: `Whether a service account of the cluster can act as a privileged identity is unknown.${gapNote}`,
        principals,
      };
    }
    if (unresolved.length > 0) {
      return {
        status: 'error',
        detail: `Whether the federated identities are privileged is unknown. ${describeUnresolved(unresolved)}`,
        principals,
      };
    }
    const identities = new Set(
      credentials.map((c) => c.identity.principalId ?? c.identity.appId ?? c.id),
    ).size;
    const summary =
      credentials.length === 0
        ? 'No federated identity credential trusts the cluster’s OIDC issuer.'
        : `${count(credentials.length, 'federated credential')} let the cluster's service accounts act as ${count(identities, 'identity', 'identities')}; none holds Owner, Contributor, User Access Administrator or role-assignment rights at subscription level or above, or a cluster-admin path.`;
    return { status: 'pass', detail: `${summary}${noSp}${outOfScope}`, principals };
  },
  { needsConfiguration: true },
);
