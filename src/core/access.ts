/**
 * The access graph (docs/architecture.md step 2, docs/access.md "Access"): which role assignments cover a
 * cluster, what their roles effectively allow, and which privileged capabilities each principal
 * holds through which role and scope. Pure.
 *
 * The index is built once per estate and answers per cluster from frozen per-scope views that
 * every cluster under the same scope shares (core/accessViews). Checks do not read those views:
 * they ask core/accessQuery (`accessQuery(access).holdersOf('admin-credential')`).
 */
import { entraIntegrationOf } from './clusterFacts';
import { builtinRoleByGuid, builtinRoles } from './builtinRoles';
import type {
  Capability,
  Cluster,
  Estate,
  PrincipalAccess,
  RoleAssignment,
  RoleDefinition,
  SourceFailure,
} from './model';
import {
  addToGroup,
  buildView,
  concatenate,
  distinct,
  lastSegment,
  mayHoldRepeatedListings,
  principalKey,
  rememberViews,
  sealed,
  inContext,
  withoutRepeats,
  type Group,
  type GroupView,
  type GroupViews,
  principalAccess,
} from './accessViews';
import { buildDenyIndex } from './denyAssignments';
import { roleCatalogue, viewUnderDenies, type PrincipalDenies } from './grants';
import { contextKey, type CapabilityContext } from './permissions';
import { ancestorScopes, isNormalisedManagementGroupScope, normaliseScope } from './scope';

export { roleCapabilities } from './permissions';
export { accessViewsOf, type AccessView } from './accessViews';

/** One role assignment, with its role definition resolved (or not) and what it grants. */
export interface ResolvedAssignment {
  assignment: RoleAssignment;
  /** undefined when the role definition could not be resolved (neither built-in nor exported). */
  role: RoleDefinition | undefined;
  /** Privileged capabilities this assignment grants over the cluster it is evaluated for. */
  capabilities: Capability[];
}

/** Everything the access checks need about one cluster. */
export interface ClusterAccess {
  clusterId: string;
  /** Set when the role assignments covering this cluster could not be read: access checks are `error`. */
  unavailable?: string;
  /** Assignments whose scope covers the cluster (cluster, RG, subscription, management group, `/`). */
  assignments: ResolvedAssignment[];
  /** One entry per (assignment granting ≥ 1 capability), with role name, scope and capabilities. */
  privileged: PrincipalAccess[];
  /** Assignments over the cluster whose role definition could not be resolved. */
  unresolved: RoleAssignment[];
}

/** Built once per estate; each cluster's lookups touch only its own ancestor scopes. */
export interface AccessIndex {
  forCluster(cluster: Cluster): ClusterAccess;
  /** Every assignment of a principal at any scope (kubelet / control-plane identity checks). */
  assignmentsOfPrincipal(principalId: string): ResolvedAssignment[];
  /** Role definition by guid (built-ins merged with the estate's custom roles). */
  roleByGuid(guid: string): RoleDefinition | undefined;
  /** Whether the principal holds any role assignment at all, at any scope (a quick rejection). */
  isAssignedAnywhere(principalId: string): boolean;
}

// ---------------------------------------------------------------------------------------------
// Implementation
// ---------------------------------------------------------------------------------------------

/** The parts whose failure leaves "who can" unknown, as a failure message names them. */
const ACCESS_PARTS: ReadonlyMap<SourceFailure['part'], string> = new Map<
  SourceFailure['part'],
  string
>([
  ['roleAssignments', 'role assignments'],
  ['roleDefinitions', 'role definitions'],
  ['eligibility', 'PIM eligibilities'],
  ['denyAssignments', 'deny assignments'],
]);

const SLASH = 47;
// Scopes under a managed cluster resource (the cluster itself, its agent pools...).
const MANAGED_CLUSTER_MARKER = '/providers/microsoft.containerservice/managedclusters/';
const MANAGED_CLUSTER_MARKER_ANY_CASE =
  /\/providers\/microsoft\.containerservice\/managedclusters\//i;
const SUBSCRIPTIONS_ANY_CASE = /^\/subscriptions\//i;

/** Whether a clean id (leading `/`, no `//`, no trailing `/`) has more than `n` segments. */
function hasMoreSegmentsThan(id: string, n: number): boolean {
  let at = 0;
  for (let k = 0; k < n; k++) {
    at = id.indexOf('/', at + 1);
    if (at === -1) return false;
  }
  return true;
}

