/**
 * The routing table (docs/events.md "Routing"): what an event re-evaluates, or which real-time
 * signal it raises. Anything in, or naming, an unwatched subscription is refused first.
 */
import {
  asKnown,
  clusterIdFromSegments,
  eq,
  scopeShape,
  splitExtension,
  splitUntrustedResourceId,
} from './eventResourceIds';
import {
  describeValue,
  GUID,
  RESOURCE_EVENT_TYPE,
  subscriptionOf,
  type ArmEvent,
} from './eventValidation';
import { holdsNodesOf, type KnownClusterFacts } from './clusterFacts';
import type { EntraIntegration, RealTimeSignalKind } from './model';
import { scopeCovers } from './scope';

/** The signals an event raises by itself (the fourth, privileged-role-granted, needs an evaluation). */
export type EventSignalKind = Exclude<RealTimeSignalKind, 'privileged-role-granted'>;

export type Route =
  | {
      kind: 'evaluate';
      /** Cluster ids to re-evaluate (known ids as stored; a new cluster as built from the subject). */
      clusterIds: string[];
      /** Lower-cased subscriptions to read. */
      subscriptionIds: string[];
      /** Set on role-assignment writes: confirmed when the evaluation finds a privilege gained. */
      signal?: Extract<RealTimeSignalKind, 'privileged-role-granted'>;
      /** Role-assignment events: the assignment's resource id (the subject). */
      roleAssignmentId?: string;
    }
  | { kind: 'evaluate-role'; roleDefinitionGuid: string; subscriptionIds: string[] }
  /** A federated credential of this managed identity was written or deleted (`core/federation`). */
  | { kind: 'evaluate-federation'; identityId: string; subscriptionIds: string[] }
  | { kind: 'deleted'; clusterId: string; subscriptionId: string }
  /**
   * A real-time signal about the cluster (docs/events.md "Real-time signals"); the cluster is
   * evaluated too, so that the page says how it stands now.
   */
  | {
      kind: 'signal';
      signal: EventSignalKind;
      clusterId: string;
      subscriptionId: string;
      /** What the caller did, for the page ("fetched the cluster-admin kubeconfig"). */
      action: string;
      /** The cluster's Entra integration per the stored posture, when recorded. */
      entraIntegration?: EntraIntegration;
      /**
       * A user-credential fetch whose cluster's Entra integration is not recorded: a signal only
       * if the current read shows none (or cannot tell: the safe side is to page).
       */
      onlyWithoutEntra?: true;
      /** node-command-invoked: the scale set, and the instance or extension, acted on. */
      target?: string;
    }
  | { kind: 'ignored'; reason: string }
  | { kind: 'rejected'; reason: string };

export type SignalRoute = Extract<Route, { kind: 'signal' }>;

