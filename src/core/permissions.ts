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
/** The user kubeconfig: on a cluster without Entra integration it has the admin effect. */
export const ACTION_LIST_CLUSTER_USER_CREDENTIAL =
  'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action';
export const ACTION_MANAGED_CLUSTER_WRITE = 'Microsoft.ContainerService/managedClusters/write';
/** Command invoke: kubectl run in the cluster through ARM. */
export const ACTION_RUN_COMMAND = 'Microsoft.ContainerService/managedClusters/runCommand/action';
export const ACTION_TRUSTED_ACCESS_WRITE =
  'Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings/write';
/** The compute actions that put code on a cluster's nodes (docs/checks.md `node-access`). */
export const NODE_ACCESS_ACTIONS = [
  'Microsoft.Compute/virtualMachineScaleSets/write',
  'Microsoft.Compute/virtualMachineScaleSets/extensions/write',
  'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommand/action',
  'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/extensions/write',
] as const;
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
  return flaggedWildcards(role, 'actions');
}

/** The same for `dataActions` (with Azure RBAC on, `managedClusters/*` data is every Kubernetes API call). */
export function roleWildcardDataActions(role: RoleDefinition): string[] {
  return flaggedWildcards(role, 'dataActions');
}

function flaggedWildcards(role: RoleDefinition, list: 'actions' | 'dataActions'): string[] {
  const flagged = new Set(FLAGGED_WILDCARD_ACTIONS.map((a) => a.toLowerCase()));
  const seen = new Set<string>();
  const found: string[] = [];
  for (const block of blocks(role)) {
    for (const action of block[list] ?? []) {
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

/**
 * What, beyond the role, decides which capabilities a role assignment gives over a cluster: the
 * cluster's configuration, and what the assignment's scope covers (docs/checks.md "Capabilities").
 */
export interface CapabilityContext {
  /** Azure RBAC for Kubernetes is on: the unrestricted managedClusters data wildcard is cluster-admin. */
  azureRbac: boolean;
  /** No Entra integration (`aadProfile` absent): the user kubeconfig has the admin effect. */
  withoutEntra: boolean;
  /** `apiServerAccessProfile.disableRunCommand` is not true: runCommand reaches the API server. */
  runCommand: boolean;
  /** The scope covers the cluster (the cluster, its resource group, subscription, management group, root). */
  coversCluster: boolean;
  /** The scope covers the node resource group (it, a scale set in it, its subscription, management group, root). */
  coversNodes: boolean;
}

const CONTEXT_FIELDS = [
  'azureRbac',
  'withoutEntra',
  'runCommand',
  'coversCluster',
  'coversNodes',
] as const;
/** How many distinct contexts there are (one bit per field). */
export const CONTEXT_COUNT = 1 << CONTEXT_FIELDS.length;

/** The context as a small number (one bit per field): the key of the per-role cache and of shared views. */
export function contextKey(c: CapabilityContext): number {
  let key = 0;
  for (let bit = 0; bit < CONTEXT_FIELDS.length; bit++) if (c[CONTEXT_FIELDS[bit]]) key |= 1 << bit;
  return key;
}

export function contextOfKey(key: number): CapabilityContext {
  return {
    azureRbac: (key & 1) !== 0,
    withoutEntra: (key & 2) !== 0,
    runCommand: (key & 4) !== 0,
    coversCluster: (key & 8) !== 0,
    coversNodes: (key & 16) !== 0,
  };
}

/** What a role allows that matters for the capabilities, worked out once per definition. */
interface RoleGrants {
  adminCredential: boolean;
  userCredential: boolean;
  clusterWrite: boolean;
  roleAssignmentWrite: boolean;
  runCommand: boolean;
  trustedAccessWrite: boolean;
  kubernetesClusterAdmin: boolean;
  nodeAccess: boolean;
}

function grantsOf(role: RoleDefinition): RoleGrants {
  return {
    adminCredential:
      allowsAction(role, ACTION_LIST_CLUSTER_ADMIN_CREDENTIAL) ||
      allowsAction(role, ACTION_ACCESS_PROFILE_LIST_CREDENTIAL),
    userCredential: allowsAction(role, ACTION_LIST_CLUSTER_USER_CREDENTIAL),
    clusterWrite: allowsAction(role, ACTION_MANAGED_CLUSTER_WRITE),
    roleAssignmentWrite: allowsAction(role, ACTION_ROLE_ASSIGNMENT_WRITE),
    runCommand: allowsAction(role, ACTION_RUN_COMMAND),
    trustedAccessWrite: allowsAction(role, ACTION_TRUSTED_ACCESS_WRITE),
    kubernetesClusterAdmin: grantsUnrestrictedManagedClustersDataWildcard(role),
    nodeAccess: NODE_ACCESS_ACTIONS.some((action) => allowsAction(role, action)),
  };
}

/** The capabilities of docs/checks.md "Capabilities" in one context, in `CAPABILITIES` order. */
function capabilitiesIn(g: RoleGrants, c: CapabilityContext): Capability[] {
  const held = new Set<Capability>();
  if (c.coversCluster) {
    if (g.adminCredential || (c.withoutEntra && g.userCredential)) held.add('admin-credential');
    if (g.clusterWrite) held.add('cluster-write');
    if (g.roleAssignmentWrite) held.add('role-assignment-write');
    if (c.azureRbac && g.kubernetesClusterAdmin) held.add('kubernetes-cluster-admin');
    if (c.runCommand && g.runCommand) held.add('run-command');
    if (g.trustedAccessWrite) held.add('trusted-access-write');
  }
  if (c.coversNodes) {
    if (g.nodeAccess) held.add('node-access');
    // Role assignments written at the node resource group can grant the node actions: a path too.
    if (g.roleAssignmentWrite) held.add('role-assignment-write');
  }
  return internedCapabilities(CAPABILITIES.filter((cap) => held.has(cap)));
}

// Equal lists are one frozen array, whatever role or context they came from: a shared view can
// tell an unchanged entry by reference. At most 2^7 lists.
const capabilityLists = new Map<string, Capability[]>();
function internedCapabilities(list: Capability[]): Capability[] {
  const key = list.join(',');
  let interned = capabilityLists.get(key);
  if (interned === undefined)
    capabilityLists.set(key, (interned = Object.freeze(list) as Capability[]));
  return interned;
}

interface CachedCapabilities {
  byContext: Capability[][];
  /** The context bits whose value changes this role's capabilities in some context. */
  sensitivity: number;
}

// Keyed by the definition object, not its guid: two estates (or a custom role edited between two
// reads) can carry different definitions under one guid. The access index holds one object per
// guid, so this is computed once per role guid per index, never per assignment.
const capabilityCache = new WeakMap<RoleDefinition, CachedCapabilities>();

function cachedCapabilities(role: RoleDefinition): CachedCapabilities {
  let cached = capabilityCache.get(role);
  if (cached === undefined) {
    const grants = grantsOf(role);
    const byContext: Capability[][] = [];
    for (let key = 0; key < CONTEXT_COUNT; key++)
      byContext.push(capabilitiesIn(grants, contextOfKey(key)));
    let sensitivity = 0;
    for (let key = 0; key < CONTEXT_COUNT; key++)
      for (let bit = 1; bit < CONTEXT_COUNT; bit <<= 1)
        if (byContext[key] !== byContext[key ^ bit]) sensitivity |= bit;
    cached = { byContext, sensitivity };
    capabilityCache.set(role, cached);
  }
  return cached;
}

/**
 * The privileged capabilities (docs/checks.md "Capabilities") a role grants over a cluster in
 * this context, in `CAPABILITIES` order. Equal lists are the very same array, shared and
 * frozen: copy it before changing it.
 */
export function roleCapabilities(role: RoleDefinition, context: CapabilityContext): Capability[] {
  return cachedCapabilities(role).byContext[contextKey(context)];
}

/**
 * The context bits (see `contextKey`) this role's capabilities depend on: two contexts that agree
 * on these bits give the role the same capabilities. A view of assignments needs telling apart
 * only by the union of its roles' bits, so views are shared as widely as the roles allow.
 */
export function roleContextSensitivity(role: RoleDefinition): number {
  return cachedCapabilities(role).sensitivity;
}

/** Every capability counts: the widest reading, for when the cluster or the scope is not in question. */
export const EVERY_CAPABILITY_COUNTS: Readonly<CapabilityContext> = Object.freeze({
  azureRbac: true,
  withoutEntra: true,
  runCommand: true,
  coversCluster: true,
  coversNodes: true,
});
