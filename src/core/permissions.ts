/**
 * Permission maths for Azure role definitions (docs/architecture.md step 2, docs/access.md "Access").
 *
 * A role allows an action when some permission block has a matching `actions` pattern and no
 * matching `notActions` pattern IN THAT SAME BLOCK (blocks are unioned; a notAction never
 * subtracts from another block). Data actions live in a separate namespace: `dataActions` /
 * `notDataActions` never grant or remove a control-plane action and vice versa. In a pattern,
 * `*` matches any run of characters (including `/`); matching is case-insensitive; everything
 * else is literal.
 */
import { CAPABILITIES, type Capability, type Permission, type RoleDefinition } from './model';

export const ACTION_LIST_CLUSTER_ADMIN_CREDENTIAL =
  'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action';
/** The older access-profile API, which also hands out the `clusterAdmin` kubeconfig. */
export const ACTION_ACCESS_PROFILE_LIST_CREDENTIAL =
  'Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action';
export const ACTION_MANAGED_CLUSTER_WRITE = 'Microsoft.ContainerService/managedClusters/write';
export const ACTION_ROLE_ASSIGNMENT_WRITE = 'Microsoft.Authorization/roleAssignments/write';
/** Everything under this prefix is a Kubernetes API operation when Azure RBAC is on. */
export const MANAGED_CLUSTERS_DATA_PREFIX = 'Microsoft.ContainerService/managedClusters/';

/** Action patterns the `custom-role-wildcards` check flags (compared case-insensitively). */
export const FLAGGED_WILDCARD_ACTIONS = [
  '*',
  'Microsoft.ContainerService/*',
  'Microsoft.ContainerService/managedClusters/*',
] as const;

type Matcher = (lowerAction: string) => boolean;

// Compiled per distinct pattern, never per assignment. Patterns come from the role definitions
// of one estate, so the set is small; the cap only guards a long-lived host against drift.
const MATCHER_CACHE_LIMIT = 20_000;
const matcherCache = new Map<string, Matcher>();

const matchEverything: Matcher = () => true;

function compile(pattern: string): Matcher {
  const lower = pattern.toLowerCase();
  const firstStar = lower.indexOf('*');
  if (firstStar === -1) return (a) => a === lower;
  if (lower === '*') return matchEverything;
  if (firstStar === lower.length - 1) {
    const head = lower.slice(0, -1);
    return (a) => a.startsWith(head);
  }
  const source = lower
    .split('*')
    .map((literal) => literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))
    .join('[\\s\\S]*');
  const regex = new RegExp(`^${source}$`);
  return (a) => regex.test(a);
}

function matcherFor(pattern: string): Matcher {
  let matcher = matcherCache.get(pattern);
  if (matcher === undefined) {
    if (matcherCache.size >= MATCHER_CACHE_LIMIT) matcherCache.clear();
    matcher = compile(pattern);
    matcherCache.set(pattern, matcher);
  }
  return matcher;
}

/** Whether an action (or data action) pattern matches an operation: `*` = any run, case-insensitive. */
export function actionMatches(pattern: string, action: string): boolean {
  return matcherFor(pattern)(action.toLowerCase());
}

function anyMatches(patterns: readonly string[] | undefined, lowerAction: string): boolean {
  if (!patterns) return false;
  for (const pattern of patterns) {
    if (typeof pattern === 'string' && matcherFor(pattern)(lowerAction)) return true;
  }
  return false;
}

function blocks(role: RoleDefinition): readonly Permission[] {
  return Array.isArray(role.permissions) ? role.permissions : [];
}

/** Union over permission blocks of (`actions` minus that block's `notActions`). */
export function allowsAction(role: RoleDefinition, action: string): boolean {
  const lower = action.toLowerCase();
  for (const block of blocks(role)) {
    if (anyMatches(block.actions, lower) && !anyMatches(block.notActions, lower)) return true;
  }
  return false;
}

/** Union over permission blocks of (`dataActions` minus that block's `notDataActions`). */
export function allowsDataAction(role: RoleDefinition, dataAction: string): boolean {
  const lower = dataAction.toLowerCase();
  for (const block of blocks(role)) {
    if (anyMatches(block.dataActions, lower) && !anyMatches(block.notDataActions, lower))
      return true;
  }
  return false;
}

/**
 * Whether a glob covers EVERY operation under `lowerPrefix` (which ends in `/`). It must end in
 * `*`, and what precedes that final `*` must match some prefix of `lowerPrefix`: then the `*`
 * absorbs the rest of the prefix and whatever follows it.
 */
function coversAllUnder(pattern: string, lowerPrefix: string): boolean {
  const lower = pattern.toLowerCase();
  if (!lower.endsWith('*')) return false;
  const head = lower.slice(0, -1);
  if (!head.includes('*')) return lowerPrefix.startsWith(head);
  const source = head
    .split('*')
    .map((literal) => literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))
    .join('[\\s\\S]*');
  return new RegExp(`^${source}`).test(lowerPrefix);
}