export interface RouteContext {
  /** Lower-cased subscription ids the auditor watches. */
  watchedSubscriptions: string[];
  /** Cluster ids as stored. */
  knownClusterIds: string[];
  /**
   * What the stored postures say about the known clusters (node resource group, Entra
   * integration). Absent or missing a cluster: nothing recorded, decided as docs/events.md says.
   */
  knownClusters?: readonly KnownClusterFacts[];
}
const OPERATIONS = {
  roleAssignmentWrite: 'microsoft.authorization/roleassignments/write',
  roleAssignmentDelete: 'microsoft.authorization/roleassignments/delete',
  roleDefinitionWrite: 'microsoft.authorization/roledefinitions/write',
  roleDefinitionDelete: 'microsoft.authorization/roledefinitions/delete',
  clusterWrite: 'microsoft.containerservice/managedclusters/write',
  agentPoolWrite: 'microsoft.containerservice/managedclusters/agentpools/write',
  clusterDelete: 'microsoft.containerservice/managedclusters/delete',
  adminCredential: 'microsoft.containerservice/managedclusters/listclusteradmincredential/action',
  // The older access-profile API hands out the same static cluster-admin kubeconfig (docs/access.md
  // `admin-credential`); its `clusterAdmin` profile is the same escape hatch.
  accessProfileCredential:
    'microsoft.containerservice/managedclusters/accessprofiles/listcredential/action',
  // Without Entra integration the user kubeconfig carries a static credential with the admin
  // effect (docs/access.md `admin-credential`); with it, it needs an Entra sign-in.
  userCredential: 'microsoft.containerservice/managedclusters/listclusterusercredential/action',
  runCommand: 'microsoft.containerservice/managedclusters/runcommand/action',
  trustedAccessWrite: 'microsoft.containerservice/managedclusters/trustedaccessrolebindings/write',
  trustedAccessDelete:
    'microsoft.containerservice/managedclusters/trustedaccessrolebindings/delete',
  // PIM: a request creates (or activates) an eligible or active assignment at its scope.
  eligibilityRequestWrite: 'microsoft.authorization/roleeligibilityschedulerequests/write',
  assignmentRequestWrite: 'microsoft.authorization/roleassignmentschedulerequests/write',
  nodeRunCommand: 'microsoft.compute/virtualmachinescalesets/virtualmachines/runcommand/action',
  nodeExtensionWrite: 'microsoft.compute/virtualmachinescalesets/extensions/write',
  federatedCredentialWrite:
    'microsoft.managedidentity/userassignedidentities/federatedidentitycredentials/write',
  federatedCredentialDelete:
    'microsoft.managedidentity/userassignedidentities/federatedidentitycredentials/delete',
} as const;

const EXPECTED_TYPE: Record<string, string> = {
  [OPERATIONS.roleAssignmentWrite]: 'microsoft.resources.resourcewritesuccess',
  [OPERATIONS.roleAssignmentDelete]: 'microsoft.resources.resourcedeletesuccess',
  [OPERATIONS.roleDefinitionWrite]: 'microsoft.resources.resourcewritesuccess',
  [OPERATIONS.roleDefinitionDelete]: 'microsoft.resources.resourcedeletesuccess',
  [OPERATIONS.clusterWrite]: 'microsoft.resources.resourcewritesuccess',
  [OPERATIONS.agentPoolWrite]: 'microsoft.resources.resourcewritesuccess',
  [OPERATIONS.clusterDelete]: 'microsoft.resources.resourcedeletesuccess',
  [OPERATIONS.adminCredential]: 'microsoft.resources.resourceactionsuccess',
  [OPERATIONS.accessProfileCredential]: 'microsoft.resources.resourceactionsuccess',
  [OPERATIONS.userCredential]: 'microsoft.resources.resourceactionsuccess',
  [OPERATIONS.runCommand]: 'microsoft.resources.resourceactionsuccess',
  [OPERATIONS.trustedAccessWrite]: 'microsoft.resources.resourcewritesuccess',
  [OPERATIONS.trustedAccessDelete]: 'microsoft.resources.resourcedeletesuccess',
  [OPERATIONS.eligibilityRequestWrite]: 'microsoft.resources.resourcewritesuccess',
  [OPERATIONS.assignmentRequestWrite]: 'microsoft.resources.resourcewritesuccess',
  [OPERATIONS.nodeRunCommand]: 'microsoft.resources.resourceactionsuccess',
  [OPERATIONS.nodeExtensionWrite]: 'microsoft.resources.resourcewritesuccess',
  [OPERATIONS.federatedCredentialWrite]: 'microsoft.resources.resourcewritesuccess',
  [OPERATIONS.federatedCredentialDelete]: 'microsoft.resources.resourcedeletesuccess',
};

/**
 * Every ARM operation the router acts on (lower case), with the event type that carries it:
 * the one list the deployment's Event Grid filter is generated from
 * (`infra/modules/routedOperations.json`, written by `npm run generate:infra`; a test fails when
 * the two differ). Route a new operation by adding it to EXPECTED_TYPE and the switch below.
 */
export const ROUTED_OPERATIONS: ReadonlyArray<{ operationName: string; eventType: string }> =
  Object.entries(EXPECTED_TYPE).map(([operationName, eventType]) => ({ operationName, eventType }));