function isClean(id: string): boolean {
  const n = id.length;
  return (
    n > 1 &&
    id.charCodeAt(0) === SLASH &&
    id.charCodeAt(n - 1) !== SLASH &&
    id.charCodeAt(n - 1) > 32 &&
    id.indexOf('//') === -1
  );
}

/**
 * Whether an assignment scope is a resource (deeper than a resource group) that is not a managed
 * cluster or beneath one, e.g. a storage account or a key vault. Such a scope can never cover a
 * managed cluster, and in a large estate most assignments are of this kind: they are kept out of
 * the main index (no normalisation, no map entry) and indexed only if a lookup ever needs them.
 * Decided on the raw scope without allocating; anything unusual is left to the main index.
 */
function isUnrelatedResourceScope(rawScope: string): boolean {
  return (
    isClean(rawScope) &&
    SUBSCRIPTIONS_ANY_CASE.test(rawScope) &&
    hasMoreSegmentsThan(rawScope, 4) &&
    !MANAGED_CLUSTER_MARKER_ANY_CASE.test(rawScope)
  );
}

/** The same test on a normalised lookup key: is the answer in the side index? */
function isUnrelatedResourceKey(key: string): boolean {
  return (
    key.startsWith('/subscriptions/') &&
    hasMoreSegmentsThan(key, 4) &&
    !key.includes(MANAGED_CLUSTER_MARKER)
  );
}

/** The principal keys of the kubelet and control-plane identities of these clusters. */
function clusterIdentityKeys(clusters: readonly Cluster[] | undefined): Set<string> {
  const keys = new Set<string>();
  const add = (principalId: unknown) => {
    const key = typeof principalId === 'string' ? principalKey(principalId) : '';
    if (key !== '') keys.add(key);
  };
  for (const cluster of clusters ?? []) {
    add(cluster?.kubeletIdentity?.objectId);
    add(cluster?.identity?.principalId);
    for (const uai of cluster?.identity?.userAssignedIdentities ?? []) add(uai?.principalId);
  }
  return keys;
}

/**
 * The capabilities of a role whatever the cluster (`assignmentsOfPrincipal`, for the identity
 * checks, which judge roles, not paths over one cluster).
 */
const ANY_CLUSTER: CapabilityContext = Object.freeze({
  azureRbac: false,
  withoutEntra: false,
  runCommand: true,
  coversCluster: true,
  coversNodes: true,
});

/**
 * Only `node-access` and `role-assignment-write` come from the node resource group and its scale
 * sets: whatever the cluster's settings, their views are the same (and shared between clusters).
 */
const OVER_NODES_ONLY: CapabilityContext = Object.freeze({
  azureRbac: false,
  withoutEntra: false,
  runCommand: false,
  coversCluster: false,
  coversNodes: true,
});

/** The cluster's settings that decide which capabilities count (docs/checks.md "Capabilities"). */
function clusterSettings(
  cluster: Cluster,
): Pick<CapabilityContext, 'azureRbac' | 'withoutEntra' | 'runCommand'> {
  // A document without configuration says nothing: only what holds on any cluster counts (the
  // checks report what the settings might add as `error`, never as a guessed pass or fail).
  if (cluster.incomplete) return { azureRbac: false, withoutEntra: false, runCommand: false };
  return {
    azureRbac: cluster.aadProfile?.enableAzureRbac === true,
    withoutEntra: entraIntegrationOf(cluster) === 'none',
    runCommand: cluster.apiServerAccess?.disableRunCommand !== true,
  };
}

/** `/subscriptions/{id}` exactly (a normalised key). */
function isSubscriptionKey(key: string): boolean {
  return key.startsWith('/subscriptions/') && key.indexOf('/', 15) === -1;
}

/** The normalised scope of the cluster's node resource group, when the cluster names it. */
function nodeResourceGroupKey(cluster: Cluster, subscriptionId: string): string | undefined {
  const name = cluster.nodeResourceGroup?.trim().toLowerCase();
  if (!name || name.includes('/') || subscriptionId === '') return undefined;
  return `/subscriptions/${subscriptionId}/resourcegroups/${name}`;
}