/**
 * Whether a glob matches AT LEAST ONE operation under `lowerPrefix`. Without `*` it must itself
 * lie under the prefix. With `*`, its literal head (before the first `*`) must be compatible with
 * the prefix (one a prefix of the other): the `*` can then absorb the difference and the rest of
 * the pattern can be satisfied by choosing the remainder of the operation name.
 */
function touchesAnythingUnder(pattern: string, lowerPrefix: string): boolean {
  const lower = pattern.toLowerCase();
  const firstStar = lower.indexOf('*');
  if (firstStar === -1) return lower.length > lowerPrefix.length && lower.startsWith(lowerPrefix);
  const head = lower.slice(0, firstStar);
  return lowerPrefix.startsWith(head) || head.startsWith(lowerPrefix);
}

/**
 * Whether the role grants, in one block, a data-action wildcard covering every operation under
 * `Microsoft.ContainerService/managedClusters/` (e.g. `*`, `Microsoft.ContainerService/*`,
 * `Microsoft.ContainerService/managedClusters/*`) with no `notDataActions` entry in that block
 * removing anything under it. That is Kubernetes cluster-admin through Azure RBAC (AKS RBAC
 * Cluster Admin); AKS RBAC Admin, which carves out namespaces and resource quotas, is not.
 */
export function grantsUnrestrictedManagedClustersDataWildcard(role: RoleDefinition): boolean {
  const prefix = MANAGED_CLUSTERS_DATA_PREFIX.toLowerCase();
  for (const block of blocks(role)) {
    const dataActions = block.dataActions ?? [];
    if (!dataActions.some((p) => typeof p === 'string' && coversAllUnder(p, prefix))) continue;
    const notDataActions = block.notDataActions ?? [];
    if (!notDataActions.some((p) => typeof p === 'string' && touchesAnythingUnder(p, prefix)))
      return true;
  }
  return false;
}

/**
 * The role's `actions` entries (as written, first occurrence of each) that are one of the
 * wildcards the `custom-role-wildcards` check flags: `*`, `Microsoft.ContainerService/*`,
 * `Microsoft.ContainerService/managedClusters/*`, compared case-insensitively.
 */
export function roleWildcardActions(role: RoleDefinition): string[] {
  const flagged = new Set(FLAGGED_WILDCARD_ACTIONS.map((a) => a.toLowerCase()));
  const seen = new Set<string>();
  const found: string[] = [];
  for (const block of blocks(role)) {
    for (const action of block.actions ?? []) {
      if (typeof action !== 'string') continue;
      const lower = action.trim().toLowerCase();
      if (flagged.has(lower) && !seen.has(lower)) {
        seen.add(lower);
        found.push(action);
      }
    }
  }
  return found;
}

interface CachedCapabilities {
  withoutAzureRbac: Capability[];
  withAzureRbac: Capability[];
}

// Keyed by the definition object, not its guid: two estates (or a custom role edited between two
// reads) can carry different definitions under one guid. The access index holds one object per
// guid, so this is computed once per role guid per index, never per assignment.
const capabilityCache = new WeakMap<RoleDefinition, CachedCapabilities>();

function computeCapabilities(role: RoleDefinition): CachedCapabilities {
  const held = new Set<Capability>();
  if (
    allowsAction(role, ACTION_LIST_CLUSTER_ADMIN_CREDENTIAL) ||
    allowsAction(role, ACTION_ACCESS_PROFILE_LIST_CREDENTIAL)
  ) {
    held.add('admin-credential');
  }
  if (allowsAction(role, ACTION_MANAGED_CLUSTER_WRITE)) held.add('cluster-write');
  if (allowsAction(role, ACTION_ROLE_ASSIGNMENT_WRITE)) held.add('role-assignment-write');
  const withoutAzureRbac = Object.freeze(CAPABILITIES.filter((c) => held.has(c))) as Capability[];
  if (!grantsUnrestrictedManagedClustersDataWildcard(role)) {
    return { withoutAzureRbac, withAzureRbac: withoutAzureRbac };
  }
  held.add('kubernetes-cluster-admin');
  const withAzureRbac = Object.freeze(CAPABILITIES.filter((c) => held.has(c))) as Capability[];
  return { withoutAzureRbac, withAzureRbac };
}

/**
 * The privileged capabilities (docs/access.md) a role grants over a cluster, in `CAPABILITIES` order.
 * `kubernetes-cluster-admin` counts only when the cluster has Azure RBAC for Kubernetes on.
 * The returned array is shared and frozen: copy it before changing it.
 */
export function roleCapabilities(role: RoleDefinition, azureRbacEnabled: boolean): Capability[] {
  let cached = capabilityCache.get(role);
  if (cached === undefined) {
    cached = computeCapabilities(role);
    capabilityCache.set(role, cached);
  }
  return azureRbacEnabled ? cached.withAzureRbac : cached.withoutAzureRbac;
}