function watchedKnownClusters(ctx: RouteContext, watched: ReadonlySet<string>): string[] {
  return ctx.knownClusterIds.filter((id) => {
    const s = subscriptionOf(id);
    return s !== undefined && watched.has(s);
  });
}

/** Every known cluster with what its stored posture says (nothing, when the caller gave no facts). */
function knownFacts(ctx: RouteContext): readonly KnownClusterFacts[] {
  return ctx.knownClusters ?? ctx.knownClusterIds.map((id) => ({ id }));
}

/** The stored facts of one known cluster (by id, case-insensitively). */
function factsOf(ctx: RouteContext, clusterId: string): KnownClusterFacts | undefined {
  const wanted = clusterId.toLowerCase();
  return knownFacts(ctx).find((c) => c.id.toLowerCase() === wanted);
}

/** Known clusters whose nodes are in that resource group (ids as stored). */
function nodeResourceGroupOwners(
  ctx: RouteContext,
  subscriptionId: string,
  resourceGroup: string,
): string[] {
  return knownFacts(ctx)
    .filter((c) => holdsNodesOf(c, subscriptionId, resourceGroup))
    .map((c) => c.id);
}

function uniqueSubscriptions(clusterIds: readonly string[]): string[] {
  return [
    ...new Set(
      clusterIds.map((id) => subscriptionOf(id)).filter((s): s is string => s !== undefined),
    ),
  ].sort();
}

/**
 * What an event re-evaluates (docs/events.md routing table). Operation names, types and ids compare
 * case-insensitively. Anything in, or naming, an unwatched subscription is `rejected`; events
 * that do not matter are `ignored` with the reason.
 */
export function routeEvent(event: ArmEvent, ctx: RouteContext): Route {
  const watched = new Set(ctx.watchedSubscriptions.map((s) => s.toLowerCase()));
  const type = event.type.toLowerCase();

  // The subscription check comes first: nothing about an unwatched subscription is looked at.
  const subjectSubscription = subscriptionOf(event.subject);
  for (const s of [subjectSubscription, event.subscriptionId]) {
    if (s !== undefined && !watched.has(s))
      return { kind: 'rejected', reason: `subscription ${describeValue(s)} is not watched` };
  }

  const typeMatch = RESOURCE_EVENT_TYPE.exec(type);
  if (!typeMatch)
    return {
      kind: 'ignored',
      reason: `event type ${describeValue(event.type)} is not an ARM resource event`,
    };
  if (typeMatch[2] !== 'success') {
    return {
      kind: 'ignored',
      reason: `the operation did not succeed (${event.type}); nothing changed`,
    };
  }

  const operation = event.operationName.toLowerCase();
  const expectedType = EXPECTED_TYPE[operation];
  if (!expectedType)
    return {
      kind: 'ignored',
      reason: `operation ${describeValue(event.operationName)} does not affect cluster identity posture`,
    };
  if (expectedType !== type) {
    return {
      kind: 'ignored',
      reason: `operation ${describeValue(event.operationName)} does not match event type ${describeValue(event.type)}`,
    };
  }

  const parsed = splitUntrustedResourceId(event.subject);
  if (!parsed.ok) return { kind: 'rejected', reason: `subject ${parsed.problem}` };
  const segments = parsed.segments;

  switch (operation) {
    case OPERATIONS.roleAssignmentWrite:
    case OPERATIONS.roleAssignmentDelete:
      return routeRoleAssignment(event, segments, 'roleassignments', ctx, watched, {
        isWrite: operation === OPERATIONS.roleAssignmentWrite,
      });
    case OPERATIONS.eligibilityRequestWrite:
      return routeRoleAssignment(event, segments, 'roleeligibilityschedulerequests', ctx, watched, {
        isWrite: true,
      });
    case OPERATIONS.assignmentRequestWrite:
      return routeRoleAssignment(event, segments, 'roleassignmentschedulerequests', ctx, watched, {
        isWrite: true,
      });
    case OPERATIONS.nodeRunCommand:
    case OPERATIONS.nodeExtensionWrite:
      return routeScaleSet(event, segments, operation, ctx);
    case OPERATIONS.roleDefinitionWrite:
    case OPERATIONS.roleDefinitionDelete:
      return routeRoleDefinition(event, segments, watched);
    case OPERATIONS.federatedCredentialWrite:
    case OPERATIONS.federatedCredentialDelete:
      return routeFederatedCredential(event, segments, watched);
    case OPERATIONS.clusterWrite:
    case OPERATIONS.agentPoolWrite:
    case OPERATIONS.clusterDelete:
    case OPERATIONS.adminCredential:
    case OPERATIONS.accessProfileCredential:
    case OPERATIONS.userCredential:
    case OPERATIONS.runCommand:
    case OPERATIONS.trustedAccessWrite:
    case OPERATIONS.trustedAccessDelete:
      return routeCluster(event, segments, operation, ctx);
    default:
      return {
        kind: 'ignored',
        reason: `operation ${describeValue(event.operationName)} is not routed`,
      };
  }
}
const ASSIGNMENT_WORDS: Record<AssignmentType, string> = {
  roleassignments: 'a role assignment',
  roleeligibilityschedulerequests: 'a role eligibility schedule request',
  roleassignmentschedulerequests: 'a role assignment schedule request',
};