const SCALE_SET_SCOPE = /\/providers\/microsoft\.compute\/virtualmachinescalesets\/[^/]/i;

/** The resource group key of a normalised scale-set scope (or of anything beneath one). */
function scaleSetResourceGroup(key: string): string | undefined {
  const parts = key.split('/');
  // ['', 'subscriptions', s, 'resourcegroups', rg, 'providers', 'microsoft.compute', 'virtualmachinescalesets', name, ...]
  if (parts.length < 9 || parts[1] !== 'subscriptions' || parts[3] !== 'resourcegroups')
    return undefined;
  if (
    parts[5] !== 'providers' ||
    parts[6] !== 'microsoft.compute' ||
    parts[7] !== 'virtualmachinescalesets'
  )
    return undefined;
  return parts.slice(0, 5).join('/');
}

function subscriptionFromId(id: string): string {
  const match = /^\/?subscriptions\/([^/]+)/i.exec(id.trim());
  return match ? match[1].toLowerCase() : '';
}

/**
 * Index the estate's role assignments by normalised scope (and management-group assignments by
 * the subscription whose listing returned them), so that each cluster's lookup touches only its
 * own ancestor scopes. Built-in role definitions are merged with the estate's; the estate's win
 * on a guid clash (they are what Azure returned for this tenant).
 */