type AssignmentType =
  'roleassignments' | 'roleeligibilityschedulerequests' | 'roleassignmentschedulerequests';

/**
 * A role assignment, or a PIM request creating an eligible or active one, at the scope its id
 * starts with: every known cluster under that scope, and the cluster whose node resource group
 * the scope is in (a grant over the nodes is `node-access` to it, docs/access.md).
 */
function routeRoleAssignment(
  event: ArmEvent,
  segments: string[],
  type: AssignmentType,
  ctx: RouteContext,
  watched: ReadonlySet<string>,
  { isWrite }: { isWrite: boolean },
): Route {
  const split = splitExtension(segments, 'microsoft.authorization', type);
  if (!split)
    return {
      kind: 'rejected',
      reason: `subject ${describeValue(event.subject)} is not ${ASSIGNMENT_WORDS[type]} id`,
    };
  const shape = scopeShape(split.scope);
  const scope = '/' + split.scope.join('/');
  let clusterIds: string[];
  if (shape.kind === 'tenant') {
    // A management group's hierarchy is not in the id: every watched cluster may be under it.
    clusterIds = watchedKnownClusters(ctx, watched);
  } else if (shape.kind === 'subscription') {
    if (!watched.has(shape.subscriptionId))
      return {
        kind: 'rejected',
        reason: `subscription ${describeValue(shape.subscriptionId)} is not watched`,
      };
    clusterIds = watchedKnownClusters(ctx, watched).filter((id) => scopeCovers(scope, id));
    if (split.scope.length >= 4 && eq(split.scope[2], 'resourcegroups')) {
      for (const id of nodeResourceGroupOwners(ctx, shape.subscriptionId, split.scope[3]))
        if (!clusterIds.includes(id)) clusterIds.push(id);
    }
  } else {
    return {
      kind: 'rejected',
      reason: `role assignment scope ${describeValue(scope)} is not a tenant, management group or subscription scope`,
    };
  }
  if (clusterIds.length === 0)
    return {
      kind: 'ignored',
      reason: `no known cluster under scope ${describeValue(scope)}, nor one whose nodes it holds`,
    };
  const route: Route = {
    kind: 'evaluate',
    clusterIds,
    subscriptionIds: uniqueSubscriptions(clusterIds),
    roleAssignmentId: event.subject,
  };
  if (isWrite) route.signal = 'privileged-role-granted';
  return route;
}

function routeRoleDefinition(
  event: ArmEvent,
  segments: string[],
  watched: ReadonlySet<string>,
): Route {
  const split = splitExtension(segments, 'microsoft.authorization', 'roledefinitions');
  if (!split)
    return {
      kind: 'rejected',
      reason: `subject ${describeValue(event.subject)} is not a role definition id`,
    };
  if (!GUID.test(split.name))
    return {
      kind: 'rejected',
      reason: `role definition name ${describeValue(split.name)} is not a GUID`,
    };
  const shape = scopeShape(split.scope);
  if (shape.kind === 'unknown') {
    return {
      kind: 'rejected',
      reason: `role definition scope ${describeValue('/' + split.scope.join('/'))} is not a tenant, management group or subscription scope`,
    };
  }
  // A custom role may be assignable in any watched subscription: all of them are read.
  return {
    kind: 'evaluate-role',
    roleDefinitionGuid: split.name.toLowerCase(),
    subscriptionIds: [...watched].sort(),
  };
}

/**
 * `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{id}/federatedIdentityCredentials/{name}`:
 * which clusters it concerns is known only from the credential (its issuer, read again) and, after
 * a delete, from the stored postures; a credential may trust a cluster of any watched subscription.
 */
function routeFederatedCredential(
  event: ArmEvent,
  segments: string[],
  watched: ReadonlySet<string>,
): Route {
  if (
    segments.length !== 10 ||
    !eq(segments[0], 'subscriptions') ||
    !eq(segments[2], 'resourcegroups') ||
    !eq(segments[4], 'providers') ||
    !eq(segments[5], 'microsoft.managedidentity') ||
    !eq(segments[6], 'userassignedidentities') ||
    !eq(segments[8], 'federatedidentitycredentials')
  ) {
    return {
      kind: 'rejected',
      reason: `subject ${describeValue(event.subject)} is not a federated identity credential id`,
    };
  }
  return {
    kind: 'evaluate-federation',
    identityId: `/${segments.slice(0, 8).join('/')}`,
    subscriptionIds: [...watched].sort(),
  };
}

function routeCluster(
  event: ArmEvent,
  segments: string[],
  operation: string,
  ctx: RouteContext,
): Route {
  const clusterId = clusterIdFromSegments(segments);
  const rest = segments.slice(8).map((s) => s.toLowerCase());
  const subscriptionId = segments[1]?.toLowerCase();
  const notCluster: Route = {
    kind: 'rejected',
    reason: `subject ${describeValue(event.subject)} does not match operation ${describeValue(event.operationName)}`,
  };
  if (!clusterId || !subscriptionId) return notCluster;
  const id = asKnown(clusterId, ctx.knownClusterIds);
  // Action events name the resource; tolerate the action appended as a last segment.
  const namesCluster = (action: string) =>
    rest.length === 0 || (rest.length === 1 && rest[0] === action);
  const signal = (kind: EventSignalKind, action: string): SignalRoute => {
    const route: SignalRoute = {
      kind: 'signal',
      signal: kind,
      clusterId: id,
      subscriptionId,
      action,
    };
    const entraIntegration = factsOf(ctx, id)?.entraIntegration;
    if (entraIntegration) route.entraIntegration = entraIntegration;
    return route;
  };
  switch (operation) {
    case OPERATIONS.clusterWrite:
      if (rest.length !== 0) return notCluster;
      return { kind: 'evaluate', clusterIds: [id], subscriptionIds: [subscriptionId] };
    case OPERATIONS.agentPoolWrite:
      if (rest.length !== 2 || rest[0] !== 'agentpools') return notCluster;
      return { kind: 'evaluate', clusterIds: [id], subscriptionIds: [subscriptionId] };
    case OPERATIONS.trustedAccessWrite:
    case OPERATIONS.trustedAccessDelete:
      // A binding lets an Azure service's identity into the cluster (`trusted-access-write`).
      if (rest.length !== 2 || rest[0] !== 'trustedaccessrolebindings') return notCluster;
      return { kind: 'evaluate', clusterIds: [id], subscriptionIds: [subscriptionId] };
    case OPERATIONS.clusterDelete:
      if (rest.length !== 0) return notCluster;
      return { kind: 'deleted', clusterId: id, subscriptionId };
    case OPERATIONS.adminCredential:
      if (!namesCluster('listclusteradmincredential')) return notCluster;
      return signal('admin-credential-retrieved', 'fetched the cluster-admin kubeconfig');
    case OPERATIONS.userCredential:
      if (!namesCluster('listclusterusercredential')) return notCluster;
      return userCredential(
        ctx,
        id,
        signal('admin-credential-retrieved', 'fetched the cluster-user kubeconfig'),
      );
    case OPERATIONS.accessProfileCredential: {
      if (rest.length < 2 || rest[0] !== 'accessprofiles') return notCluster;
      if (rest.length > 3 || (rest.length === 3 && rest[2] !== 'listcredential')) return notCluster;
      if (rest[1] === 'clusteradmin')
        return signal(
          'admin-credential-retrieved',
          'fetched the cluster-admin kubeconfig (access profile clusterAdmin)',
        );
      if (rest[1] === 'clusteruser')
        return userCredential(
          ctx,
          id,
          signal(
            'admin-credential-retrieved',
            'fetched the cluster-user kubeconfig (access profile clusterUser)',
          ),
        );
      return {
        kind: 'ignored',
        reason: `access profile ${describeValue(segments[9])} is neither clusterAdmin nor clusterUser`,
      };
    }
    case OPERATIONS.runCommand:
      if (!namesCluster('runcommand')) return notCluster;
      return signal('run-command-invoked', 'ran a command in the cluster (az aks command invoke)');
    default:
      return {
        kind: 'ignored',
        reason: `operation ${describeValue(event.operationName)} is not routed`,
      };
  }
}