export function buildAccessIndex(
  estate: Pick<Estate, 'roleAssignments' | 'roleDefinitions' | 'failures'> &
    Partial<Pick<Estate, 'clusters' | 'denyAssignments' | 'directory'>>,
): AccessIndex {
  // The estate's own definitions; the shipped built-ins answer for the rest (built on first use).
  const roles = new Map<string, RoleDefinition>();
  for (const role of estate.roleDefinitions ?? []) {
    const guid = (role.guid || lastSegment(role.id)).trim().toLowerCase();
    if (guid !== '') roles.set(guid, role);
  }
  const roleLookup = roleCatalogue(roles, { lookup: builtinRoleByGuid, all: builtinRoles });
  const denies = buildDenyIndex(estate.denyAssignments, estate.directory);

  const byScope = new Map<string, Group>();
  const managementGroupByListing = new Map<string, Group>();
  const managementGroupUnlisted: RoleAssignment[] = [];
  const unrelatedResourceAssignments: RoleAssignment[] = [];
  const allAssignments = estate.roleAssignments ?? [];
  for (const a of allAssignments) {
    const rawScope = a.scope ?? '';
    if (isUnrelatedResourceScope(rawScope)) {
      unrelatedResourceAssignments.push(a);
      continue;
    }
    const scope = normaliseScope(rawScope);
    if (isUnrelatedResourceKey(scope)) {
      // An unusually written scope (trailing slash, `//`) of the same kind: same side index.
      unrelatedResourceAssignments.push(a);
    } else if (!isNormalisedManagementGroupScope(scope)) {
      addToGroup(byScope, scope, a);
    } else {
      const listedIn = a.listedInSubscriptionId?.trim().toLowerCase();
      if (listedIn) addToGroup(managementGroupByListing, listedIn, a);
      else managementGroupUnlisted.push(a);
    }
  }

  // Only a cluster id of an unexpected shape ever looks here; built on that first lookup.
  let byUnrelatedScope: Map<string, Group> | undefined;
  function groupAt(key: string): Group | undefined {
    if (!isUnrelatedResourceKey(key)) return byScope.get(key);
    if (!byUnrelatedScope) {
      byUnrelatedScope = new Map();
      for (const a of unrelatedResourceAssignments)
        addToGroup(byUnrelatedScope, normaliseScope(a.scope), a);
    }
    return byUnrelatedScope.get(key);
  }

  // Views are keyed by the group object (an array, or a lone assignment) and the capability
  // context as far as the group's roles tell contexts apart (see `GroupViews`), built on first
  // use: the first from the members, any other from that one with its roles already resolved.
  // `mayHoldRepeats` is false for a group whose scope key rules out repeated listings (see
  // `mayHoldRepeatedListings`): its members are then taken as they are, without `distinct`.
  const viewsOfGroup = new WeakMap<object, GroupViews>();
  function viewOf(group: Group, context: CapabilityContext, mayHoldRepeats = true): GroupView {
    let views = viewsOfGroup.get(group);
    if (!views) {
      const members = !Array.isArray(group) ? [group] : mayHoldRepeats ? distinct(group) : group;
      const view = sealed(buildView(members, roleLookup, context));
      views = { sensitivity: view.sensitivity, byKey: new Map() };
      views.byKey.set(contextKey(context) & views.sensitivity, view);
      viewsOfGroup.set(group, views);
      return view;
    }
    const key = contextKey(context) & views.sensitivity;
    let view = views.byKey.get(key);
    if (view === undefined) {
      const base = views.byKey.values().next().value!;
      view = sealed(inContext(base, context, roleLookup));
      views.byKey.set(key, view);
    }
    return view;
  }

  // Assignments at a scale set (or beneath one), by the resource group the scale set is in: a
  // node resource group's scale sets. Built on the first cluster that names its node resource group.
  let scaleSetsByResourceGroup: Map<string, Group> | undefined;
  function scaleSetGroupIn(resourceGroupKey: string): Group | undefined {
    if (!scaleSetsByResourceGroup) {
      scaleSetsByResourceGroup = new Map();
      for (const a of unrelatedResourceAssignments) {
        if (!SCALE_SET_SCOPE.test(a.scope)) continue;
        const rg = scaleSetResourceGroup(normaliseScope(a.scope));
        if (rg !== undefined) addToGroup(scaleSetsByResourceGroup, rg, a);
      }
    }
    return scaleSetsByResourceGroup.get(resourceGroupKey);
  }

  // The node resource group and its scale sets as one group (one view per cluster, not two):
  // the group's own assignments first, then the scale sets'.
  const nodesGroups = new Map<string, Group | undefined>();
  function nodesGroup(nodeGroupKey: string): Group | undefined {
    if (nodesGroups.has(nodeGroupKey)) return nodesGroups.get(nodeGroupKey);
    const atGroup = byScope.get(nodeGroupKey);
    const atScaleSets = scaleSetGroupIn(nodeGroupKey);
    const members = (g: Group | undefined) => (g === undefined ? [] : Array.isArray(g) ? g : [g]);
    const group =
      atGroup === undefined
        ? atScaleSets
        : atScaleSets === undefined
          ? atGroup
          : [...members(atGroup), ...members(atScaleSets)];
    nodesGroups.set(nodeGroupKey, group);
    return group;
  }

  const unavailableBySubscription = new Map<string, string[]>();
  for (const failure of estate.failures ?? []) {
    const what = ACCESS_PARTS.get(failure.part);
    if (what === undefined) continue;
    const sub = (failure.subscriptionId ?? '*').trim().toLowerCase() || '*';
    const where = sub === '*' ? 'the estate' : `subscription ${sub}`;
    const messages = unavailableBySubscription.get(sub) ?? [];
    messages.push(`${what} could not be read for ${where}: ${failure.message}`);
    unavailableBySubscription.set(sub, messages);
  }

  function unavailableFor(subscriptionId: string): string | undefined {
    const messages: string[] = [...(unavailableBySubscription.get('*') ?? [])];
    if (subscriptionId === '') {
      // Which subscription the cluster is in is unknown: any access failure may concern it.
      for (const [sub, list] of unavailableBySubscription) if (sub !== '*') messages.push(...list);
    } else {
      messages.push(...(unavailableBySubscription.get(subscriptionId) ?? []));
    }
    return messages.length > 0 ? messages.join('; ') : undefined;
  }

  /**
   * The management-group groups that apply to a cluster of this subscription: the listing of its
   * own subscription, plus those whose listing is unknown (shared by every cluster). With an
   * unknown subscription, every listing applies: over-reporting is the safe side.
   */
  function managementGroupsFor(subscriptionId: string): Group[] {
    const groups: Group[] = [];
    if (subscriptionId === '') groups.push(...managementGroupByListing.values());
    else {
      const listed = managementGroupByListing.get(subscriptionId);
      if (listed !== undefined) groups.push(listed);
    }
    if (managementGroupUnlisted.length > 0) groups.push(managementGroupUnlisted);
    return groups;
  }

  // Merged views for clusters that several management-group groups apply to, per subscription.
  const mergedManagementGroupViews = new Map<string, GroupView>();
  function mergedManagementGroupView(
    subscriptionId: string,
    groups: Group[],
    context: CapabilityContext,
  ): GroupView {
    const key = `${subscriptionId}|${contextKey(context)}`;
    let view = mergedManagementGroupViews.get(key);
    if (!view) {
      view = sealed(withoutRepeats(groups.map((g) => viewOf(g, context))));
      mergedManagementGroupViews.set(key, view);
    }
    return view;
  }

  function scopesFor(cluster: Cluster, subscriptionId: string): string[] {
    const scopes = ancestorScopes(cluster.id ?? '');
    // The id is authoritative, but if it lacks the usual shape the cluster's own subscription
    // and resource group fields still say where subscription/RG assignments would apply.
    const root = scopes.pop()!;
    if (subscriptionId !== '') {
      const rg = (cluster.resourceGroup ?? '').trim().toLowerCase();
      if (rg !== '' && !rg.includes('/')) {
        const rgScope = `/subscriptions/${subscriptionId}/resourcegroups/${rg}`;
        if (!scopes.includes(rgScope)) scopes.push(rgScope);
      }
      const subScope = `/subscriptions/${subscriptionId}`;
      if (!scopes.includes(subScope)) scopes.push(subScope);
    }
    scopes.push(root);
    return scopes;
  }

  function forCluster(cluster: Cluster): ClusterAccess {
    const subscriptionId = (
      (cluster.subscriptionId ?? '').trim() || subscriptionFromId(cluster.id ?? '')
    ).toLowerCase();
    const settings = clusterSettings(cluster);
    const overCluster = { ...settings, coversCluster: true, coversNodes: false };
    const overBoth = { ...settings, coversCluster: true, coversNodes: true };
    const nodeGroupKey = nodeResourceGroupKey(cluster, subscriptionId);

    // Most specific first: the cluster, its parents, RG, subscription; the node resource group
    // and its scale sets; then management groups; root last. The subscription (and above) also
    // covers the node resource group, which AKS always creates in the cluster's subscription.
    const views: GroupView[] = [];
    const contexts: CapabilityContext[] = [];
    const add = (view: GroupView, context: CapabilityContext) => {
      views.push(view);
      contexts.push(context);
    };
    const scopes = scopesFor(cluster, subscriptionId);
    let nodeGroupSeen = false;
    for (let i = 0; i < scopes.length - 1; i++) {
      const scope = scopes[i];
      const coversNodes = isSubscriptionKey(scope) || scope === nodeGroupKey;
      nodeGroupSeen ||= scope === nodeGroupKey;
      const group = groupAt(scope);
      const context = coversNodes ? overBoth : overCluster;
      if (group !== undefined) add(viewOf(group, context, mayHoldRepeatedListings(scope)), context);
    }
    if (nodeGroupKey !== undefined) {
      const nodes = nodeGroupSeen ? scaleSetGroupIn(nodeGroupKey) : nodesGroup(nodeGroupKey);
      if (nodes !== undefined) add(viewOf(nodes, OVER_NODES_ONLY, false), OVER_NODES_ONLY);
    }
    const managementGroups = managementGroupsFor(subscriptionId);
    if (managementGroups.length === 1) {
      add(viewOf(managementGroups[0], overBoth), overBoth);
    } else if (managementGroups.length > 1) {
      add(mergedManagementGroupView(subscriptionId, managementGroups, overBoth), overBoth);
    }
    const rootGroup = byScope.get('/');
    if (rootGroup !== undefined) add(viewOf(rootGroup, overBoth), overBoth);

    const result: ClusterAccess = {
      clusterId: cluster.id,
      assignments: concatenate(views, 'assignments'),
      privileged: concatenate(views, 'privileged'),
      unresolved: concatenate(views, 'unresolved'),
    };
    const unavailable = unavailableFor(subscriptionId);
    if (unavailable !== undefined) result.unavailable = unavailable;
    const deniedOverCluster = denies.forCluster(cluster.id ?? '', subscriptionId);
    const deniedOverNodes =
      nodeGroupKey === undefined
        ? undefined
        : denies.forCluster(nodeGroupKey, subscriptionId, true);
    if (deniedOverCluster === undefined && deniedOverNodes === undefined) {
      rememberViews(result, views);
      return result;
    }
    // Denies are per principal and cluster: a view a deny changes becomes this cluster's own;
    // the others stay shared (with what the checks worked out from them).
    // One answer per principal, and one `PrincipalDenies` per pair of deny predicates (which
    // principals share), so that what a deny leaves of a role is worked out once per pair.
    const known = new Map<string, PrincipalDenies | undefined>();
    const pairs = new Map<unknown, Map<unknown, PrincipalDenies>>();
    const deniesFor = (principalId: string): PrincipalDenies | undefined => {
      if (known.has(principalId)) return known.get(principalId);
      const overCluster = deniedOverCluster?.(principalId);
      const overNodes = deniedOverNodes?.(principalId);
      let denies: PrincipalDenies | undefined;
      if (overCluster !== undefined || overNodes !== undefined) {
        let second = pairs.get(overCluster);
        if (!second) pairs.set(overCluster, (second = new Map()));
        denies = second.get(overNodes);
        if (!denies) second.set(overNodes, (denies = { overCluster, overNodes }));
      }
      known.set(principalId, denies);
      return denies;
    };
    let changed = false;
    const denied = views.map((view, v) => {
      const under = viewUnderDenies(view, contexts[v], deniesFor, principalAccess);
      if (under === undefined) return view;
      changed = true;
      return sealed({ ...under, unresolved: view.unresolved, sensitivity: view.sensitivity });
    });
    if (changed) {
      result.assignments = concatenate(denied, 'assignments');
      result.privileged = concatenate(denied, 'privileged');
    }
    rememberViews(result, denied);
    return result;
  }

  // Built on the first principal lookup; one array per principal (most have several assignments).
  let byPrincipal: Map<string, RoleAssignment[]> | undefined;
  function principalIndex(): Map<string, RoleAssignment[]> {
    if (!byPrincipal) {
      byPrincipal = new Map();
      for (const a of allAssignments) {
        const id = principalKey(a.principalId);
        if (id === '') continue;
        const list = byPrincipal.get(id);
        if (list === undefined) byPrincipal.set(id, [a]);
        else list.push(a);
      }
    }
    return byPrincipal;
  }

  // The principals an evaluation asks about are the identities of the estate's own clusters
  // (kubelet and control-plane). When the estate given carries its clusters, the first lookup of
  // one of those makes a pass over the assignments that keeps only theirs: one set lookup per
  // assignment, instead of a list per principal of the whole tenant, which at a million
  // assignments is most of the cost of the lookups. That pass sees every assignment, so its
  // answer for those principals is complete; any other principal uses the full index above.
  const expectedPrincipals = clusterIdentityKeys(estate.clusters);
  let ofExpectedPrincipals: Map<string, RoleAssignment[]> | undefined;
  function expectedPrincipalIndex(): Map<string, RoleAssignment[]> {
    if (!ofExpectedPrincipals) {
      ofExpectedPrincipals = new Map();
      for (const a of allAssignments) {
        const id = principalKey(a.principalId);
        if (!expectedPrincipals.has(id)) continue;
        const list = ofExpectedPrincipals.get(id);
        if (list === undefined) ofExpectedPrincipals.set(id, [a]);
        else list.push(a);
      }
    }
    return ofExpectedPrincipals;
  }

  const principalViews = new WeakMap<RoleAssignment[], ResolvedAssignment[]>();

  function assignmentsOfPrincipal(principalId: string): ResolvedAssignment[] {
    const id = principalKey(principalId);
    if (id === '') return [];
    const group = (expectedPrincipals.has(id) ? expectedPrincipalIndex() : principalIndex()).get(
      id,
    );
    if (group === undefined) return [];
    let resolved = principalViews.get(group);
    if (!resolved) {
      resolved = buildView(distinct(group), roleLookup, ANY_CLUSTER).assignments;
      principalViews.set(group, resolved);
    }
    return [...resolved];
  }

  function roleByGuid(guid: string): RoleDefinition | undefined {
    return roleLookup.lookup((guid ?? '').trim().toLowerCase());
  }

  // Built on the first question: one set of principal keys for the whole estate.
  let assignedPrincipals: Set<string> | undefined;
  function isAssignedAnywhere(principalId: string): boolean {
    if (!assignedPrincipals) {
      assignedPrincipals = new Set();
      for (const a of allAssignments) assignedPrincipals.add(principalKey(a.principalId));
    }
    return assignedPrincipals.has(principalKey(principalId));
  }

  return { forCluster, assignmentsOfPrincipal, roleByGuid, isAssignedAnywhere };
}