/**
 * The user kubeconfig is the admin kubeconfig's equal only without Entra integration. A stored
 * posture that says the cluster has it settles the matter (managed Entra integration cannot be
 * turned off again); one that does not say leaves it to the current read.
 */
function userCredential(ctx: RouteContext, clusterId: string, route: SignalRoute): Route {
  const entra = factsOf(ctx, clusterId)?.entraIntegration;
  if (entra === 'managed' || entra === 'legacy')
    return {
      kind: 'ignored',
      reason: `cluster ${describeValue(clusterId)} has ${entra} Entra integration: its user kubeconfig needs an Entra sign-in`,
    };
  if (entra === undefined) route.onlyWithoutEntra = true;
  return route;
}

/**
 * A command run on a node, or an extension written to a scale set, in a resource group: a signal
 * when that group holds a known cluster's nodes (docs/events.md), ignored otherwise.
 * `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachineScaleSets/{vmss}`
 * then `/virtualMachines/{instance}[/runCommand]` or `/extensions/{name}`.
 */
function routeScaleSet(
  event: ArmEvent,
  segments: string[],
  operation: string,
  ctx: RouteContext,
): Route {
  const rest = segments.slice(8).map((s) => s.toLowerCase());
  const isScaleSet =
    segments.length >= 8 &&
    eq(segments[0], 'subscriptions') &&
    eq(segments[2], 'resourcegroups') &&
    eq(segments[4], 'providers') &&
    eq(segments[5], 'microsoft.compute') &&
    eq(segments[6], 'virtualmachinescalesets');
  const shapeFits =
    operation === OPERATIONS.nodeRunCommand
      ? rest[0] === 'virtualmachines' &&
        (rest.length === 2 || (rest.length === 3 && rest[2] === 'runcommand'))
      : rest.length === 2 && rest[0] === 'extensions';
  if (!isScaleSet || !shapeFits)
    return {
      kind: 'rejected',
      reason: `subject ${describeValue(event.subject)} does not match operation ${describeValue(event.operationName)}`,
    };
  const subscriptionId = segments[1].toLowerCase();
  const owners = nodeResourceGroupOwners(ctx, subscriptionId, segments[3]);
  if (owners.length === 0)
    return {
      kind: 'ignored',
      reason: `resource group ${describeValue(segments[3])} holds the nodes of no known cluster`,
    };
  // The scale set's id (the node resource group and scale set, as sent and checked above).
  const target = `/${segments.slice(0, 8).join('/')}`;
  const action =
    operation === OPERATIONS.nodeRunCommand
      ? `ran a command on node ${segments[9]} of scale set ${segments[7]}`
      : `wrote extension ${segments[9]} to scale set ${segments[7]}`;
  // Two clusters cannot share a node resource group; the first stored one is named.
  return {
    kind: 'signal',
    signal: 'node-command-invoked',
    clusterId: owners[0],
    subscriptionId,
    action,
    target,
  };
}
